package payerbank

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The runtime may redeliver a command whose events are already folded (a
// crash between produce and commit). The handler must not decide again: no
// new events, and the very same messages (same IDs, same bytes) again.
func TestRedeliveryResendsTheSameAnswer(t *testing.T) {
	tests := []struct {
		name  string
		given func(w *world)
		when  func(w *world) events.Payload
	}{
		{name: "open account", when: func(*world) events.Payload {
			return events.OpenAccount{PayerKey: nobody.key, Account: nobody.account, HolderName: nobody.holder, IDNumber: nobody.idNumber, Phone: nobody.phone, OpeningBalance: events.CNY("10.00")}
		}},
		{name: "verify signing", when: func(*world) events.Payload { return verifyCmd(alice, chanB, "S", "500.00", "800.00") }},
		{name: "verify signing refused", when: func(*world) events.Payload { return verifyCmd(alice, chanA, "S", "500.00", "800.00") }},
		{name: "wrong sms code", given: verifyAliceB, when: func(*world) events.Payload { return confirmCmd(alice, "S", "000000", "a1") }},
		{name: "right sms code", given: verifyAliceB, when: func(*world) events.Payload {
			return confirmCmd(alice, "S", SMSCode(testSMSSecret, "S"), "a1")
		}},
		{name: "unknown signing", when: func(*world) events.Payload { return confirmCmd(alice, "nope", "000000", "a1") }},
		{name: "terminate", when: func(w *world) events.Payload { return terminateCmd(alice, w.agr, chanA, "R", "h") }},
		{name: "terminate refused", when: func(w *world) events.Payload { return terminateCmd(alice, w.agr, chanB, "R", "h") }},
		{name: "debit", when: func(w *world) events.Payload { return w.debit("T", "100.00") }},
		{name: "debit refused", when: func(w *world) events.Payload { return w.debit("T", "900.00") }},
		{name: "query unseen", when: func(*world) events.Payload {
			return events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1}
		}},
		{name: "reverse", given: func(w *world) { w.do("debit", w.debit("T", "100.00")) }, when: func(*world) events.Payload {
			return reverseCmd("T", 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.given != nil {
				tt.given(w)
			}
			m := w.msg("the command", tt.when(w))
			first := w.deliver(m)
			a1, c1 := w.balance(alice), len(w.log)
			again := w.deliver(m)
			if len(again.Events) != 0 {
				t.Fatalf("redelivery recorded %d events", len(again.Events))
			}
			sameMessages(t, again, first)
			if w.balance(alice) != a1 || len(w.log) != c1 {
				t.Error("redelivery changed the state")
			}
		})
	}
}

func verifyAliceB(w *world) { w.do("verify", verifyCmd(alice, chanB, "S", "500.00", "800.00")) }

func sameMessages(t *testing.T, got, want processor.Output) {
	t.Helper()
	if len(got.Messages) != len(want.Messages) {
		t.Fatalf("%d messages, want %d", len(got.Messages), len(want.Messages))
	}
	for i := range got.Messages {
		g, w := got.Messages[i], want.Messages[i]
		if g.Topic != w.Topic || g.Key != w.Key || string(g.Value) != string(w.Value) || !g.NotBefore.Equal(w.NotBefore) {
			t.Errorf("message %d differs:\n got %s %s %s\nwant %s %s %s", i, g.Topic, g.Key, g.Value, w.Topic, w.Key, w.Value)
		}
	}
}

// A command redelivered before its events were folded (the runtime has not
// applied them yet, or a second owner decides from the same log) decides
// exactly the same events, which Apply then folds once.
func TestHandleIsPureAndDeterministic(t *testing.T) {
	w := newWorld(t)
	m := w.msg("debit", w.debit("T", "100.00"))
	first, err := w.h.Handle(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.balance(alice); got != "1000.00" {
		t.Fatalf("Handle changed the balance to %s", got)
	}
	second, err := w.h.Handle(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Events) != 1 || len(second.Events) != 1 {
		t.Fatalf("events %d and %d, want 1 each", len(first.Events), len(second.Events))
	}
	b1, _ := events.Marshal(first.Events[0])
	b2, _ := events.Marshal(second.Events[0])
	if string(b1) != string(b2) {
		t.Fatalf("two decisions differ:\n%s\n%s", b1, b2)
	}
	sameMessages(t, second, first)
	for _, out := range []processor.Output{first, second} {
		p, _ := reg.Decode(out.Events[0])
		w.h.Apply(out.Events[0], p)
	}
	if got := w.balance(alice); got != "900.00" {
		t.Fatalf("balance %s after folding the same event twice, want 900.00", got)
	}
}
