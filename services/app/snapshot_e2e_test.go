package app_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/processor"
)

// TestSnapshotPlusTailEqualsFullReplay takes snapshots often, keeps
// working after them, then rebuilds every partition of every stateful
// processor twice, from the latest snapshot plus the log tail and from the
// whole log, and requires byte-identical states.
func TestSnapshotPlusTailEqualsFullReplay(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 2)
	cfg.Runtime.SnapshotEvery = 25
	cfg.PayerLink = banklink.Config{Seed: 3, LostReplyRate: 0.1, QueryUnknownRate: 0.5}
	h := startHarness(t, cfg)
	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220404%011d", i), "3000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "2000.00"))
	}
	var orders []string
	for wave := 0; wave < 3; wave++ {
		var reqs []events.Request
		for i := 0; i < 40; i++ {
			order := fmt.Sprintf("snap-%d-%d", wave, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[i%len(agreements)], events.CNY(fmt.Sprintf("%d.25", 1+i*7%300))))
		}
		h.send(reqs...)
		if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
			t.Fatal(err)
		}
	}
	h.shutdown() // quiet log: both rebuilds see the same events

	runners, err := app.Runners(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fromSnapshot := 0
	for _, r := range runners {
		if r.Name() == app.Intake {
			continue // stateless
		}
		for p := 0; p < 2; p++ {
			full, fullStats, err := r.Rebuild(ctx, p, false)
			if err != nil {
				t.Fatal(err)
			}
			snap, snapStats, err := r.Rebuild(ctx, p, true)
			if err != nil {
				t.Fatal(err)
			}
			if snapStats.FromSnapshot {
				fromSnapshot++
				if snapStats.Events >= fullStats.Events {
					t.Errorf("%s/%d: snapshot rebuild folded %d events, full %d: the snapshot saved nothing", r.Name(), p, snapStats.Events, fullStats.Events)
				}
			}
			a, err := full.(processor.Snapshotter).Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			b, err := snap.(processor.Snapshotter).Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%s partition %d: state from snapshot+tail differs from full replay (%d vs %d bytes)", r.Name(), p, len(b), len(a))
			}
			t.Logf("%s/%d: full replay %d events; snapshot %v (%d bytes) + %d events", r.Name(), p, fullStats.Events, snapStats.FromSnapshot, snapStats.SnapshotBytes, snapStats.Events)
		}
	}
	if fromSnapshot < 3 {
		t.Fatalf("only %d partitions had a snapshot; the test did not exercise snapshots", fromSnapshot)
	}
}
