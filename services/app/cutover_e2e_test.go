package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/directpath"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/processor"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

const legacyChan = "LEGACYCO"

// TestCutoverRoutesByVersionedRulesAndRefundsTheLegacyWay runs the cutover
// on the real broker: rules v1 puts the institution on the direct path,
// v2 (published while running) rolls 50% of its payers out to NetsUnion,
// both paths then run side by side, each transaction records the rules
// version that routed it, a resent request keeps its first path, and a
// legacy refund is paid by each of the three methods.
func TestCutoverRoutesByVersionedRulesAndRefundsTheLegacyWay(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 3)
	cfg.Cutover.Enabled = true
	// No faults here: deadlines only need to outlast a loaded machine, so
	// every status is the banks' real answer (timeouts are unit-tested).
	cfg.Cutover.Direct.LegTimeout, cfg.Cutover.Direct.QueryInterval, cfg.Cutover.Direct.FinalTimeout = time.Second, 500*time.Millisecond, 30*time.Second
	cfg.Saga.LegTimeout, cfg.Saga.QueryInterval = time.Second, 500*time.Millisecond
	cfg.Saga.PayerFinalTimeout, cfg.Saga.ReserveFinalTimeout = 30*time.Second, 30*time.Second
	top := cfg.Kafka.Topology
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := topology.Ensure(ctx, cfg.Kafka.Brokers, top, topology.EnsureOptions{Create: true, Connector: cfg.Kafka.Connector}); err != nil {
		t.Fatal(err)
	}
	// The test follows the rules itself, so it knows when the intake has
	// a version; app.Run would start an identical follower.
	reg := events.Catalog()
	rules, err := cutover.Follow(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.CutoverRules), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cutover.Rules = rules
	publish := func(in events.InstitutionRules, version int) {
		t.Helper()
		in.ChannelID = legacyChan
		err := cutover.Publish(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.CutoverRules), reg,
			events.CutoverRulesPublished{Version: version, Institutions: []events.InstitutionRules{in}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for rules.Rules().Version() != version {
			if time.Now().After(deadline) {
				t.Fatalf("rules version %d not in force after 30s", version)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	h := startHarness(t, cfg)

	// Six payers, three on each side of the 50% rollout line.
	type payer struct {
		acc         bankadmin.Account
		agreementNo string
		netsunion   bool // under 50% rollout
	}
	var payers []payer
	var low, high int
	for i := 0; low < 3 || high < 3; i++ {
		number := fmt.Sprintf("62220202%011d", i)
		below := cutover.Bucket(h.deriver.Key(number)) < 50
		if (below && low == 3) || (!below && high == 3) {
			continue
		}
		if below {
			low++
		} else {
			high++
		}
		acc := h.openAccount(number, "1000.00")
		payers = append(payers, payer{acc: acc, agreementNo: h.sign(legacyChan, acc, "500.00", "2000.00"), netsunion: below})
	}

	// v1: the whole institution on the direct path; legacy refunds advanced by the bank.
	publish(events.InstitutionRules{DefaultPath: events.PathDirect, LegacyRefund: events.LegacyRefundBankAdvance}, 1)
	round1 := map[string]events.Outcome{}
	for _, p := range payers {
		out := h.pay(legacyChan, p.agreementNo, "100.00")
		if out.Status != events.StatusSuccess || out.Path != events.PathDirect || out.RouteVersion != 1 {
			t.Fatalf("v1 payment: %+v, want success over the direct path, version 1", out)
		}
		round1[out.TransactionID] = out
	}

	// v2 at runtime: 50% rollout. All payments at once: both paths in parallel.
	fifty := 50
	publish(events.InstitutionRules{DefaultPath: events.PathDirect, RolloutPercent: &fifty, LegacyRefund: events.LegacyRefundBankAdvance}, 2)
	var orders []string
	for _, p := range payers {
		order := h.next("pay2")
		orders = append(orders, order)
		h.send(channel.Pay(legacyChan, order, order, p.agreementNo, events.CNY("50.00")))
	}
	round2 := map[string]events.Outcome{}
	for i, order := range orders {
		out := h.wait(order, channel.Final)
		wantPath, wantVersion := events.PathDirect, 2
		if payers[i].netsunion {
			wantPath, wantVersion = "", 0 // NetsUnion outcomes carry no path
		}
		if out.Status != events.StatusSuccess || out.Path != wantPath || out.RouteVersion != wantVersion {
			t.Fatalf("v2 payment of payer %d (bucket %d): %+v, want path %q version %d", i,
				cutover.Bucket(h.deriver.Key(payers[i].acc.Number)), out, wantPath, wantVersion)
		}
		round2[out.TransactionID] = out
	}

	// A v1 request resent under v2 keeps its first path and version, even
	// though v2 moves its payer to NetsUnion.
	var resent events.Outcome
	for _, first := range round1 {
		for _, p := range payers {
			if p.netsunion && p.agreementNo == first.AgreementNo {
				resent = first
			}
		}
	}
	if resent.OutcomeID == "" {
		t.Fatal("no v1 payment of a payer v2 moves to NetsUnion")
	}
	h.send(channel.Pay(legacyChan, resent.OrderID, resent.IdempotencyKey, resent.AgreementNo, events.CNY("100.00")))

	// Every transaction recorded the version that routed it, once.
	routed := map[string][]events.PaymentRouted{}
	scanRoutes := func() {
		routed = map[string][]events.PaymentRouted{}
		err := logscan.Scan(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.CutoverEvents), func(m kafka.Message) error {
			env, err := events.Unmarshal(m.Value)
			if err != nil {
				return err
			}
			p, err := reg.Decode(env)
			if err != nil {
				return err
			}
			r := p.(events.PaymentRouted)
			routed[r.TxnID] = append(routed[r.TxnID], r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scanRoutes()
	for txn := range round1 {
		if rs := routed[txn]; len(rs) != 1 || rs[0].RouteVersion != 1 || rs[0].Path != events.PathDirect {
			t.Fatalf("v1 transaction %s routed %+v", txn, rs)
		}
	}
	for i, order := range orders {
		out := h.outcomes.Get(order)[0]
		want := events.PathDirect
		if payers[i].netsunion {
			want = events.PathNetsUnion
		}
		if rs := routed[out.TransactionID]; len(rs) != 1 || rs[0].RouteVersion != 2 || rs[0].Path != want || rs[0].Clause != events.ClauseRollout {
			t.Fatalf("v2 transaction %s routed %+v, want %s by rollout in version 2", out.TransactionID, rs, want)
		}
	}
	// The resent request was answered with the original outcome again (the
	// watcher drops copies, so count them on the topic), by the direct path.
	deadline := time.Now().Add(30 * time.Second)
	for copies := 0; copies < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("resent v1 request not answered again within 30s (%d copies of its outcome)", copies)
		}
		time.Sleep(100 * time.Millisecond)
		copies = 0
		err := logscan.Scan(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.Outcomes), func(m kafka.Message) error {
			var o events.Outcome
			if json.Unmarshal(m.Value, &o) == nil && o.OutcomeID == resent.OutcomeID {
				if o.Path != events.PathDirect || o.RouteVersion != 1 {
					return fmt.Errorf("resent request answered %+v", o)
				}
				copies++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	scanRoutes()
	if len(routed[resent.TransactionID]) != 1 {
		t.Fatalf("resent request routed again: %+v", routed[resent.TransactionID])
	}

	// Legacy refunds, one per method, on direct payments of round 1.
	var directTxns []events.Outcome
	for _, o := range round1 {
		directTxns = append(directTxns, o)
	}
	refund := func(o events.Outcome, amount string) events.Outcome {
		t.Helper()
		order := h.next("lr")
		body, _ := json.Marshal(events.LegacyRefundBody{TxnID: o.TransactionID, Amount: events.CNY(amount)})
		h.send(events.Request{Type: events.RequestLegacyRefund, Version: 1, ChannelID: legacyChan, OrderID: order, IdempotencyKey: order, Body: body})
		return h.wait(order, func(o events.Outcome) bool { return o.Status != "" })
	}
	ledgerCmd := func(p events.Payload, ref string) {
		t.Helper()
		id := events.DeriveID("e2e-ledger", ref)
		env, err := reg.New(events.LegacyLedgerKey(legacyChan), 1, p, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if err := clearing.Publish(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, []processor.Outbound{processor.EnvelopeTo(top.Name(topology.DirectInbox), env)}); err != nil {
			t.Fatal(err)
		}
	}
	waitLedger := func(ok func(directpath.Ledger) bool) directpath.Ledger {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			l, _, err := directpath.ReadLedger(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.DirectEvents), reg, legacyChan)
			if err != nil {
				t.Fatal(err)
			}
			if ok(l) {
				return l
			}
			if time.Now().After(deadline) {
				t.Fatalf("ledger %+v did not reach the expected state", l)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// (1) bank_advance (v2): the bank credits now, the institution owes it, then repays.
	out := refund(directTxns[0], "40.00")
	if out.Status != events.StatusSuccess || out.Path != events.PathDirect || out.RouteVersion != 1 || out.RefundID == "" {
		t.Fatalf("bank_advance refund: %+v", out)
	}
	waitLedger(func(l directpath.Ledger) bool { return l.Outstanding.Equal(events.CNY("40.00")) })
	ledgerCmd(events.RepayAdvance{RepaymentID: "wire-r1", ChannelID: legacyChan, Amount: events.CNY("25.00")}, "repay-1")
	waitLedger(func(l directpath.Ledger) bool { return l.Outstanding.Equal(events.CNY("15.00")) })

	// (2) prefund (v3): refused until the institution wires funds, then paid from them.
	publish(events.InstitutionRules{DefaultPath: events.PathDirect, RolloutPercent: &fifty, LegacyRefund: events.LegacyRefundPrefund}, 3)
	if out := refund(directTxns[1], "30.00"); out.Status != events.StatusFailure || out.ReasonCode != events.ReasonPrefundInsufficient {
		t.Fatalf("unfunded prefund refund: %+v", out)
	}
	ledgerCmd(events.ReceivePrefund{FundingID: "wire-p1", ChannelID: legacyChan, Amount: events.CNY("50.00")}, "prefund-1")
	waitLedger(func(l directpath.Ledger) bool { return l.Prefund.Equal(events.CNY("50.00")) })
	if out := refund(directTxns[1], "30.00"); out.Status != events.StatusSuccess {
		t.Fatalf("prefund refund: %+v", out)
	}
	waitLedger(func(l directpath.Ledger) bool { return l.Prefund.Equal(events.CNY("20.00")) })

	// (3) closed (v4): redirected to super online banking, no money moves.
	publish(events.InstitutionRules{DefaultPath: events.PathDirect, RolloutPercent: &fifty, LegacyRefund: events.LegacyRefundClosed}, 4)
	if out := refund(directTxns[2], "10.00"); out.Status != events.StatusRedirected || out.ReasonCode != events.ReasonRefundPathClosed {
		t.Fatalf("closed refund: %+v", out)
	}
	// Refunds never exceed the payment: 40.00 of 100.00 went already.
	if out := refund(directTxns[0], "60.01"); out.Status != events.StatusRejected || out.ReasonCode != events.ReasonRefundExceedsOriginal {
		t.Fatalf("refund above the remainder: %+v", out)
	}
	// A NetsUnion payment is not the direct path's to refund.
	for _, o := range round2 {
		if o.Path == "" {
			if out := refund(o, "1.00"); out.Status != events.StatusRejected || out.ReasonCode != events.ReasonNotDirectPayment {
				t.Fatalf("legacy refund of a NetsUnion payment: %+v", out)
			}
			break
		}
	}
	l := waitLedger(func(directpath.Ledger) bool { return true })
	if !l.Prefund.Equal(events.CNY("20.00")) || !l.Outstanding.Equal(events.CNY("15.00")) {
		t.Fatalf("final ledger %+v, want prefund 20.00 and 15.00 outstanding", l)
	}
}
