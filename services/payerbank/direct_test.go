package payerbank

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

const testDirectInbox = "test.direct.inbox"

func withDirect(cfg *Config) { cfg.Topics.DirectInbox = testDirectInbox }

// directReplies decodes what out sent to the direct path, checking each is
// keyed by its aggregate (the TxnID).
func directReplies(t *testing.T, out processor.Output) []events.Payload {
	t.Helper()
	var ps []events.Payload
	for _, m := range out.Messages {
		if m.Topic != testDirectInbox {
			t.Fatalf("direct-link command answered on %s", m.Topic)
		}
		env, err := events.Unmarshal(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if m.Key != env.AggregateID {
			t.Fatalf("reply keyed %q, aggregate %q", m.Key, env.AggregateID)
		}
		p, err := reg.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func directDebitCmd(c customer, no, channel, txnID, amount string) events.DirectDebit {
	return events.DirectDebit{TxnID: txnID, AgreementNo: no, PayerKey: c.key, ChannelID: channel, Amount: events.CNY(amount)}
}

func TestDirectDebit(t *testing.T) {
	w := newWorld(t, withDirect)
	out := w.do("dd-1", directDebitCmd(alice, w.agr, chanA, "txn-d1", "120.00"))
	want := events.DirectDebited{TxnID: "txn-d1", AgreementNo: w.agr, ChannelID: chanA, Amount: events.CNY("120.00"), BalanceAfter: events.CNY("880.00"), Day: "2024-03-01"}
	ev := recorded(t, out, want)
	rs := directReplies(t, out)
	if len(rs) != 1 {
		t.Fatalf("%d replies", len(rs))
	}
	samePayload(t, "reply", rs[0], want)
	if got := w.balance(alice); got != "880.00" {
		t.Fatalf("balance %s", got)
	}

	// Redelivered, or resent by the direct path: the same reply, no debit.
	again := w.do("dd-1 resent", directDebitCmd(alice, w.agr, chanA, "txn-d1", "120.00"))
	if len(again.Events) != 0 || len(again.Messages) != 1 {
		t.Fatalf("repeat recorded %d events, sent %d", len(again.Events), len(again.Messages))
	}
	env, _ := events.Unmarshal(again.Messages[0].Value)
	if env.ID != events.DeriveID(ev.ID, "reply") || w.balance(alice) != "880.00" {
		t.Fatalf("repeat answered %s, balance %s", env.ID, w.balance(alice))
	}
}

func TestDirectDebitRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(w *world)
		cmd    func(w *world) events.DirectDebit
		reason string
	}{
		{"agreement not found", nil, func(w *world) events.DirectDebit {
			return directDebitCmd(alice, agreementNo(alice, "never-signed"), chanA, "t", "1.00")
		}, events.ReasonAgreementNotFound},
		{"other channel", nil, func(w *world) events.DirectDebit { return directDebitCmd(alice, w.agr, chanB, "t", "1.00") }, events.ReasonAgreementOtherChan},
		{"terminated", func(w *world) {
			w.do("terminate", terminateCmd(alice, w.agr, chanA, "term-1", "h"))
		}, func(w *world) events.DirectDebit { return directDebitCmd(alice, w.agr, chanA, "t", "1.00") }, events.ReasonAgreementTerminated},
		{"over per-payment limit", nil, func(w *world) events.DirectDebit { return directDebitCmd(alice, w.agr, chanA, "t", "500.01") }, events.ReasonOverPerPaymentLimit},
		{"daily limit shared with NetsUnion debits", func(w *world) {
			w.do("netsunion debit", w.debit("txn-n1", "400.00"))
		}, func(w *world) events.DirectDebit { return directDebitCmd(alice, w.agr, chanA, "t", "400.01") }, events.ReasonOverDailyLimit},
		{"insufficient funds", nil, func(w *world) events.DirectDebit { return directDebitCmd(carol, w.carolAgr, chanA, "t", "50.01") }, events.ReasonInsufficientFunds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, withDirect)
			if tc.setup != nil {
				tc.setup(w)
			}
			c := tc.cmd(w)
			before := w.balance(alice)
			out := w.do("refused", c)
			recorded(t, out, events.DirectDebitRefused{TxnID: "t", ReasonCode: tc.reason})
			if rs := directReplies(t, out); len(rs) != 1 {
				t.Fatalf("%d replies", len(rs))
			}
			if w.balance(alice) != before {
				t.Fatal("a refused debit moved money")
			}
		})
	}
}

func TestQueryDirectDebitClosesAnUnseenDebit(t *testing.T) {
	w := newWorld(t, withDirect)
	out := w.do("q-1", events.QueryDirectDebit{TxnID: "txn-lost", PayerKey: alice.key, Attempt: 1})
	recorded(t, out, events.DirectDebitRefused{TxnID: "txn-lost", ReasonCode: events.ReasonNotReceivedByBank})
	rs := directReplies(t, out)
	samePayload(t, "report", rs[0], events.DirectDebitStatusReported{TxnID: "txn-lost", Attempt: 1, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank})

	// The debit arrives late: it must not execute.
	late := w.do("dd-late", directDebitCmd(alice, w.agr, chanA, "txn-lost", "10.00"))
	if len(late.Events) != 0 || w.balance(alice) != "1000.00" {
		t.Fatalf("late debit executed: %d events, balance %s", len(late.Events), w.balance(alice))
	}
	samePayload(t, "late reply", directReplies(t, late)[0], events.DirectDebitRefused{TxnID: "txn-lost", ReasonCode: events.ReasonNotReceivedByBank})

	// A done debit is reported done.
	w.do("dd-2", directDebitCmd(alice, w.agr, chanA, "txn-d2", "10.00"))
	q := w.do("q-2", events.QueryDirectDebit{TxnID: "txn-d2", PayerKey: alice.key, Attempt: 2})
	nothingRecorded(t, q)
	samePayload(t, "report", directReplies(t, q)[0], events.DirectDebitStatusReported{TxnID: "txn-d2", Attempt: 2, Status: events.LegDone})
}

func nothingRecorded(t *testing.T, out processor.Output) {
	t.Helper()
	if len(out.Events) != 0 {
		t.Fatalf("recorded %d events, want none", len(out.Events))
	}
}

func refundCreditCmd(c customer, refundID, amount, funding string) events.DirectRefundCredit {
	return events.DirectRefundCredit{RefundID: refundID, TxnID: "txn-d1", PayerKey: c.key, AgreementNo: "", ChannelID: chanA, Funding: funding, Amount: events.CNY(amount)}
}

func TestDirectRefundCredit(t *testing.T) {
	w := newWorld(t, withDirect)
	out := w.do("rc-1", refundCreditCmd(alice, "r1", "30.00", events.LegacyRefundBankAdvance))
	want := events.DirectRefundCredited{RefundID: "r1", TxnID: "txn-d1", ChannelID: chanA, Funding: events.LegacyRefundBankAdvance, Amount: events.CNY("30.00"), BalanceAfter: events.CNY("1030.00")}
	recorded(t, out, want)
	samePayload(t, "reply", directReplies(t, out)[0], want)

	again := w.do("rc-1 resent", refundCreditCmd(alice, "r1", "30.00", events.LegacyRefundBankAdvance))
	nothingRecorded(t, again)
	if w.balance(alice) != "1030.00" {
		t.Fatalf("resent credit paid twice: %s", w.balance(alice))
	}
	q := w.do("rq-1", events.QueryDirectRefundCredit{RefundID: "r1", TxnID: "txn-d1", PayerKey: alice.key, Attempt: 1})
	samePayload(t, "report", directReplies(t, q)[0], events.DirectRefundCreditStatusReported{RefundID: "r1", TxnID: "txn-d1", Attempt: 1, Status: events.LegDone})

	// No account at this bank.
	no := w.do("rc-2", refundCreditCmd(nobody, "r2", "5.00", events.LegacyRefundPrefund))
	recorded(t, no, events.DirectRefundCreditRefused{RefundID: "r2", TxnID: "txn-d1", ReasonCode: events.ReasonAccountNotFound})

	// Queried before it arrived: closed, and the late credit pays nothing.
	lost := w.do("rq-3", events.QueryDirectRefundCredit{RefundID: "r3", TxnID: "txn-d1", PayerKey: alice.key, Attempt: 1})
	recorded(t, lost, events.DirectRefundCreditRefused{RefundID: "r3", TxnID: "txn-d1", ReasonCode: events.ReasonNotReceivedByBank})
	late := w.do("rc-3", refundCreditCmd(alice, "r3", "5.00", events.LegacyRefundPrefund))
	nothingRecorded(t, late)
	if w.balance(alice) != "1030.00" {
		t.Fatalf("late credit paid: %s", w.balance(alice))
	}
}

func TestDirectCommandsNeedTheDirectInbox(t *testing.T) {
	w := newWorld(t)
	if _, err := w.h.Handle(w.msg("dd", directDebitCmd(alice, w.agr, chanA, "t", "1.00"))); err == nil {
		t.Fatal("direct debit accepted without Topics.DirectInbox")
	}
}

func TestDirectSnapshotRoundTrip(t *testing.T) {
	w := newWorld(t, withDirect)
	w.do("dd-1", directDebitCmd(alice, w.agr, chanA, "txn-d1", "120.00"))
	w.do("dd-2", directDebitCmd(carol, w.carolAgr, chanA, "txn-d2", "99.00")) // refused
	w.do("rc-1", refundCreditCmd(alice, "r1", "20.00", events.LegacyRefundBankAdvance))
	snap, err := w.h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	fresh := newBank(t, withDirect)
	if err := fresh.h.Restore(snap); err != nil {
		t.Fatal(err)
	}
	again, err := fresh.h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(snap) {
		t.Fatal("restored state snapshots differently")
	}
	// The restored bank answers a repeat exactly as the original would.
	for _, c := range []struct {
		name string
		p    events.Payload
	}{
		{"dd-1", directDebitCmd(alice, w.agr, chanA, "txn-d1", "120.00")},
		{"dd-2", directDebitCmd(carol, w.carolAgr, chanA, "txn-d2", "99.00")},
		{"rc-1", refundCreditCmd(alice, "r1", "20.00", events.LegacyRefundBankAdvance)},
	} {
		a, b := w.do(c.name+" again", c.p), fresh.do(c.name+" again", c.p)
		if len(a.Messages) != 1 || len(b.Messages) != 1 || string(a.Messages[0].Value) != string(b.Messages[0].Value) {
			t.Fatalf("%s: restored bank answers differently", c.name)
		}
	}
	if fresh.balance(alice) != "900.00" || fresh.balance(carol) != "50.00" {
		t.Fatalf("restored balances %s, %s", fresh.balance(alice), fresh.balance(carol))
	}
}
