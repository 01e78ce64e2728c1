package processor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paycore/paycore/events/logpos"
	"github.com/segmentio/kafka-go"
)

// Replaying snapshots. A snapshot is state, not history, so "rebuild the
// snapshots from a point" means: distrust every snapshot taken after the
// point, start from the newest snapshot taken at or before it (or from the
// log's beginning when there is none), fold the event log forward to its
// end, and write the result as the snapshot in force. The state is the
// same whatever the point; the point only says which snapshots may seed
// it. From the beginning no snapshot is used at all.

// SnapshotReplay says what ReplaySnapshots did to one partition.
type SnapshotReplay struct {
	Processor string
	Partition int
	// From is the point's offset in the partition's event log: only a
	// snapshot of the log before it (taken at or before the point's time,
	// for a time) may seed the rebuild.
	From int64
	// Rebuild is the rebuild from the point: FromSnapshot and
	// EventsOffset say which snapshot seeded it, EndOffset where the
	// state stands.
	Rebuild RebuildStats
	// Bytes is the size of the rebuilt state's snapshot.
	Bytes int
	// Written says the rebuilt state was written as the snapshot in force.
	Written bool
	// Baseline is, in verify mode, the rebuild a restarting processor
	// would do (latest snapshot + tail); Differs says its state is not
	// byte-identical to the rebuilt one.
	Baseline RebuildStats
	Differs  bool
}

// ReplayOptions tune ReplaySnapshots.
type ReplayOptions struct {
	// Verify compares instead of writing.
	Verify bool
	// Parallel bounds the partitions rebuilt at once (default 4).
	Parallel int
	// Covered, if set, is told how many offsets of the event log each
	// step accounted for (a snapshot's, then one per event folded), from
	// several goroutines at once: it follows the progress.
	Covered func(n int64)
}

// EventLog returns the processor's event topic (empty for a stateless
// processor): parts for ReplaySnapshots are resolved on it.
func (r *Runner) EventLog() string { return r.cfg.Events }

// Snapshots reports whether the processor keeps snapshots: its handlers
// implement Snapshotter and it has a snapshot topic.
func (r *Runner) Snapshots() bool {
	if r.cfg.Events == "" || r.cfg.Snapshots == "" {
		return false
	}
	_, ok := r.cfg.Factory(0).(Snapshotter)
	return ok
}

// ReplaySnapshots rebuilds the state of every partition of parts (the
// processor's event log resolved at from, see EventLog) from the newest
// snapshot taken at or before from, and writes it as the partition's
// snapshot, which the runtime loads at the next assignment. A running
// processor may keep running: the state written is exact for the offset it
// names, and a snapshot it writes later supersedes it.
//
// With opts.Verify nothing is written: each rebuilt state is compared,
// byte for byte, with what a restarting processor would load (its latest
// snapshot plus the log after it), both folded to the same offset. The
// results are in parts' order; the error is the first failure.
func (r *Runner) ReplaySnapshots(ctx context.Context, parts []logpos.Partition, from logpos.From, opts ReplayOptions) ([]SnapshotReplay, error) {
	if !r.Snapshots() {
		return nil, fmt.Errorf("%s: keeps no snapshots", r.cfg.Name)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	for _, part := range parts {
		if part.Topic != r.cfg.Events {
			return nil, fmt.Errorf("%s: partition of %s, not of its event log %s", r.cfg.Name, part.Topic, r.cfg.Events)
		}
	}
	out := make([]SnapshotReplay, len(parts))
	errs := make([]error, len(parts))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			out[i], errs[i] = r.replaySnapshot(ctx, part, from, opts)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *Runner) replaySnapshot(ctx context.Context, part logpos.Partition, from logpos.From, opts ReplayOptions) (SnapshotReplay, error) {
	res := SnapshotReplay{Processor: r.cfg.Name, Partition: part.Partition, From: part.Start}
	var pick snapshotPicker
	switch from.Kind {
	case logpos.Offset:
		pick = r.snapshotAtOrBefore(part.Start, time.Time{})
	case logpos.Time:
		pick = r.snapshotAtOrBefore(part.Start, from.Time)
	}
	end := part.End
	var baseline *partition
	if opts.Verify {
		// What a restarting processor loads, first: it fixes the offset
		// both states are folded to (a snapshot written meanwhile may be
		// newer than part.End).
		baseline = r.newPartition(nil, part.Partition)
		stats, err := baseline.rebuildWith(ctx, r.latestSnapshot, -1, nil)
		if err != nil {
			return res, fmt.Errorf("%s partition %d: latest snapshot + tail: %w", r.cfg.Name, part.Partition, err)
		}
		res.Baseline, end = stats, stats.EndOffset
	}
	p := r.newPartition(nil, part.Partition)
	stats, err := p.rebuildWith(ctx, pick, end, opts.Covered)
	if err != nil {
		return res, fmt.Errorf("%s partition %d: rebuild from %s: %w", r.cfg.Name, part.Partition, from, err)
	}
	res.Rebuild = stats
	state, err := p.snapshot() // handler state and hash-chain state
	if err != nil {
		return res, fmt.Errorf("%s partition %d: snapshot: %w", r.cfg.Name, part.Partition, err)
	}
	res.Bytes = len(state)
	if opts.Verify {
		other, err := baseline.snapshot()
		if err != nil {
			return res, fmt.Errorf("%s partition %d: snapshot of the latest snapshot + tail: %w", r.cfg.Name, part.Partition, err)
		}
		res.Differs = !bytes.Equal(state, other)
		return res, nil
	}
	// The snapshot in force now is replaced: its chunks may go once the
	// new manifest is written. An unusable one has none worth deleting.
	_, _, previous, err := r.latestSnapshot(ctx, part.Partition)
	if err != nil {
		previous = nil
	}
	s := &snapshotter{r: r, id: part.Partition}
	if _, _, err := s.write(ctx, state, stats.EndOffset, previous); err != nil {
		return res, fmt.Errorf("%s: %w", r.cfg.Name, err)
	}
	res.Written = true
	r.log.Info("snapshot rebuilt and written", "partition", part.Partition, "from", from.String(), "seeded_by_snapshot", stats.FromSnapshot,
		"seed_offset", stats.EventsOffset, "events", stats.Events, "events_offset", stats.EndOffset, "bytes", len(state))
	return res, nil
}

// snapshotAtOrBefore picks the newest complete snapshot of the state
// before event-log offset offset, taken at or before at (unless at is
// zero). Older snapshots stay readable only until compaction removes their
// records: when none qualifies any more, the rebuild folds the whole log.
func (r *Runner) snapshotAtOrBefore(offset int64, at time.Time) snapshotPicker {
	return func(ctx context.Context, p int) (*manifest, []byte, []string, error) {
		first, last, err := r.offsets(ctx, r.cfg.Snapshots, p)
		if err != nil || last <= first {
			return nil, nil, nil, err
		}
		reader := kafka.NewReader(kafka.ReaderConfig{
			Brokers: r.cfg.Brokers, Dialer: r.cfg.Connector.Dialer(), Topic: r.cfg.Snapshots, Partition: p,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond,
		})
		defer reader.Close()
		if err := reader.SetOffset(first); err != nil {
			return nil, nil, nil, err
		}
		var best *manifest
		var state []byte
		var keys []string
		chunks := map[string][]byte{}
		for {
			m, err := reader.FetchMessage(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			key := string(m.Key)
			switch {
			case key == manifestKey(p) && m.Value != nil:
				var man manifest
				qualifies := json.Unmarshal(m.Value, &man) == nil && man.EventsOffset <= offset && (at.IsZero() || !man.TakenAt.After(at))
				if !qualifies {
					break
				}
				// The chunks as they are now: a later manifest's
				// tombstones have not been read yet.
				if s, k, err := assemble(p, &man, chunks); err == nil {
					best, state, keys = &man, s, k
				} else {
					r.log.Warn("snapshot not usable", "partition", p, "snapshot", man.SnapshotID, "err", err)
				}
			case strings.HasPrefix(key, manifestKey(p)+"/"):
				if m.Value == nil {
					delete(chunks, key)
				} else {
					chunks[key] = m.Value
				}
			}
			if m.Offset >= last-1 {
				break
			}
		}
		return best, state, keys, nil
	}
}
