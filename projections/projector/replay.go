package projector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paycore/paycore/events/logpos"
)

// Replay projects every record of cfg.Topics, from each partition's start
// to its end as of Replay's start, into the Mapper's tables, and returns
// what it did: ReplayFrom(ctx, cfg, logpos.Start).
func Replay(ctx context.Context, cfg Config) (Stats, error) {
	return ReplayFrom(ctx, cfg, logpos.Start)
}

// ReplayFrom projects the records of cfg.Topics from from (in each
// partition: its first offset, an offset, or the first record at or after
// a time) to each partition's end as of ReplayFrom's start, into the
// Mapper's tables, and returns what it did. It uses no consumer group and
// commits nothing: it is how an operator rebuilds dropped (and re-created)
// tables or rewrites rows a bad deploy projected wrongly from some point
// on, and how tests project a log deterministically. Rows land exactly as
// Run would write them (the same Mapper, batching and insert retries), so
// replaying into tables a projector also fills only inserts copies
// ReplacingMergeTree replaces.
//
// cfg.Name is not needed; cfg.Progress, if set, follows the replay. The
// logs are assumed free of offset gaps near their end (event logs are
// neither compacted nor transactional): ReplayFrom reads each partition up
// to the record just before the end offset it found.
func ReplayFrom(ctx context.Context, cfg Config, from logpos.From) (Stats, error) {
	cfg.setDefaults()
	if err := cfg.validate(false); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	p := newProjector(cfg, cfg.Logger.With("replay", strings.Join(cfg.Topics, ",")))
	stats := func() Stats {
		s := p.stats.snapshot()
		s.Took = time.Since(start)
		return s
	}
	bounds, err := logpos.Resolve(ctx, cfg.Brokers, cfg.Connector, cfg.Topics, from, time.Now())
	if err != nil {
		return stats(), fmt.Errorf("replay: %w", err)
	}
	var total int64
	ends := map[topicPartition]int64{}
	for _, b := range bounds {
		if b.Records() > 0 {
			total += b.Records()
			ends[topicPartition{b.Topic, b.Partition}] = b.End
		}
	}
	progress := func(done int64) {
		if cfg.Progress != nil {
			cfg.Progress(done, total)
		}
	}
	progress(0)
	p.log.Info("replay starting", "from", from.String(), "partitions", len(bounds), "records", total)

	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	chunks := make(chan chunk, 2*len(ends)+1)
	failed := make(chan error, len(ends))
	for _, b := range bounds {
		if b.Records() <= 0 {
			continue
		}
		wg.Go(func() {
			if err := p.readPartition(rctx, b.Topic, b.Partition, b.Start, b.End, chunks); err != nil {
				failed <- err
			}
		})
	}

	buf := newBuffer(len(p.tables))
	flush := func() error {
		if buf.empty() {
			return nil
		}
		if err := p.ins.flush(ctx, buf, nil); err != nil {
			return err
		}
		p.stats.records.Add(buf.records)
		p.stats.flushes.Add(1)
		buf.reset()
		progress(p.stats.records.Load())
		return nil
	}
	check := time.NewTicker(checkInterval(cfg.MaxDelay))
	defer check.Stop()
	for pending := len(ends); pending > 0; {
		select {
		case <-ctx.Done():
			return stats(), ctx.Err()
		case err := <-failed:
			return stats(), fmt.Errorf("replay: %w", err)
		case c := <-chunks:
			if c.err != nil {
				return stats(), c.err
			}
			buf.add(&c, time.Now())
			if c.next >= ends[topicPartition{c.topic, c.partition}] {
				pending--
			}
			if buf.full(cfg.MaxRows) {
				if err := flush(); err != nil {
					return stats(), fmt.Errorf("replay: %w", err)
				}
			}
		case now := <-check.C:
			if buf.due(now, cfg.MaxDelay) {
				if err := flush(); err != nil {
					return stats(), fmt.Errorf("replay: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return stats(), fmt.Errorf("replay: %w", err)
	}
	s := stats()
	p.log.Info("replay done", "records", s.Records, "rows", s.Rows, "skipped", s.Skipped, "took", s.Took.Round(time.Millisecond))
	return s, nil
}
