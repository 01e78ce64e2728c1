package app_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
)

// workload is a seeded random mix of payments (some over limits, some over
// balance, some repeated, some with reused keys) plus malformed requests.
type workload struct {
	rng *rand.Rand
}

func (w *workload) amount() events.Money {
	// 0.01 .. 400.00 in fen, so limits and balances are hit regularly.
	fen := w.rng.IntN(40000) + 1
	return events.CNY(fmt.Sprintf("%d.%02d", fen/100, fen%100))
}

// TestRandomWorkloadWithFaultsKeepsInvariants runs a seeded random workload
// through the real broker with every kind of bank-link fault on, then lets
// the audit recompute DOMAIN.md's invariants from the log.
func TestRandomWorkloadWithFaultsKeepsInvariants(t *testing.T) {
	t.Parallel()
	const seed, accounts, payments = 20261129, 8, 240
	cfg := newConfig(t, 3)
	faults := banklink.Config{Seed: seed, TimeoutRate: 0.05, LostReplyRate: 0.1, QueryUnknownRate: 0.85,
		LatencyMax: 0} // latency stays small: deadlines are 300ms here
	cfg.PayerLink, cfg.ReserveLink = faults, faults
	cfg.ReserveLink.Seed = seed + 1
	h := startHarness(t, cfg)
	w := &workload{rng: rand.New(rand.NewPCG(seed, 7))}

	var agreements []string
	for i := 0; i < accounts; i++ {
		acc := h.openAccount(fmt.Sprintf("62220202%011d", i), "4000.00")
		agreements = append(agreements, h.sign(chanID, acc, "300.00", "3000.00"))
	}
	var batch []events.Request
	var orders []string
	for i := 0; i < payments; i++ {
		order := fmt.Sprintf("w-%d", i)
		req := channel.Pay(chanID, order, order, agreements[w.rng.IntN(accounts)], w.amount())
		batch = append(batch, req)
		orders = append(orders, order)
		switch w.rng.IntN(20) {
		case 0: // the channel retries: same key, same body
			batch = append(batch, req)
		case 1: // a bug in the channel: key reused with another body
			dup := channel.Pay(chanID, order+"-reuse", order, agreements[0], events.CNY("1.00"))
			batch = append(batch, dup)
			orders = append(orders, order+"-reuse")
		case 2: // garbage
			bad := order + "-bad"
			if err := h.client.SendRaw(h.ctx, bad, []byte(`{"type":"pay","order_id":"`+bad+`","channel_id":"`+chanID+`","body":[`)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The reserve account holds less than the refunds will ask for, so
	// some fail for insufficient_reserve_funds after the sub-accounts lent
	// each other what they had.
	h.fundReserve("RSV-"+chanID, "workload-funding", "2500.00")
	h.send(batch...)
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		t.Fatal(err)
	}
	refunds := w.refunds(t, h, orders)
	if err := h.outcomes.WaitAll(h.ctx, refunds, channel.Final); err != nil {
		t.Fatal(err)
	}
	rep := h.audit()
	t.Logf("workload seed %d:\n%s", seed, rep)
	if rep.Payments != payments {
		t.Fatalf("%d payments in the log, want %d", rep.Payments, payments)
	}
	// The faults must actually have produced the hard cases.
	for _, s := range []string{events.StatusSuccess, events.StatusFailure} {
		if rep.FinalStatuses[s] == 0 {
			t.Errorf("no %s in a faulty workload: the test is not exercising what it claims", s)
		}
	}
	if rep.FinalStatuses[events.StatusPresumedFailure]+rep.FinalStatuses[events.StatusPresumedSuccess] == 0 {
		t.Errorf("no presumed status in a faulty workload")
	}
	if rep.Refunds == 0 || rep.RefundStatuses[events.StatusSuccess] == 0 || rep.RefundStatuses[events.StatusFailure] == 0 {
		t.Errorf("refunds %d by status %v: want successes and failures", rep.Refunds, rep.RefundStatuses)
	}
}

// refunds sends, for a random half of the refundable payments, one to
// three refunds at once (partial, whole, and more than the remainder, so
// concurrent refunds of one payment compete), and returns their orders.
func (w *workload) refunds(t *testing.T, h *harness, orders []string) []string {
	t.Helper()
	var batch []events.Request
	var refundOrders []string
	for _, order := range orders {
		out := h.wait(order, channel.Final)
		refundable := out.Status == events.StatusSuccess || out.Status == events.StatusPresumedSuccess
		if !refundable || out.RequestType != events.RequestPay || w.rng.IntN(2) == 0 {
			continue
		}
		for i := range w.rng.IntN(3) + 1 {
			amount := *out.Amount
			if fen := amount.MinorUnits() / 2; w.rng.IntN(2) == 0 && fen > 0 {
				amount = events.CNY(fmt.Sprintf("%d.%02d", fen/100, fen%100))
			}
			ro := fmt.Sprintf("%s-refund-%d", order, i)
			batch = append(batch, channel.Refund(chanID, ro, ro, out.TransactionID, amount))
			refundOrders = append(refundOrders, ro)
		}
	}
	h.send(batch...)
	return refundOrders
}
