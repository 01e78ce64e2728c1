package payerbank

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

func TestQueryDebit(t *testing.T) {
	tests := []struct {
		name  string
		link  banklink.Config
		given func(w *world)
		then  events.DebitStatusReported
	}{
		{
			name:  "done",
			given: func(w *world) { w.do("debit", w.debit("T", "100.00")) },
			then:  events.DebitStatusReported{TxnID: "T", Attempt: 2, Status: events.LegDone},
		},
		{
			name:  "refused, with the reason",
			given: func(w *world) { w.do("debit", w.debit("T", "900.00")) },
			then:  events.DebitStatusReported{TxnID: "T", Attempt: 2, Status: events.LegRefused, ReasonCode: events.ReasonOverPerPaymentLimit},
		},
		{
			name: "reversed",
			given: func(w *world) {
				w.do("debit", w.debit("T", "100.00"))
				w.do("reverse", events.ReverseDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1})
			},
			then: events.DebitStatusReported{TxnID: "T", Attempt: 2, Status: events.LegReversed},
		},
		{
			name:  "unknown: the link says so, whatever the bank knows",
			link:  banklink.Config{QueryUnknownRate: 1},
			given: func(w *world) { w.do("debit", w.debit("T", "100.00")) },
			then:  events.DebitStatusReported{TxnID: "T", Attempt: 2, Status: events.LegUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, withLink(tt.link))
			tt.given(w)
			out := w.do("query", events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 2})
			if len(out.Events) != 0 {
				t.Fatalf("a query about a known leg recorded %d events", len(out.Events))
			}
			reported(t, out, "query", tt.then)
		})
	}
}

// reported asserts out sent exactly the status report want, answering the
// command named cmd.
func reported(t *testing.T, out processor.Output, cmd string, want events.DebitStatusReported) {
	t.Helper()
	rs := replies(t, out)
	if len(rs) != 1 || len(out.Messages) != 1 {
		t.Fatalf("sent %d messages (%d replies), want 1 report", len(out.Messages), len(rs))
	}
	samePayload(t, "report", rs[0].payload, want)
	env := rs[0].env
	if wantID := events.DeriveID(cmdID(cmd), "payer.debit_status_reported"); env.ID != wantID || env.AggregateID != want.TxnID || env.CausationID != cmdID(cmd) {
		t.Errorf("report %s to %s caused by %s, want %s to %s caused by %s", env.ID, env.AggregateID, env.CausationID, wantID, want.TxnID, cmdID(cmd))
	}
}

// A query about a debit the bank never received closes it: the bank
// records a refusal, answers refused, and a debit arriving late is refused
// with the same reason and moves no money.
func TestQueryDebitNeverReceived(t *testing.T) {
	w := newWorld(t)
	out := w.do("query", events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1})
	recorded(t, out, events.PayerDebitRefused{TxnID: "T", ReasonCode: events.ReasonNotReceivedByBank})
	reported(t, out, "query", events.DebitStatusReported{TxnID: "T", Attempt: 1, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank})

	late := w.do("late debit", w.debit("T", "100.00"))
	if len(late.Events) != 0 {
		t.Fatalf("the late debit recorded %d events", len(late.Events))
	}
	rs := replies(t, late)
	if len(rs) != 1 {
		t.Fatalf("%d replies to the late debit, want 1", len(rs))
	}
	isCopy(t, rs[0], out.Events[0], "T")
	if got := w.balance(alice); got != "1000.00" {
		t.Errorf("balance %s after a late debit, want 1000.00", got)
	}
}

// An unknown answer means the bank did not look: nothing is recorded, and
// the debit may still arrive and execute.
func TestQueryDebitUnknownRecordsNothing(t *testing.T) {
	w := newWorld(t, withLink(banklink.Config{QueryUnknownRate: 1}))
	out := w.do("query", events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1})
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events", len(out.Events))
	}
	reported(t, out, "query", events.DebitStatusReported{TxnID: "T", Attempt: 1, Status: events.LegUnknown})
	answered(t, w.do("debit", w.debit("T", "100.00")), "T", debited(w.agr, "100.00", "900.00"))
}
