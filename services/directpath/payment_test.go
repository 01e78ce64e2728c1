package directpath

import (
	"bytes"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

func TestDirectPaymentSuccess(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k1", "88.00", 3)
	txn := c.Payment.TxnID
	w.send(txn, c)
	debit, ok := w.lastPayer().(events.DirectDebit)
	if !ok || debit.TxnID != txn || debit.PayerKey != payerA || !debit.Amount.Equal(events.CNY("88.00")) {
		t.Fatalf("sent %+v", w.lastPayer())
	}
	if w.payer[0].AggregateID != payerA {
		t.Fatalf("debit keyed %s, want the payer key", w.payer[0].AggregateID)
	}
	w.send(txn, events.DirectDebited{TxnID: txn, AgreementNo: debit.AgreementNo, ChannelID: chanA, Amount: debit.Amount, BalanceAfter: events.CNY("12.00"), Day: "2025-06-01"})
	o := w.lastOutcome()
	wantOutcome(t, o, events.RequestPay, events.StatusSuccess, "")
	if o.RouteVersion != 3 || o.TransactionID != txn || o.OrderID != "ord-k1" || !o.Amount.Equal(events.CNY("88.00")) {
		t.Fatalf("outcome %+v", o)
	}
	if v, _ := w.h.Payment(txn); v.Status != events.StatusSuccess || v.RouteVersion != 3 {
		t.Fatalf("view %+v", v)
	}
	if len(w.h.timers) != 0 {
		t.Fatal("a finished payment keeps a timer")
	}
}

func TestDirectPaymentRefused(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k2", "10.00", 1)
	w.send(c.Payment.TxnID, c)
	w.send(c.Payment.TxnID, events.DirectDebitRefused{TxnID: c.Payment.TxnID, ReasonCode: events.ReasonAgreementTerminated})
	wantOutcome(t, w.lastOutcome(), events.RequestPay, events.StatusFailure, events.ReasonAgreementTerminated)
}

func TestDirectPaymentQueriesThenPresumesFailure(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k3", "10.00", 1)
	txn := c.Payment.TxnID
	w.send(txn, c)
	w.tick(t0.Add(1999 * time.Millisecond))
	if len(w.payer) != 1 {
		t.Fatal("queried before the leg timeout")
	}
	w.tick(t0.Add(2 * time.Second))
	q, ok := w.lastPayer().(events.QueryDirectDebit)
	if !ok || q.Attempt != 1 {
		t.Fatalf("after the leg timeout sent %+v", w.lastPayer())
	}
	// Unknown: wait for the next query.
	w.send(txn, events.DirectDebitStatusReported{TxnID: txn, Attempt: 1, Status: events.LegUnknown})
	if len(w.outcomes) != 0 {
		t.Fatal("unknown status ended the payment")
	}
	for s := 3; s <= 9; s++ {
		w.tick(t0.Add(time.Duration(s) * time.Second))
	}
	if q := w.lastPayer().(events.QueryDirectDebit); q.Attempt != 8 {
		t.Fatalf("attempt %d after 8 query deadlines", q.Attempt)
	}
	// A stale report of an older attempt changes nothing.
	w.send(txn, events.DirectDebitStatusReported{TxnID: txn, Attempt: 1, Status: events.LegDone})
	if len(w.outcomes) != 0 {
		t.Fatal("a stale report ended the payment")
	}
	w.tick(t0.Add(10 * time.Second))
	wantOutcome(t, w.lastOutcome(), events.RequestPay, events.StatusPresumedFailure, events.ReasonPayerLegUnknown)
	fin := w.log[len(w.log)-1]
	p, _ := reg.Decode(fin)
	if p.(events.DirectPaymentFinished).PayerDebited != unknown {
		t.Fatalf("finished %+v", p)
	}
}

func TestDirectPaymentQueryFindsTheDebit(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k4", "10.00", 1)
	txn := c.Payment.TxnID
	w.send(txn, c)
	w.tick(t0.Add(2 * time.Second))
	w.send(txn, events.DirectDebitStatusReported{TxnID: txn, Attempt: 1, Status: events.LegDone})
	wantOutcome(t, w.lastOutcome(), events.RequestPay, events.StatusSuccess, "")
	// A late original reply answers with the same outcome, decides nothing.
	before := len(w.log)
	w.send(txn, events.DirectDebited{TxnID: txn, AgreementNo: c.Payment.AgreementNo, ChannelID: chanA, Amount: c.Payment.Amount, BalanceAfter: events.CNY("0.00"), Day: "2025-06-01"})
	if len(w.log) != before || w.outcomes[0].OutcomeID != w.lastOutcome().OutcomeID {
		t.Fatal("late reply decided again")
	}
}

func TestDirectPaymentRedelivery(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k5", "10.00", 1)
	txn := c.Payment.TxnID
	env, err := reg.New(txn, 1, c, events.Meta{ID: events.DeriveID("fwd"), CorrelationID: txn, CausationID: txn, OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	first := w.deliver(env)
	again := w.deliver(env)
	if len(again.Events) != 0 || !bytes.Equal(first.Messages[0].Value, again.Messages[0].Value) {
		t.Fatal("redelivered start was not answered with the identical debit")
	}

	// The same key with another body: rejected for the new order, kept.
	other := startCmd("k5", "11.00", 1)
	other.Payment.OrderID = "ord-other"
	w.send(txn, other)
	o := w.lastOutcome()
	if o.OrderID != "ord-other" || o.ReasonCode != events.ReasonDuplicateKeyNewBody || w.rejects != 1 {
		t.Fatalf("reused key: %+v, %d rejects", o, w.rejects)
	}
	if v, _ := w.h.Payment(txn); v.Step != events.DirectStepAwaitDebit {
		t.Fatal("the reused key changed the payment")
	}
}

func TestDirectPaymentRefusesMisroutedCommands(t *testing.T) {
	w := newWorld(t)
	c := startCmd("k6", "10.00", 1)
	env, _ := reg.New("another-txn", 1, c, events.Meta{ID: events.DeriveID("x"), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
	if _, err := w.h.Handle(processorMessage(env, c)); err == nil {
		t.Fatal("start keyed by another transaction accepted")
	}
	reply := events.DirectDebited{TxnID: "never-started", AgreementNo: "x", ChannelID: chanA, Amount: events.CNY("1.00"), BalanceAfter: events.CNY("1.00"), Day: "2025-06-01"}
	env, _ = reg.New("never-started", 1, reply, events.Meta{ID: events.DeriveID("y"), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
	if _, err := w.h.Handle(processorMessage(env, reply)); err == nil {
		t.Fatal("reply for an unknown payment accepted")
	}
}
