package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// topicPartition names one partition of one topic.
type topicPartition struct {
	topic     string
	partition int
}

// tableRow is a validated Row: its table's index in the Mapper's tables.
type tableRow struct {
	table  int
	values []any
}

// buffer holds what was consumed since the last flush: rows per table, and
// for every partition the offset after its last consumed record (what a
// successful flush records as progress).
type buffer struct {
	rows    [][][]any // by table index
	records int64     // records consumed since the last flush, skipped ones included
	oldest  time.Time // when the first of them arrived; zero when empty
	next    map[topicPartition]int64
}

func newBuffer(tables int) *buffer {
	return &buffer{rows: make([][][]any, tables), next: map[topicPartition]int64{}}
}

func (b *buffer) empty() bool { return b.records == 0 }

func (b *buffer) add(c *chunk, now time.Time) {
	if c.records == 0 {
		return
	}
	if b.records == 0 {
		b.oldest = now
	}
	b.records += int64(c.records)
	for _, r := range c.rows {
		b.rows[r.table] = append(b.rows[r.table], r.values)
	}
	b.next[topicPartition{c.topic, c.partition}] = c.next
}

// full reports whether a table's buffer (or the pending records) reached
// maxRows.
func (b *buffer) full(maxRows int) bool {
	if b.records >= int64(maxRows) {
		return true
	}
	for _, rows := range b.rows {
		if len(rows) >= maxRows {
			return true
		}
	}
	return false
}

// due reports whether the oldest buffered record waited maxDelay.
func (b *buffer) due(now time.Time, maxDelay time.Duration) bool {
	return b.records > 0 && now.Sub(b.oldest) >= maxDelay
}

// reset empties the buffer after a flush (the rows were cleared table by
// table as they were inserted).
func (b *buffer) reset() {
	b.records, b.oldest = 0, time.Time{}
	clear(b.next)
}

// counters are Stats kept with atomics, readable while Run runs.
type counters struct {
	records, skipped, rows, flushes atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{Records: c.records.Load(), Skipped: c.skipped.Load(), Rows: c.rows.Load(), Flushes: c.flushes.Load()}
}

// inserter writes buffers to ClickHouse, one batch per table, retrying
// what failed. It is used by one goroutine at a time.
type inserter struct {
	cfg    *Config
	log    *slog.Logger
	tables []Table
	stmts  []string // INSERT INTO t (a, b), by table index
	stats  *counters
	// outageSince is when the current run of failed attempts began; zero
	// while inserts succeed. It survives generations: a rebalance in the
	// middle of an outage does not restart the MaxOutage clock.
	outageSince time.Time
}

func newInserter(cfg *Config, log *slog.Logger, tables []Table, stats *counters) *inserter {
	in := &inserter{cfg: cfg, log: log, tables: tables, stats: stats, stmts: make([]string, len(tables))}
	for i, t := range tables {
		// An explicit column list and the native batch protocol: the only
		// insert path that works on ClickHouse 18.16 and current releases.
		in.stmts[i] = "INSERT INTO " + t.Name + " (" + strings.Join(t.Columns, ", ") + ")"
	}
	return in
}

// permanentError is an insert failure retrying cannot cure (a value the
// column does not take: a Mapper bug).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// flush inserts every buffered row: one PrepareBatch/Append/Send per table
// that has rows. A table's rows are dropped from the buffer as soon as its
// Send succeeded, so a retry re-sends only the tables that failed: nothing
// is lost and, unless a Send failed after the server had stored the block
// (then ReplacingMergeTree absorbs the copy), nothing is doubled.
//
// Failed attempts are retried with exponential backoff, each one logged
// and reported, until they succeed, ctx ends (ctx's error), an attempt
// fails permanently, or the failures lasted MaxOutage (ErrOutage). idle,
// if not nil, runs during every backoff (lag reporting).
func (in *inserter) flush(ctx context.Context, b *buffer, idle func()) error {
	backoff := in.cfg.InsertBackoffMin
	for attempt := 1; ; attempt++ {
		err := in.insertOnce(ctx, b)
		if err == nil {
			if !in.outageSince.IsZero() {
				in.log.Info("ClickHouse inserts succeed again", "attempts", attempt, "outage", time.Since(in.outageSince).Round(time.Millisecond))
				in.outageSince = time.Time{}
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return err
		}
		if obs := in.cfg.Observer; obs != nil {
			obs.InsertFailed(err)
		}
		now := time.Now()
		if in.outageSince.IsZero() {
			in.outageSince = now
		}
		down := now.Sub(in.outageSince)
		if down >= in.cfg.MaxOutage {
			in.log.Error("ClickHouse inserts kept failing; giving up", "attempt", attempt, "outage", down.Round(time.Millisecond), "err", err)
			return fmt.Errorf("%w (%v, %d attempts): %w", ErrOutage, down.Round(time.Millisecond), attempt, err)
		}
		in.log.Warn("ClickHouse insert failed; retrying the same batch", "attempt", attempt, "backoff", backoff,
			"outage", down.Round(time.Millisecond), "buffered_records", b.records, "err", err)
		if idle != nil {
			idle()
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, in.cfg.InsertBackoffMax)
	}
}

// insertOnce sends each table that still has rows, in the Mapper's table
// order, stopping at the first failure.
func (in *inserter) insertOnce(ctx context.Context, b *buffer) error {
	for i, rows := range b.rows {
		if len(rows) == 0 {
			continue
		}
		start := time.Now()
		if err := in.insertTable(ctx, i, rows); err != nil {
			return err
		}
		took := time.Since(start)
		b.rows[i] = rows[:0:0] // release the memory: the next flush may be small
		in.stats.rows.Add(int64(len(rows)))
		if obs := in.cfg.Observer; obs != nil {
			obs.Flushed(in.tables[i].Name, len(rows), took)
		}
		in.log.Debug("inserted", "table", in.tables[i].Name, "rows", len(rows), "took", took)
	}
	return nil
}

func (in *inserter) insertTable(ctx context.Context, i int, rows [][]any) error {
	ctx, cancel := context.WithTimeout(ctx, in.cfg.InsertTimeout)
	defer cancel()
	name := in.tables[i].Name
	batch, err := in.cfg.Conn.PrepareBatch(ctx, in.stmts[i])
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", name, err)
	}
	sent := false
	defer func() {
		if !sent {
			batch.Abort() // releases the connection; the error that matters is already returned
		}
	}()
	for n, values := range rows {
		if err := batch.Append(values...); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("append to %s: %w", name, err)
			}
			// Append only converts values into column buffers, on the
			// client: a value the column does not take fails on every
			// attempt, so retrying until MaxOutage would only hide the bug.
			// (The values stay out of the error: they may be payment data.)
			return &permanentError{fmt.Errorf("projector: row %d of %d for %s does not fit the table: %w", n+1, len(rows), name, err)}
		}
	}
	sent = true
	if err := batch.Send(); err != nil {
		return fmt.Errorf("insert %d rows into %s: %w", len(rows), name, err)
	}
	return nil
}
