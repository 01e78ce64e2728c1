package processor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/segmentio/kafka-go"
)

// Snapshots of a partition's state live on the processor's compacted
// snapshot topic, in the same partition number as the state they hold.
//
// A snapshot is written as chunks (keys "snapshot/<p>/<id>/<i>") followed by
// a manifest (key "snapshot/<p>") naming the snapshot ID, its chunk count,
// its SHA-256, and EventsOffset: the event-log offset up to which the state
// is folded. Chunk keys are unique per snapshot, so compaction can never mix
// chunks of two snapshots; once a manifest is acknowledged, the previous
// snapshot's chunks are deleted with tombstones. A crash mid-write leaves
// chunks without a manifest, which rebuild ignores.
//
// Rebuild reads the latest complete snapshot, restores it, then folds the
// event log from EventsOffset. Anything wrong with the snapshot (missing
// chunk, checksum, Restore error) falls back to folding the whole log: a
// snapshot is an optimisation, never the source of truth.
//
// The state a snapshot holds is the handler's Snapshot followed by the
// partition's hash-chain state (see links in chain.go).

// manifest describes one snapshot.
type manifest struct {
	SnapshotID   string    `json:"snapshot_id"`
	Partition    int       `json:"partition"`
	EventsOffset int64     `json:"events_offset"`
	Chunks       int       `json:"chunks"`
	Bytes        int       `json:"bytes"`
	SHA256       string    `json:"sha256"`
	TakenAt      time.Time `json:"taken_at"`
}

// headerPartition carries the target partition of a snapshot record: the
// snapshot writer's balancer routes by it instead of hashing the key.
const headerPartition = "paycore_partition"

func manifestKey(p int) string { return "snapshot/" + strconv.Itoa(p) }

func chunkKey(p int, id string, i int) string {
	return fmt.Sprintf("snapshot/%d/%s/%d", p, id, i)
}

// partitionFromHeader is a kafka-go balancer that sends a record to the
// partition named in its headerPartition header.
type partitionFromHeader struct{}

func (partitionFromHeader) Balance(msg kafka.Message, partitions ...int) int {
	for _, h := range msg.Headers {
		if h.Key == headerPartition {
			if p, err := strconv.Atoi(string(h.Value)); err == nil {
				return p
			}
		}
	}
	panic("processor: snapshot record without " + headerPartition) // only this file writes them
}

// snapshotter is the snapshot side of one partition.
//
// Taking a snapshot has two halves. Encoding the state must happen in the
// partition's goroutine, between two batches, so that the state and its
// event-log offset agree. Writing it (chunks of up to SnapshotChunkBytes,
// acks=all, then the manifest and the old chunks' tombstones) is several
// round trips for a state of megabytes: done in the partition's goroutine
// it stalled every payment of the partition for that long, which showed
// as the p99 of a steady load. So the write runs in a goroutine of its
// own, one at a time per partition; a snapshot due while the previous one
// is still being written waits for the next batch.
type snapshotter struct {
	r        *Runner
	id       int
	last     *manifest // the snapshot in force, whose chunks are live
	applied  int       // events folded since the last snapshot was taken
	previous []string  // chunk keys of the snapshot in force
	writing  chan snapshotWritten
	takenAt  time.Time     // when the last snapshot was taken
	encoding time.Duration // how long the partition paused to take it
}

// snapshotSpacing is how many times its last pause a partition waits
// before the next snapshot (see Config.SnapshotEvery).
const snapshotSpacing = 20

// snapshotWritten is what a background write reports.
type snapshotWritten struct {
	manifest *manifest
	keys     []string
	took     time.Duration // encoding and writing
	err      error
}

// maybeTake takes a snapshot when enough events were folded since the
// last, unless the previous one is still being written. It is called
// after a batch was written, so every event of the state is acknowledged
// and, this partition being its only writer, the event log's end offset
// is exactly the state's position.
func (s *snapshotter) maybeTake(ctx context.Context, p *partition) error {
	if _, ok := p.handler.(Snapshotter); !ok || s.r.cfg.Snapshots == "" {
		return nil
	}
	if s.writing != nil {
		select {
		case w := <-s.writing:
			s.finished(w)
		default:
			return nil // still writing
		}
	}
	if s.applied < s.r.cfg.SnapshotEvery || time.Since(s.takenAt) < snapshotSpacing*s.encoding {
		return nil
	}
	start := time.Now()
	_, end, err := s.r.offsets(ctx, s.r.cfg.Events, s.id)
	if err != nil {
		return err
	}
	state, err := p.snapshot()
	if err != nil {
		return fmt.Errorf("snapshot of partition %d: %w", s.id, err)
	}
	s.applied, s.takenAt, s.encoding = 0, time.Now(), time.Since(start)
	s.writing = make(chan snapshotWritten, 1)
	previous := s.previous
	go func() {
		m, keys, err := s.write(ctx, state, end, previous)
		s.writing <- snapshotWritten{manifest: m, keys: keys, took: time.Since(start), err: err}
	}()
	return nil
}

// finished takes in the result of a background write.
func (s *snapshotter) finished(w snapshotWritten) {
	s.writing = nil
	if w.err != nil {
		// A snapshot only shortens rebuilds; try again after the next batch.
		s.applied = max(s.applied, s.r.cfg.SnapshotEvery)
		s.r.log.Warn("snapshot failed", "partition", s.id, "err", w.err)
		return
	}
	s.last, s.previous = w.manifest, w.keys
	if obs := s.r.cfg.Observer; obs != nil {
		obs.Snapshotted(s.r.cfg.Name, s.id, w.manifest.Bytes, w.took)
	}
	s.r.log.Info("snapshot written", "partition", s.id, "events_offset", w.manifest.EventsOffset, "bytes", w.manifest.Bytes,
		"chunks", w.manifest.Chunks, "took", w.took.Round(time.Millisecond), "partition_paused", s.encoding.Round(time.Millisecond))
}

// wait lets a write in progress end before the partition does (it ends
// early when the partition's context is cancelled: a snapshot cut short
// has no manifest and is ignored).
func (s *snapshotter) wait() {
	if s.writing != nil {
		s.finished(<-s.writing)
	}
}

// write writes state, the partition's state folded up to the event-log
// offset end, as its snapshot in force: chunks, then the manifest, then
// tombstones for previous, the chunks of the snapshot it replaces. It
// returns the new manifest and chunk keys.
func (s *snapshotter) write(ctx context.Context, state []byte, end int64, previous []string) (*manifest, []string, error) {
	sum := sha256.Sum256(state)
	m := manifest{
		SnapshotID: events.DeriveID("snapshot", s.r.cfg.Events, strconv.Itoa(s.id), strconv.FormatInt(end, 10)),
		Partition:  s.id, EventsOffset: end, Bytes: len(state), SHA256: hex.EncodeToString(sum[:]), TakenAt: time.Now().UTC(),
	}
	header := []kafka.Header{{Key: headerPartition, Value: []byte(strconv.Itoa(s.id))}}
	var msgs []kafka.Message
	var keys []string
	for off := 0; off < len(state) || off == 0; off += s.r.cfg.SnapshotChunkBytes {
		chunk := state[off:min(off+s.r.cfg.SnapshotChunkBytes, len(state))]
		key := chunkKey(s.id, m.SnapshotID, m.Chunks)
		msgs = append(msgs, kafka.Message{Topic: s.r.cfg.Snapshots, Key: []byte(key), Value: chunk, Headers: header})
		keys = append(keys, key)
		m.Chunks++
		if len(state) == 0 {
			break
		}
	}
	if err := s.r.snapWriter.WriteMessages(ctx, msgs...); err != nil {
		return nil, nil, fmt.Errorf("writing snapshot chunks of partition %d: %w", s.id, err)
	}
	body, _ := json.Marshal(m)
	if err := s.r.snapWriter.WriteMessages(ctx, kafka.Message{Topic: s.r.cfg.Snapshots, Key: []byte(manifestKey(s.id)), Value: body, Headers: header}); err != nil {
		return nil, nil, fmt.Errorf("writing snapshot manifest of partition %d: %w", s.id, err)
	}
	// The new snapshot is in force; the old chunks may go, unless they are
	// the new ones: a snapshot taken again at the same offset has the same
	// ID, hence the same chunk keys.
	var tombstones []kafka.Message
	for _, k := range previous {
		if !slices.Contains(keys, k) {
			tombstones = append(tombstones, kafka.Message{Topic: s.r.cfg.Snapshots, Key: []byte(k), Value: nil, Headers: header})
		}
	}
	if len(tombstones) > 0 {
		if err := s.r.snapWriter.WriteMessages(ctx, tombstones...); err != nil {
			s.r.log.Warn("could not delete old snapshot chunks; compaction keeps them", "partition", s.id, "err", err)
		}
	}
	return &m, keys, nil
}

// latestSnapshot reads the snapshot partition and returns the newest
// complete snapshot (its manifest and state), or nil when there is none.
func (r *Runner) latestSnapshot(ctx context.Context, p int) (*manifest, []byte, []string, error) {
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
	var latest *manifest
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
			if json.Unmarshal(m.Value, &man) == nil {
				latest = &man
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
	if latest == nil {
		return nil, nil, nil, nil
	}
	state, keys, err := assemble(p, latest, chunks)
	if err != nil {
		return nil, nil, nil, err
	}
	return latest, state, keys, nil
}

// assemble joins the chunks of snapshot m of partition p, read from the
// snapshot topic into chunks (by key), and checks them against m.
func assemble(p int, m *manifest, chunks map[string][]byte) ([]byte, []string, error) {
	var state []byte
	var keys []string
	for i := 0; i < m.Chunks; i++ {
		k := chunkKey(p, m.SnapshotID, i)
		c, ok := chunks[k]
		if !ok {
			return nil, nil, fmt.Errorf("snapshot %s misses chunk %d", m.SnapshotID, i)
		}
		state = append(state, c...)
		keys = append(keys, k)
	}
	sum := sha256.Sum256(state)
	if hex.EncodeToString(sum[:]) != m.SHA256 || len(state) != m.Bytes {
		return nil, nil, errors.New("snapshot " + m.SnapshotID + " fails its checksum")
	}
	return state, keys, nil
}

// RebuildStats says how a partition's state was rebuilt.
type RebuildStats struct {
	FromSnapshot  bool
	SnapshotBytes int
	EventsOffset  int64 // where folding the log started
	EndOffset     int64 // where it ended: the state holds the log before it
	Events        int   // events folded after the snapshot (or in all)
	Took          time.Duration
}

// Rebuild builds the state of one partition as a new owner would: from the
// latest snapshot when useSnapshot (and the handler supports it) plus the
// log tail, otherwise from the whole log. It is what runs on assignment,
// exported so that tests and operators can compare both ways.
func (r *Runner) Rebuild(ctx context.Context, id int, useSnapshot bool) (Handler, RebuildStats, error) {
	p := r.newPartition(nil, id)
	stats, err := p.rebuild(ctx, useSnapshot)
	return p.handler, stats, err
}
