package directpath

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

func processorMessage(env events.Envelope, p events.Payload) processor.Message {
	return processor.Message{Envelope: env, Payload: p, Time: t0, Key: []byte(env.AggregateID)}
}

func TestLegacyRefundClosedIsRedirected(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p1", "100.00")
	r := refundCmd(txn, "r1", "60.00", events.LegacyRefundClosed)
	w.send(txn, r)
	o := w.lastOutcome()
	wantOutcome(t, o, events.RequestLegacyRefund, events.StatusRedirected, events.ReasonRefundPathClosed)
	if o.RefundID != r.RefundID || o.TransactionID != txn || o.RouteVersion != 1 || o.Reason == "" {
		t.Fatalf("outcome %+v", o)
	}
	if len(w.payer) != 1 { // the debit only
		t.Fatal("a redirected refund sent something to the bank")
	}
	// The redirected amount counts: 40.01 more would exceed the payment.
	w.send(txn, refundCmd(txn, "r2", "40.01", events.LegacyRefundClosed))
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusRejected, events.ReasonRefundExceedsOriginal)
	w.send(txn, refundCmd(txn, "r3", "40.00", events.LegacyRefundClosed))
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusRedirected, events.ReasonRefundPathClosed)
	if v, _ := w.h.Payment(txn); !v.Refunded.Equal(events.CNY("100.00")) {
		t.Fatalf("refunded %s", v.Refunded)
	}
}

func TestLegacyRefundBankAdvance(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p2", "100.00")
	r := refundCmd(txn, "r1", "30.00", events.LegacyRefundBankAdvance)
	w.send(txn, r)
	credit, ok := w.lastPayer().(events.DirectRefundCredit)
	if !ok || credit.Funding != events.LegacyRefundBankAdvance || credit.PayerKey != payerA || !credit.Amount.Equal(events.CNY("30.00")) {
		t.Fatalf("sent %+v", w.lastPayer())
	}
	w.send(txn, events.DirectRefundCredited{RefundID: r.RefundID, TxnID: txn, ChannelID: chanA, Funding: credit.Funding, Amount: credit.Amount, BalanceAfter: events.CNY("31.00")})
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusSuccess, "")
	if l := w.ledger(); !l.Outstanding.Equal(events.CNY("30.00")) || !l.Prefund.IsZero() {
		t.Fatalf("ledger %+v after an advanced refund", l)
	}
	// The credit reply redelivered: outcome and advance again, no new debt.
	w.send(txn, events.DirectRefundCredited{RefundID: r.RefundID, TxnID: txn, ChannelID: chanA, Funding: credit.Funding, Amount: credit.Amount, BalanceAfter: events.CNY("31.00")})
	if l := w.ledger(); !l.Outstanding.Equal(events.CNY("30.00")) {
		t.Fatalf("redelivered credit advanced twice: %s", l.Outstanding)
	}

	key := events.LegacyLedgerKey(chanA)
	w.send(key, events.RepayAdvance{RepaymentID: "wire-1", ChannelID: chanA, Amount: events.CNY("30.01")})
	if refused, ok := lastEvent(t, w).(events.RepaymentRefused); !ok || refused.ReasonCode != events.ReasonRepaymentExceedsDebt {
		t.Fatalf("over-repayment recorded %+v", lastEvent(t, w))
	}
	w.send(key, events.RepayAdvance{RepaymentID: "wire-2", ChannelID: chanA, Amount: events.CNY("20.00")})
	w.send(key, events.RepayAdvance{RepaymentID: "wire-2", ChannelID: chanA, Amount: events.CNY("20.00")}) // entered twice
	if l := w.ledger(); !l.Outstanding.Equal(events.CNY("10.00")) {
		t.Fatalf("outstanding %s after repaying 20.00 of 30.00", l.Outstanding)
	}
}

func TestLegacyRefundBankAdvanceCreditUnknownIsPresumedAndOwed(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p3", "100.00")
	r := refundCmd(txn, "r1", "25.00", events.LegacyRefundBankAdvance)
	w.send(txn, r)
	for s := 2; s <= 10; s++ {
		w.tick(t0.Add(time.Duration(s) * time.Second))
	}
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusPresumedSuccess, events.ReasonPayerCreditUnknown)
	if q := w.payer[len(w.payer)-1].Type; q != (events.QueryDirectRefundCredit{}).EventType() {
		t.Fatalf("last bank command %s, want a credit status query", q)
	}
	if l := w.ledger(); !l.Outstanding.Equal(events.CNY("25.00")) {
		t.Fatalf("presumed advance not owed: %s", l.Outstanding)
	}
}

func TestLegacyRefundBankAdvanceRefusedReleasesTheAmount(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p4", "100.00")
	r := refundCmd(txn, "r1", "100.00", events.LegacyRefundBankAdvance)
	w.send(txn, r)
	w.tick(t0.Add(2 * time.Second)) // query attempt 1
	w.send(txn, events.DirectRefundCreditStatusReported{RefundID: r.RefundID, TxnID: txn, Attempt: 1, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank})
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusFailure, events.ReasonNotReceivedByBank)
	if v, _ := w.h.Payment(txn); !v.Refunded.IsZero() {
		t.Fatalf("failed refund still holds %s", v.Refunded)
	}
	if l := w.ledger(); !l.Outstanding.IsZero() {
		t.Fatal("a failed advance was owed")
	}
}

func TestLegacyRefundPrefund(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p5", "100.00")

	// Nothing prefunded: refused, amount released.
	r1 := refundCmd(txn, "r1", "30.00", events.LegacyRefundPrefund)
	w.send(txn, r1)
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusFailure, events.ReasonPrefundInsufficient)
	if len(w.payer) != 1 {
		t.Fatal("an unfunded refund reached the bank")
	}

	w.fund("wire-1", "50.00")
	w.fund("wire-1", "50.00") // entered twice: counted once
	if l := w.ledger(); !l.Prefund.Equal(events.CNY("50.00")) {
		t.Fatalf("prefund %s", l.Prefund)
	}
	r2 := refundCmd(txn, "r2", "30.00", events.LegacyRefundPrefund)
	w.send(txn, r2)
	credit, ok := w.lastPayer().(events.DirectRefundCredit)
	if !ok || credit.Funding != events.LegacyRefundPrefund {
		t.Fatalf("sent %+v", w.lastPayer())
	}
	if l := w.ledger(); !l.Prefund.Equal(events.CNY("20.00")) {
		t.Fatalf("prefund %s after drawing 30.00", l.Prefund)
	}
	w.send(txn, events.DirectRefundCredited{RefundID: r2.RefundID, TxnID: txn, ChannelID: chanA, Funding: credit.Funding, Amount: credit.Amount, BalanceAfter: events.CNY("31.00")})
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusSuccess, "")

	// The bank refuses the next credit: the draw goes back to the balance.
	r3 := refundCmd(txn, "r3", "20.00", events.LegacyRefundPrefund)
	w.send(txn, r3)
	if l := w.ledger(); !l.Prefund.IsZero() {
		t.Fatalf("prefund %s after drawing all", l.Prefund)
	}
	w.send(txn, events.DirectRefundCreditRefused{RefundID: r3.RefundID, TxnID: txn, ReasonCode: events.ReasonAccountNotFound})
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusFailure, events.ReasonAccountNotFound)
	if l := w.ledger(); !l.Prefund.Equal(events.CNY("20.00")) || !l.Outstanding.IsZero() {
		t.Fatalf("ledger %+v after a refused credit", l)
	}
	if v, _ := w.h.Payment(txn); !v.Refunded.Equal(events.CNY("30.00")) {
		t.Fatalf("refunded %s, want 30.00", v.Refunded)
	}
}

func TestLegacyRefundRefusals(t *testing.T) {
	w := newWorld(t)
	paid := w.pay("p6", "50.00")
	failed := startCmd("p7", "50.00", 1)
	w.send(failed.Payment.TxnID, failed)
	w.send(failed.Payment.TxnID, events.DirectDebitRefused{TxnID: failed.Payment.TxnID, ReasonCode: events.ReasonInsufficientFunds})
	running := startCmd("p8", "50.00", 1)
	w.send(running.Payment.TxnID, running)

	otherChannel := refundCmd(paid, "r-other", "1.00", events.LegacyRefundClosed)
	otherChannel.ChannelID = "tenpay"
	unknownTxn := events.DeriveID("txn", chanA, "never-paid")
	for _, tc := range []struct {
		name string
		txn  string
		cmd  events.StartLegacyRefund
		code string
	}{
		{"not a direct payment", unknownTxn, refundCmd(unknownTxn, "r-a", "1.00", events.LegacyRefundClosed), events.ReasonNotDirectPayment},
		{"other channel", paid, otherChannel, events.ReasonRefundOtherChannel},
		{"payment failed", failed.Payment.TxnID, refundCmd(failed.Payment.TxnID, "r-b", "1.00", events.LegacyRefundBankAdvance), events.ReasonPaymentNotRefundable},
		{"payment running", running.Payment.TxnID, refundCmd(running.Payment.TxnID, "r-c", "1.00", events.LegacyRefundBankAdvance), events.ReasonPaymentNotRefundable},
		{"exceeds the payment", paid, refundCmd(paid, "r-d", "50.01", events.LegacyRefundPrefund), events.ReasonRefundExceedsOriginal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.send(tc.txn, tc.cmd)
			wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusRejected, tc.code)
		})
	}

	// A rejected refund repeated gets the same answer; the key with another
	// body is duplicate_key_different_body.
	n := len(w.outcomes)
	repeat := refundCmd(paid, "r-d", "50.01", events.LegacyRefundPrefund)
	w.send(paid, repeat)
	if w.outcomes[n].OutcomeID != w.outcomes[n-1].OutcomeID {
		t.Fatal("repeat answered with another outcome")
	}
	reused := refundCmd(paid, "r-d", "5.00", events.LegacyRefundPrefund)
	w.send(paid, reused)
	wantOutcome(t, w.lastOutcome(), events.RequestLegacyRefund, events.StatusRejected, events.ReasonDuplicateKeyNewBody)
}

func TestRebuildReproducesPaymentsAndLedgers(t *testing.T) {
	w := newWorld(t)
	txn := w.pay("p9", "100.00")
	w.fund("wire-1", "80.00")
	r := refundCmd(txn, "r1", "30.00", events.LegacyRefundPrefund)
	w.send(txn, r)
	w.send(txn, events.DirectRefundCredited{RefundID: r.RefundID, TxnID: txn, ChannelID: chanA, Funding: events.LegacyRefundPrefund, Amount: r.Amount, BalanceAfter: events.CNY("31.00")})
	a := refundCmd(txn, "r2", "10.00", events.LegacyRefundBankAdvance)
	w.send(txn, a)

	fresh, err := New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range w.log {
		p, err := reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		fresh.Apply(env, p)
		fresh.Apply(env, p) // a second copy after a rebalance is ignored
	}
	got, _ := fresh.Payment(txn)
	want, _ := w.h.Payment(txn)
	gl, wl := fresh.Ledger(chanA), w.h.Ledger(chanA)
	if got.Status != want.Status || !got.Refunded.Equal(want.Refunded) || !gl.Prefund.Equal(wl.Prefund) || !gl.Outstanding.Equal(wl.Outstanding) {
		t.Fatalf("rebuilt %+v %+v, want %+v %+v", got, fresh.Ledger(chanA), want, w.h.Ledger(chanA))
	}
	if len(fresh.timers) != 1 || len(w.h.timers) != 1 {
		t.Fatalf("timers %d rebuilt, %d live; want the running credit's", len(fresh.timers), len(w.h.timers))
	}
}

func lastEvent(t *testing.T, w *world) events.Payload {
	t.Helper()
	p, err := reg.Decode(w.log[len(w.log)-1])
	if err != nil {
		t.Fatal(err)
	}
	return p
}
