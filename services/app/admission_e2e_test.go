package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/grouplag"
)

// TestAdmissionHoldsRequestsWhileTheSagasAreBehind stalls everything
// downstream of the intake (the intake runs alone) and publishes more
// payments than the gate admits: with nothing handled downstream the
// budget stops at a backlog of MinLag records, so the intake forwards
// about that many and holds the rest in the requests topic. Once the sagas and banks run,
// the gate opens and every payment succeeds, none lost, none twice, and
// the audit is clean.
func TestAdmissionHoldsRequestsWhileTheSagasAreBehind(t *testing.T) {
	cfg := newConfig(t, 1)
	cfg.Admission = admission.Config{MaxDelay: 200 * time.Millisecond, MinLag: 30, Interval: 20 * time.Millisecond}
	// The sagas' clocks start when the intake admits a payment; the few
	// admitted before the gate closed wait for the stalled sagas, so give
	// them time (a stall longer than the final timeouts presumes them).
	cfg.Saga.LegTimeout, cfg.Saga.QueryInterval = 5*time.Second, time.Second
	cfg.Saga.PayerFinalTimeout, cfg.Saga.ReserveFinalTimeout = time.Minute, time.Minute
	h := startHarness(t, cfg)
	acct := h.openAccount("6222020000000777", "1000.00")
	agreement := h.sign("CH01", acct, "100.00", "100000.00")
	h.shutdown()

	run := func(processors ...string) (stop func()) {
		c := cfg
		c.Processors = processors
		ctx, cancel := context.WithCancel(h.ctx)
		done := make(chan error, 1)
		go func() { done <- app.Run(ctx, c, false) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%v stopped with: %v", processors, err)
			}
		}
	}
	stopIntake := run(app.Intake)
	defer stopIntake()

	const payments = 600
	orders := make([]string, payments)
	reqs := make([]events.Request, payments)
	for i := range reqs {
		orders[i] = h.next("adm")
		reqs[i] = channel.Pay("CH01", orders[i], orders[i], agreement, events.CNY("1.00"))
	}
	h.send(reqs...)

	top := cfg.Kafka.Topology
	lag := grouplag.NewReader(cfg.Kafka.Brokers, nil, app.Inboxes(top))
	var rd grouplag.Reading
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		if rd, err = lag.Read(h.ctx); err != nil {
			t.Fatal(err)
		}
		// The intake has caught up with what the gate lets through when
		// its own lag stops moving.
		time.Sleep(time.Second)
		again, err := lag.Read(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Lag.Of(app.Intake) == rd.Lag.Of(app.Intake) && rd.Lag.Of(app.Saga) > 0 {
			rd = again
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the intake never settled: lag %v", again.Lag)
		}
	}
	held, admitted := rd.Lag.Of(app.Intake), rd.Lag.Of(app.Saga)
	t.Logf("sagas stalled: %d payments admitted to the saga inbox, %d held in the requests topic", admitted, held)
	if admitted == 0 {
		t.Errorf("nothing admitted: an idle system must be given MinLag's worth")
	}
	if admitted > 300 || held < payments-300 {
		t.Fatalf("%d admitted, %d held of %d: the gate did not hold the requests back", admitted, held, payments)
	}

	stopRest := run(app.Saga, app.Payer, app.Reserve)
	defer stopRest()
	ctx, cancel := context.WithTimeout(h.ctx, 2*time.Minute)
	defer cancel()
	if err := h.outcomes.WaitAll(ctx, orders, channel.Final); err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		outs := h.outcomes.Get(o)
		if got := outs[len(outs)-1]; got.Status != events.StatusSuccess {
			t.Fatalf("%s ended %s (%s), want success", o, got.Status, got.Reason)
		}
	}
	h.audit()
}
