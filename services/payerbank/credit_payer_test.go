package payerbank

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

func creditCmd(c customer, no, creditID, txnID, amount string) events.CreditPayer {
	return events.CreditPayer{CreditID: creditID, TxnID: txnID, RefundID: "refund-" + creditID, PayerKey: c.key,
		AgreementNo: no, ChannelID: chanA, Amount: events.CNY(amount)}
}

func creditQuery(c customer, creditID, txnID string, attempt int) events.QueryPayerCredit {
	return events.QueryPayerCredit{CreditID: creditID, TxnID: txnID, RefundID: "refund-" + creditID, PayerKey: c.key, Attempt: attempt}
}

func creditReport(creditID, txnID string, attempt int, status, reason string) events.PayerCreditStatusReported {
	return events.PayerCreditStatusReported{CreditID: creditID, TxnID: txnID, RefundID: "refund-" + creditID, Attempt: attempt, Status: status, ReasonCode: reason}
}

// TestCreditPayer: given/when/then per transition and refusal of a refund
// credit and its status query.
func TestCreditPayer(t *testing.T) {
	credited := func(creditID, txnID, no, amount, after string) events.PayerCredited {
		return events.PayerCredited{CreditID: creditID, TxnID: txnID, RefundID: "refund-" + creditID, AgreementNo: no,
			Amount: events.CNY(amount), BalanceAfter: events.CNY(after)}
	}
	refused := func(creditID, txnID, reason string) events.PayerCreditRefused {
		return events.PayerCreditRefused{CreditID: creditID, TxnID: txnID, RefundID: "refund-" + creditID, ReasonCode: reason}
	}
	tests := []struct {
		name       string
		given      func(w *world)
		when       func(w *world) events.Payload
		wantEvent  events.Payload // nil: nothing recorded
		wantReport events.Payload // a status report instead of the event's copy
		balance    string         // alice's after
	}{
		{
			name:      "credit: the customer gets the refund",
			when:      func(w *world) events.Payload { return creditCmd(alice, w.agr, "R1", "T", "100.00") },
			wantEvent: nil, balance: "1100.00",
		},
		{
			name: "credit under a terminated agreement still pays",
			given: func(w *world) {
				w.do("terminate", terminateCmd(alice, w.agr, chanA, "req", "hash"))
			},
			when:    func(w *world) events.Payload { return creditCmd(alice, w.agr, "R1", "T", "0.01") },
			balance: "1000.01",
		},
		{
			name:    "credit beyond any limit: limits are for debits",
			when:    func(w *world) events.Payload { return creditCmd(alice, w.agr, "R1", "T", "99999.00") },
			balance: "100999.00",
		},
		{
			name:    "no account in the partition: refused",
			when:    func(w *world) events.Payload { return creditCmd(nobody, "no-agreement", "R1", "T", "10.00") },
			balance: "1000.00",
		},
		{
			name:       "query of a credited refund: done",
			given:      func(w *world) { w.do("credit", creditCmd(alice, w.agr, "R1", "T", "10.00")) },
			when:       func(w *world) events.Payload { return creditQuery(alice, "R1", "T", 2) },
			wantReport: creditReport("R1", "T", 2, events.LegDone, ""), balance: "1010.00",
		},
		{
			name:       "query of a refused credit: refused with the reason",
			given:      func(w *world) { w.do("credit", creditCmd(nobody, "x", "R1", "T", "10.00")) },
			when:       func(w *world) events.Payload { return creditQuery(nobody, "R1", "T", 1) },
			wantReport: creditReport("R1", "T", 1, events.LegRefused, events.ReasonAccountNotFound), balance: "1000.00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.given != nil {
				tt.given(w)
			}
			cmd := tt.when(w)
			out := w.do("when", cmd)
			if tt.wantReport != nil {
				if len(out.Events) != 0 {
					t.Fatalf("a query of a decided credit recorded %d events", len(out.Events))
				}
				rs := replies(t, out)
				if len(rs) != 1 {
					t.Fatalf("%d replies", len(rs))
				}
				samePayload(t, "report", rs[0].payload, tt.wantReport)
			} else {
				c := cmd.(events.CreditPayer)
				want := events.Payload(credited(c.CreditID, c.TxnID, c.AgreementNo, c.Amount.String(), tt.balance))
				if c.PayerKey == nobody.key {
					want = refused(c.CreditID, c.TxnID, events.ReasonAccountNotFound)
				}
				answered(t, out, c.TxnID, want)
			}
			if got := w.balance(alice); got != tt.balance {
				t.Errorf("alice's balance %s, want %s", got, tt.balance)
			}
		})
	}
}

// A query about a credit the bank never received closes it: a credit
// arriving late is refused and moves no money.
func TestQueryCreditNeverReceived(t *testing.T) {
	w := newWorld(t)
	out := w.do("query", creditQuery(alice, "R1", "T", 1))
	recorded(t, out, events.PayerCreditRefused{CreditID: "R1", TxnID: "T", RefundID: "refund-R1", ReasonCode: events.ReasonNotReceivedByBank})
	rs := replies(t, out)
	if len(rs) != 1 {
		t.Fatalf("%d replies", len(rs))
	}
	samePayload(t, "report", rs[0].payload, creditReport("R1", "T", 1, events.LegRefused, events.ReasonNotReceivedByBank))
	late := w.do("late credit", creditCmd(alice, w.agr, "R1", "T", "100.00"))
	if len(late.Events) != 0 || w.balance(alice) != "1000.00" {
		t.Fatal("a credit executed after a query closed it")
	}
	isCopy(t, replies(t, late)[0], out.Events[0], "T")
	if c, ok := w.h.Credit("R1"); !ok || c.Status != events.LegRefused || c.ReasonCode != events.ReasonNotReceivedByBank {
		t.Fatalf("credit view %+v %v", c, ok)
	}
}

// Redelivered credits and queries answer identically and record nothing.
func TestCreditRedelivery(t *testing.T) {
	w := newWorld(t, withLink(banklink.Config{Seed: 5, LatencyMin: time.Millisecond, LatencyMax: 50 * time.Millisecond}))
	for _, name := range []string{"credit", "query", "credit nobody"} {
		var cmd events.Payload
		switch name {
		case "credit":
			cmd = creditCmd(alice, w.agr, "R1", "T", "10.00")
		case "query":
			cmd = creditQuery(alice, "R2", "T2", 1)
		default:
			cmd = creditCmd(nobody, "x", "R3", "T3", "10.00")
		}
		m := w.msg(name, cmd)
		first := w.deliver(m)
		again := w.deliver(m)
		if len(again.Events) != 0 || len(again.Messages) != len(first.Messages) {
			t.Fatalf("%s: redelivery recorded %d events, sent %d messages (first %d)", name, len(again.Events), len(again.Messages), len(first.Messages))
		}
		for i := range first.Messages {
			if !bytes.Equal(first.Messages[i].Value, again.Messages[i].Value) || !first.Messages[i].NotBefore.Equal(again.Messages[i].NotBefore) {
				t.Fatalf("%s: redelivered reply differs", name)
			}
		}
	}
	if got := w.balance(alice); got != "1010.00" {
		t.Fatalf("balance %s after redeliveries, want 1010.00", got)
	}
}

func TestCreditFaults(t *testing.T) {
	t.Run("dropped", func(t *testing.T) {
		w := newWorld(t, withLink(banklink.Config{TimeoutRate: 1}))
		nothing(t, w.do("credit", creditCmd(alice, w.agr, "R1", "T", "10.00")))
	})
	t.Run("reply lost, credited all the same", func(t *testing.T) {
		w := newWorld(t, withLink(banklink.Config{LostReplyRate: 1}))
		out := w.do("credit", creditCmd(alice, w.agr, "R1", "T", "10.00"))
		if len(out.Events) != 1 || len(out.Messages) != 0 || w.balance(alice) != "1010.00" {
			t.Fatalf("%d events, %d messages, balance %s", len(out.Events), len(out.Messages), w.balance(alice))
		}
		// Query reports are not lost.
		if rs := replies(t, w.do("query", creditQuery(alice, "R1", "T", 1))); len(rs) != 1 {
			t.Fatal("query report lost")
		}
	})
	t.Run("query unknown records nothing", func(t *testing.T) {
		w := newWorld(t, withLink(banklink.Config{QueryUnknownRate: 1}))
		out := w.do("query", creditQuery(alice, "R1", "T", 1))
		rs := replies(t, out)
		if len(out.Events) != 0 || len(rs) != 1 {
			t.Fatalf("%d events, %d replies", len(out.Events), len(rs))
		}
		samePayload(t, "report", rs[0].payload, creditReport("R1", "T", 1, events.LegUnknown, ""))
	})
}

func TestCreditPoison(t *testing.T) {
	w := newWorld(t)
	zero := creditCmd(alice, w.agr, "R1", "T", "1.00")
	zero.Amount = events.CNY("0.00")
	noID := creditCmd(alice, w.agr, "", "T", "1.00")
	misrouted := w.msg("misrouted", creditCmd(alice, w.agr, "R1", "T", "1.00"))
	misrouted.Envelope.AggregateID = carol.key
	for name, m := range map[string]processor.Message{
		"zero":      w.msg("zero", zero),
		"no ID":     w.msg("no ID", noID),
		"misrouted": misrouted,
	} {
		if _, err := w.h.Handle(m); err == nil || !strings.HasPrefix(err.Error(), "payerbank: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// The snapshot keeps the credits: restored, the handler answers exactly as
// the original; a snapshot without credits has no credits member, as
// before refunds existed.
func TestCreditSnapshot(t *testing.T) {
	w := newWorld(t)
	before, err := w.h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(before, []byte(`"credits"`)) {
		t.Fatal("a snapshot without credits names them")
	}
	w.do("credit R1", creditCmd(alice, w.agr, "R1", "T1", "10.00"))
	w.do("credit R2", creditCmd(nobody, "x", "R2", "T2", "10.00"))
	w.do("query R3", creditQuery(carol, "R3", "T3", 1))
	snap, err := w.h.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	rest, err := New(Config{Topics: Topics{SagaInbox: testSagaInbox, Outcomes: testOutcomes}, SMSSecret: testSMSSecret}, reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := rest.Restore(snap); err != nil {
		t.Fatal(err)
	}
	again, err := rest.Snapshot()
	if err != nil || !bytes.Equal(again, snap) {
		t.Fatalf("restored snapshot differs (%v)", err)
	}
	for _, m := range []processor.Message{
		w.msg("credit R1", creditCmd(alice, w.agr, "R1", "T1", "10.00")),
		w.msg("query R2", creditQuery(nobody, "R2", "T2", 2)),
		w.msg("credit R3 late", creditCmd(carol, w.carolAgr, "R3", "T3", "10.00")),
		w.msg("credit R4", creditCmd(carol, w.carolAgr, "R4", "T4", "5.00")),
	} {
		a, errA := w.h.Handle(m)
		b, errB := rest.Handle(m)
		if errA != nil || errB != nil || len(a.Events) != len(b.Events) || len(a.Messages) != len(b.Messages) {
			t.Fatalf("%s: original %d events %v, restored %d events %v", m.Envelope.Type, len(a.Events), errA, len(b.Events), errB)
		}
		for i := range a.Messages {
			if !bytes.Equal(a.Messages[i].Value, b.Messages[i].Value) {
				t.Fatalf("%s: replies differ", m.Envelope.Type)
			}
		}
	}
	bad := bytes.Replace(snap, []byte(`"credit_id":"R1"`), []byte(`"credit_id":"R9"`), 1)
	fresh, _ := New(Config{Topics: Topics{SagaInbox: testSagaInbox, Outcomes: testOutcomes}, SMSSecret: testSMSSecret}, reg)
	if err := fresh.Restore(bad); err == nil || !strings.Contains(err.Error(), "credit") {
		t.Fatalf("a credit under another ID restored: %v", err)
	}
}
