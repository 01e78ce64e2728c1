package projector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paycore/paycore/events/logpos"
)

// Provenance names the columns in which a Mapper records its rows' Source.
// Verify uses them: ProjectedAt, Partition and Offset are not compared (a
// replay changes the first; the same event may be in its log twice, after
// a rebalance, and either copy's row is right), and Topic, Partition and
// Offset tell a row ClickHouse holds for the verified range from one that
// came from elsewhere in the log. Empty names are columns the Mapper does
// not write.
type Provenance struct {
	Topic, Partition, Offset, ProjectedAt string
}

// ProvenanceMapper is a Mapper that declares its Provenance columns.
// Verify works with any Mapper, but without them it compares every column
// and cannot find rows that should not be there.
type ProvenanceMapper interface {
	Mapper
	Provenance() Provenance
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	From    logpos.From
	Records int64 // records read from the logs
	Skipped int64 // of them, not projectable (logged as the projector does)
	Tables  []TableReport
	Took    time.Duration
}

// TableReport compares one table with the rows its range of the logs gives.
type TableReport struct {
	Table string
	// Expected is how many keys the range produces; each is Matched,
	// Newer (ClickHouse holds a later version, from an event after the
	// range), Missing, or Differing (another version or other values).
	Expected, Matched, Newer, Missing, Differing int
	// Extra counts rows whose source is in the range although the range
	// produces no row with their key (only with a ProvenanceMapper).
	Extra int
	// Samples describes the first differences.
	Samples []string
}

// maxSamples bounds TableReport.Samples.
const maxSamples = 5

// Differences is the number of differences in t.
func (t TableReport) Differences() int { return t.Missing + t.Differing + t.Extra }

func (t *TableReport) sample(format string, args ...any) {
	if len(t.Samples) < maxSamples {
		t.Samples = append(t.Samples, fmt.Sprintf(format, args...))
	}
}

// Clean reports whether ClickHouse holds exactly the rows of the range.
func (r VerifyReport) Clean() bool {
	for _, t := range r.Tables {
		if t.Differences() > 0 {
			return false
		}
	}
	return true
}

// String renders the report: a line per table, then the samples.
func (r VerifyReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verified %d records from %s (%d not projectable) in %v\n", r.Records, r.From, r.Skipped, r.Took.Round(time.Millisecond))
	fmt.Fprintf(&b, "%-30s %9s %9s %7s %8s %10s %7s\n", "TABLE", "EXPECTED", "MATCHED", "NEWER", "MISSING", "DIFFERING", "EXTRA")
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "%-30s %9d %9d %7d %8d %10d %7d\n", t.Table, t.Expected, t.Matched, t.Newer, t.Missing, t.Differing, t.Extra)
	}
	for _, t := range r.Tables {
		for _, s := range t.Samples {
			fmt.Fprintf(&b, "  - %s: %s\n", t.Table, s)
		}
	}
	return b.String()
}

// Verify re-derives, with the Mapper, the rows the records of cfg.Topics
// from from to each partition's end (as of Verify's start) produce, and
// compares them with what the tables hold, read with FINAL: for every key
// the range produces, the latest version it produces must be in ClickHouse
// with the same values, or a later version (an event after the range). It
// writes nothing. The tables must be ReplacingMergeTree; their keys
// (ORDER BY) and version columns are read from ClickHouse.
//
// It holds the range's rows in memory, one per key, and reads every table
// whole: verify a time range rather than the whole log of a large system.
// On a live system the projector must have caught up with the range first,
// or its last rows count as missing. cfg.Progress, if set, follows the
// records read.
func Verify(ctx context.Context, cfg Config, from logpos.From) (VerifyReport, error) {
	cfg.setDefaults()
	if err := cfg.validate(false); err != nil {
		return VerifyReport{}, err
	}
	start := time.Now()
	rep := VerifyReport{From: from}
	p := newProjector(cfg, cfg.Logger.With("verify", strings.Join(cfg.Topics, ",")))
	var prov Provenance
	if pm, ok := cfg.Mapper.(ProvenanceMapper); ok {
		prov = pm.Provenance()
	}
	bounds, err := logpos.Resolve(ctx, cfg.Brokers, cfg.Connector, cfg.Topics, from, time.Now())
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	schemas := make([]*tableSchema, len(p.tables))
	for i, t := range p.tables {
		s, err := readSchema(ctx, cfg.Conn, t, prov)
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		schemas[i] = s
	}
	ranges := map[topicPartition][2]int64{}
	var total int64
	for _, b := range bounds {
		if b.Records() > 0 {
			ranges[topicPartition{b.Topic, b.Partition}] = [2]int64{b.Start, b.End}
			total += b.Records()
		}
	}
	progress := func(done int64) {
		if cfg.Progress != nil {
			cfg.Progress(done, total)
		}
	}
	progress(0)

	expected := make([]map[string]expectedRow, len(p.tables))
	for i := range expected {
		expected[i] = map[string]expectedRow{}
	}
	if err := p.readRanges(ctx, ranges, func(c chunk) error {
		for _, r := range c.rows {
			s := schemas[r.table]
			row, err := s.canonicalRow(r.values)
			if err != nil {
				return fmt.Errorf("verify: %s/%d before offset %d: %w", c.topic, c.partition, c.next, err)
			}
			key := s.key(row)
			// Latest version wins; among equal versions the later record,
			// as ReplacingMergeTree keeps the last inserted.
			if old, ok := expected[r.table][key]; !ok || s.version < 0 || compareCanonical(row[s.version], old.values[s.version]) >= 0 {
				expected[r.table][key] = expectedRow{values: row}
			}
		}
		rep.Records += int64(c.records)
		progress(rep.Records)
		return nil
	}); err != nil {
		return rep, err
	}
	rep.Skipped = p.stats.skipped.Load()
	for i, s := range schemas {
		t, err := s.compare(ctx, cfg.Conn, expected[i], ranges)
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		rep.Tables = append(rep.Tables, t)
	}
	rep.Took = time.Since(start)
	return rep, nil
}

// expectedRow is the row a key's latest event in the range gives, as
// canonical strings in the table's column order.
type expectedRow struct {
	values []string
}

// readRanges reads every partition of ranges from its start to its end
// and hands the mapped chunks to fn, one at a time.
func (p *Projector) readRanges(ctx context.Context, ranges map[topicPartition][2]int64, fn func(chunk) error) error {
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	chunks := make(chan chunk, 2*len(ranges)+1)
	failed := make(chan error, len(ranges))
	for tp, r := range ranges {
		wg.Go(func() {
			if err := p.readPartition(rctx, tp.topic, tp.partition, r[0], r[1], chunks); err != nil {
				failed <- err
			}
		})
	}
	for pending := len(ranges); pending > 0; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-failed:
			return fmt.Errorf("verify: %w", err)
		case c := <-chunks:
			if c.err != nil {
				return c.err
			}
			if err := fn(c); err != nil {
				return err
			}
			if c.next >= ranges[topicPartition{c.topic, c.partition}][1] {
				pending--
			}
		}
	}
	return nil
}
