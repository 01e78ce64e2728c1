package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/logpos"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// payWaves sends waves of payments over agreements and waits until every
// payment of a wave is final before the next wave; it returns the orders.
func payWaves(h *harness, prefix string, agreements []string, waves, perWave int) []string {
	h.t.Helper()
	var orders []string
	for w := 0; w < waves; w++ {
		var reqs []events.Request
		for i := 0; i < perWave; i++ {
			order := fmt.Sprintf("%s-%d-%d", prefix, w, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[i%len(agreements)], events.CNY(fmt.Sprintf("%d.%02d", 1+i*7%300, i%100))))
		}
		h.send(reqs...)
		if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
			h.t.Fatal(err)
		}
	}
	return orders
}

// stateOf is a partition's state, encoded, after a rebuild.
func stateOf(ctx context.Context, t *testing.T, r *processor.Runner, p int, useSnapshot bool) ([]byte, processor.RebuildStats) {
	t.Helper()
	h, stats, err := r.Rebuild(ctx, p, useSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.(processor.Snapshotter).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return b, stats
}

// TestReplayedSnapshotsEqualLiveState takes snapshots often under load
// with bank faults, then plants a stale snapshot (the state of an earlier
// moment, claiming to be current) as the one in force of a saga partition,
// as a bad deploy could. Verify must name that partition and only it;
// rebuilding the snapshots from a time before the bad one must skip it,
// start from an older good snapshot, and write states byte-identical to a
// fold of the whole log, which a processor then loads on assignment.
func TestReplayedSnapshotsEqualLiveState(t *testing.T) {
	t.Parallel()
	const partitions = 2
	cfg := newConfig(t, partitions)
	cfg.Runtime.SnapshotEvery = 25
	cfg.PayerLink = banklink.Config{Seed: 5, LostReplyRate: 0.1, QueryUnknownRate: 0.5}
	h := startHarness(t, cfg)
	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220606%011d", i), "3000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "2000.00"))
	}
	runners, err := app.Runners(cfg)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*processor.Runner{}
	for _, r := range runners {
		byName[r.Name()] = r
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	payWaves(h, "early", agreements, 1, 40)
	// The stale state planted later: saga partition 0 as it is now.
	stale, _ := stateOf(ctx, t, byName[app.Saga], 0, false)
	time.Sleep(1100 * time.Millisecond) // snapshot and record times are whole milliseconds at least
	point := time.Now()
	time.Sleep(1100 * time.Millisecond)
	payWaves(h, "late", agreements, 2, 40)
	h.shutdown() // a quiet log: every rebuild sees the same events

	planted := plantSnapshot(ctx, t, cfg, topology.SagaSnaps, topology.SagaEvents, 0, stale)
	t.Logf("planted a stale snapshot of saga/0 at events offset %d (%d bytes)", planted, len(stale))

	stateful := []*processor.Runner{byName[app.Saga], byName[app.Payer], byName[app.Reserve]}
	replay := func(r *processor.Runner, from logpos.From, verify bool) []processor.SnapshotReplay {
		t.Helper()
		parts, err := logpos.Resolve(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, []string{r.EventLog()}, from, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.ReplaySnapshots(ctx, parts, from, processor.ReplayOptions{Verify: verify})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != partitions {
			t.Fatalf("%s: %d results for %d partitions", r.Name(), len(res), partitions)
		}
		return res
	}
	differing := func(from logpos.From) []string {
		t.Helper()
		var out []string
		for _, r := range stateful {
			for _, res := range replay(r, from, true) {
				if res.Differs {
					out = append(out, fmt.Sprintf("%s/%d", res.Processor, res.Partition))
				}
			}
		}
		return out
	}

	// Verify names the planted partition, whatever the point.
	for _, from := range []logpos.From{logpos.Start, logpos.At(point), logpos.AtOffset(3)} {
		if got := differing(from); len(got) != 1 || got[0] != "saga/0" {
			t.Fatalf("verify from %s: differing partitions %v, want [saga/0]", from, got)
		}
	}

	// Rebuild from the point: the planted snapshot (taken after it) is
	// skipped, and an older good one seeds the rebuild.
	seeded := 0
	for _, r := range stateful {
		for _, res := range replay(r, logpos.At(point), false) {
			if !res.Written {
				t.Fatalf("%s/%d: not written", res.Processor, res.Partition)
			}
			if res.Rebuild.FromSnapshot {
				seeded++
				if res.Rebuild.EventsOffset > res.From {
					t.Errorf("%s/%d: seeded by a snapshot at %d, after the point (offset %d)", res.Processor, res.Partition, res.Rebuild.EventsOffset, res.From)
				}
			}
			full, _ := stateOf(ctx, t, r, res.Partition, false)
			loaded, stats := stateOf(ctx, t, r, res.Partition, true)
			if !bytes.Equal(full, loaded) {
				t.Fatalf("%s/%d: the state a processor loads after the rebuild differs from the whole log's (%d vs %d bytes)", res.Processor, res.Partition, len(loaded), len(full))
			}
			if !stats.FromSnapshot || stats.EventsOffset != res.Rebuild.EndOffset || stats.Events != 0 {
				t.Errorf("%s/%d: assignment loads snapshot %v at %d + %d events; want the rebuilt one at %d", res.Processor, res.Partition,
					stats.FromSnapshot, stats.EventsOffset, stats.Events, res.Rebuild.EndOffset)
			}
			t.Logf("%s/%d: from offset %d, seeded by snapshot %v at %d, folded %d events to %d",
				res.Processor, res.Partition, res.From, res.Rebuild.FromSnapshot, res.Rebuild.EventsOffset, res.Rebuild.Events, res.Rebuild.EndOffset)
		}
	}
	if seeded < 3 {
		t.Fatalf("only %d partitions were seeded by an older snapshot; the test did not exercise the choice of snapshot", seeded)
	}
	for _, from := range []logpos.From{logpos.Start, logpos.At(point)} {
		if got := differing(from); len(got) != 0 {
			t.Fatalf("verify from %s after the rebuild: %v differ", from, got)
		}
	}
}

// plantSnapshot writes state as the snapshot in force of partition p of
// snapshot topic snaps, claiming to hold the event log up to its current
// end, in the runtime's record format (services/processor/snapshot.go):
// one chunk, then the manifest. It returns the claimed offset.
func plantSnapshot(ctx context.Context, t *testing.T, cfg app.Config, snaps, eventLog string, p int, state []byte) int64 {
	t.Helper()
	top := cfg.Kafka.Topology
	parts, err := logpos.Resolve(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, []string{top.Name(eventLog)}, logpos.Start, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	end := parts[p].End
	id := events.DeriveID("planted snapshot", strconv.FormatInt(end, 10))
	sum := sha256.Sum256(state)
	manifest, _ := json.Marshal(map[string]any{
		"snapshot_id": id, "partition": p, "events_offset": end, "chunks": 1, "bytes": len(state),
		"sha256": hex.EncodeToString(sum[:]), "taken_at": time.Now().UTC(),
	})
	w := &kafka.Writer{Addr: kafka.TCP(cfg.Kafka.Brokers...), Topic: top.Name(snaps), RequiredAcks: kafka.RequireAll,
		Balancer: kafka.BalancerFunc(func(kafka.Message, ...int) int { return p })}
	defer w.Close()
	header := []kafka.Header{{Key: "paycore_partition", Value: []byte(strconv.Itoa(p))}}
	if err := w.WriteMessages(ctx,
		kafka.Message{Key: fmt.Appendf(nil, "snapshot/%d/%s/0", p, id), Value: state, Headers: header},
		kafka.Message{Key: fmt.Appendf(nil, "snapshot/%d", p), Value: manifest, Headers: header},
	); err != nil {
		t.Fatal(err)
	}
	return end
}
