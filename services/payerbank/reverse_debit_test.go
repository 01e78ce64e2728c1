package payerbank

import (
	"testing"

	"github.com/paycore/paycore/events"
)

func reverseCmd(txnID string, attempt int) events.ReverseDebit {
	return events.ReverseDebit{TxnID: txnID, PayerKey: alice.key, Attempt: attempt}
}

func TestReverseDebit(t *testing.T) {
	w := newWorld(t)
	w.do("debit", w.debit("T", "100.00"))
	out := w.do("reverse 1", reverseCmd("T", 1))
	answered(t, out, "T", events.PayerDebitReversed{TxnID: "T", Amount: events.CNY("100.00"), BalanceAfter: events.CNY("1000.00")})
	if got := w.balance(alice); got != "1000.00" {
		t.Errorf("balance %s, want 1000.00", got)
	}
	if l, _ := w.h.Leg("T"); l.Status != events.LegReversed {
		t.Errorf("leg %s, want reversed", l.Status)
	}

	// The saga's next attempt (a new command) gets the same reply and
	// moves no money.
	again := w.do("reverse 2", reverseCmd("T", 2))
	if len(again.Events) != 0 {
		t.Fatalf("a second reversal recorded %d events", len(again.Events))
	}
	isCopy(t, replies(t, again)[0], out.Events[0], "T")
	if got := w.balance(alice); got != "1000.00" {
		t.Errorf("balance %s after a second reversal, want 1000.00", got)
	}
}

func TestReverseRefusedDebitAnswersItsStatus(t *testing.T) {
	w := newWorld(t)
	w.do("debit", w.debit("T", "900.00"))
	out := w.do("reverse", reverseCmd("T", 1))
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events", len(out.Events))
	}
	reported(t, out, "reverse", events.DebitStatusReported{TxnID: "T", Attempt: 1, Status: events.LegRefused, ReasonCode: events.ReasonOverPerPaymentLimit})
	if got := w.balance(alice); got != "1000.00" {
		t.Errorf("balance %s, want 1000.00", got)
	}
}

// Reversing a debit the bank never saw closes it like a status query, so it
// cannot execute after the switch gave up on it.
func TestReverseUnseenDebitClosesIt(t *testing.T) {
	w := newWorld(t)
	out := w.do("reverse", reverseCmd("T", 1))
	recorded(t, out, events.PayerDebitRefused{TxnID: "T", ReasonCode: events.ReasonNotReceivedByBank})
	reported(t, out, "reverse", events.DebitStatusReported{TxnID: "T", Attempt: 1, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank})
	late := w.do("late debit", w.debit("T", "100.00"))
	if len(late.Events) != 0 || w.balance(alice) != "1000.00" {
		t.Fatal("a debit executed after its reversal was requested")
	}
}
