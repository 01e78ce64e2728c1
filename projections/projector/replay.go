package projector

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Replay projects every record of cfg.Topics, from each partition's start
// to its end as of Replay's start, into the Mapper's tables, and returns
// what it did. It uses no consumer group and commits nothing: it is how an
// operator rebuilds dropped (and re-created) tables, and how tests project
// a log deterministically. Rows land exactly as Run would write them (the
// same Mapper, batching and insert retries), so replaying into tables a
// projector also fills only inserts copies ReplacingMergeTree replaces.
//
// cfg.Name is not needed; cfg.Progress, if set, follows the replay. The
// logs are assumed free of offset gaps near their end (event logs are
// neither compacted nor transactional): Replay reads each partition up to
// the record just before the end offset it found.
func Replay(ctx context.Context, cfg Config) (Stats, error) {
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
	bounds, err := p.logBounds(ctx)
	if err != nil {
		return stats(), err
	}
	var total int64
	ends := map[topicPartition]int64{}
	for _, b := range bounds {
		if b.end > b.first {
			total += b.end - b.first
			ends[b.tp] = b.end
		}
	}
	progress := func(done int64) {
		if cfg.Progress != nil {
			cfg.Progress(done, total)
		}
	}
	progress(0)
	p.log.Info("replay starting", "partitions", len(bounds), "records", total)

	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	chunks := make(chan chunk, 2*len(ends)+1)
	failed := make(chan error, len(ends))
	for _, b := range bounds {
		if b.end <= b.first {
			continue
		}
		wg.Go(func() {
			if err := p.readPartition(rctx, b.tp.topic, b.tp.partition, b.first, b.end, chunks); err != nil {
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

// partitionBounds is a partition's first offset and end offset (the offset
// the next record will get).
type partitionBounds struct {
	tp         topicPartition
	first, end int64
}

// logBounds lists the partitions of cfg.Topics with their offsets.
func (p *Projector) logBounds(ctx context.Context) ([]partitionBounds, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	meta, err := p.client.Metadata(ctx, &kafka.MetadataRequest{Topics: p.cfg.Topics})
	if err != nil {
		return nil, fmt.Errorf("replay: metadata of %v: %w", p.cfg.Topics, err)
	}
	req := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("replay: topic %s: %w", t.Name, t.Error)
		}
		for _, part := range t.Partitions {
			req[t.Name] = append(req[t.Name], kafka.FirstOffsetOf(part.ID), kafka.LastOffsetOf(part.ID))
		}
	}
	for _, t := range p.cfg.Topics {
		if len(req[t]) == 0 {
			return nil, fmt.Errorf("replay: topic %s has no partitions (does it exist?)", t)
		}
	}
	res, err := p.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		return nil, fmt.Errorf("replay: offsets of %v: %w", p.cfg.Topics, err)
	}
	var bounds []partitionBounds
	for topic, ps := range res.Topics {
		for _, po := range ps {
			if po.Error != nil {
				return nil, fmt.Errorf("replay: offsets of %s/%d: %w", topic, po.Partition, po.Error)
			}
			bounds = append(bounds, partitionBounds{tp: topicPartition{topic, po.Partition}, first: po.FirstOffset, end: po.LastOffset})
		}
	}
	return bounds, nil
}
