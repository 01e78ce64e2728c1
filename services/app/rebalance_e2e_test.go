package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/topology"
)

// TestSecondInstanceJoiningMidLoad starts a second instance of every
// processor while payments are in flight, so that partitions move between
// owners under load, and stops it again before the end: nothing is lost or
// applied twice, and every payment has exactly one final outcome.
func TestSecondInstanceJoiningMidLoad(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 4)
	cfg.Secrets.Chain = testChainKey
	h := startHarness(t, cfg)
	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220606%011d", i), "5000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "5000.00"))
	}
	var orders []string
	wave := func(w int) {
		var reqs []events.Request
		for i := 0; i < 80; i++ {
			order := fmt.Sprintf("rebal-%d-%d", w, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[i%4], events.CNY(fmt.Sprintf("%d.%02d", 1+i*3%200, i))))
		}
		h.send(reqs...)
	}
	wave(0)
	// The second instance joins while wave 0 is in flight.
	ctx, stop := context.WithCancel(h.ctx)
	second := make(chan error, 1)
	go func() { second <- app.Run(ctx, cfg, false) }()
	time.Sleep(200 * time.Millisecond)
	wave(1)
	time.Sleep(8 * time.Second) // a rebalance, work on both instances
	wave(2)
	stop() // and leaves again: its partitions move back
	if err := <-second; err != nil {
		t.Fatalf("second instance: %v", err)
	}
	wave(3)
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		finals := 0
		for _, out := range h.outcomes.Get(o) {
			if channel.Final(out) {
				finals++
			}
		}
		if finals != 1 {
			t.Fatalf("order %s has %d distinct final outcomes", o, finals)
		}
	}
	rep := h.audit()
	if rep.Payments != len(orders) {
		t.Fatalf("%d payments in the log, want %d", rep.Payments, len(orders))
	}
	// Two owners of a partition write the same events: the chains hold.
	top := cfg.Kafka.Topology
	verifyClean(t, cfg.Kafka.Brokers, []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents)})
}
