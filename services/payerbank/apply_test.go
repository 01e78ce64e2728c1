package payerbank

import (
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

// An event already folded (same payer key, sequence not newer) is ignored:
// after a rebalance two owners may have written it.
func TestApplyIgnoresAnEventAlreadyApplied(t *testing.T) {
	w := newWorld(t)
	w.do("debit 1", w.debit("T1", "100.00"))
	ev1 := w.log[len(w.log)-1]
	w.do("debit 2", w.debit("T2", "50.00"))
	ev2 := w.log[len(w.log)-1]

	for _, ev := range []events.Envelope{ev2, ev1} { // the same, then an older one
		p, err := reg.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		w.h.Apply(ev, p)
	}
	if got := w.balance(alice); got != "850.00" {
		t.Errorf("balance %s, want 850.00", got)
	}
	if got := w.h.DailyUsage(w.agr, "2024-03-01").String(); got != "150.00" {
		t.Errorf("usage %s, want 150.00", got)
	}
}

// Each payer key numbers its events 1, 2, 3... across all its aggregates.
func TestSequencesArePerPayerKey(t *testing.T) {
	w := newWorld(t)
	w.do("debit", w.debit("T", "100.00"))
	w.do("query", events.QueryDebit{TxnID: "U", PayerKey: carol.key, Attempt: 1})
	next := map[string]uint64{}
	for _, ev := range w.log {
		next[ev.AggregateID]++
		if ev.Sequence != next[ev.AggregateID] {
			t.Errorf("%s of %s has sequence %d, want %d", ev.Type, ev.AggregateID, ev.Sequence, next[ev.AggregateID])
		}
	}
	if next[alice.key] != 4 || next[carol.key] != 4 { // opened, verified, signed, debit or refusal
		t.Errorf("alice has %d events, carol %d; want 4 each", next[alice.key], next[carol.key])
	}
}

// Folding the log into a fresh handler rebuilds the same state, and the
// rebuilt handler decides the next command byte for byte as the original.
func TestReplayRebuildsTheSameState(t *testing.T) {
	w := newWorld(t)
	w.do("debit 1", w.debit("T1", "100.00"))
	w.do("debit 2", w.debit("T2", "900.00"))
	w.do("reverse 1", reverseCmd("T1", 1))
	w.do("debit 3", w.debit("T3", "300.00"))
	w.do("terminate carol", terminateCmd(carol, w.carolAgr, chanA, "R", "h"))
	w.do("verify", verifyCmd(alice, chanB, "S", "10.00", "20.00"))
	w.do("confirm", confirmCmd(alice, "S", "000000", "a1"))

	rebuilt := newBank(t)
	for _, ev := range w.log {
		p, err := reg.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt.h.Apply(ev, p)
	}
	for _, c := range []customer{alice, carol} {
		if got, want := rebuilt.balance(c), w.balance(c); got != want {
			t.Errorf("%s: rebuilt balance %s, want %s", c.holder, got, want)
		}
	}
	if got, want := rebuilt.h.DailyUsage(w.agr, "2024-03-01"), w.h.DailyUsage(w.agr, "2024-03-01"); !got.Equal(want) {
		t.Errorf("rebuilt usage %s, want %s", got, want)
	}
	if v, _ := rebuilt.h.Agreement(w.carolAgr); v.Status != AgreementTerminated {
		t.Errorf("rebuilt carol's agreement %s, want terminated", v.Status)
	}
	for _, cmd := range []struct {
		name string
		p    events.Payload
	}{
		{"next debit", w.debit("T4", "400.00")},
		{"next code", confirmCmd(alice, "S", SMSCode(testSMSSecret, "S"), "a2")},
		{"repeated terminate", terminateCmd(carol, w.carolAgr, chanA, "R", "h")},
		{"repeated reverse", reverseCmd("T1", 2)},
	} {
		m := w.msg(cmd.name, cmd.p)
		got, want := rebuilt.deliver(m), w.deliver(m)
		sameMessages(t, got, want)
		if len(got.Events) != len(want.Events) {
			t.Fatalf("%s: rebuilt recorded %d events, original %d", cmd.name, len(got.Events), len(want.Events))
		}
		for i := range got.Events {
			g, _ := events.Marshal(got.Events[i])
			o, _ := events.Marshal(want.Events[i])
			if string(g) != string(o) {
				t.Errorf("%s: rebuilt decided\n%s\noriginal\n%s", cmd.name, g, o)
			}
		}
	}
}

// Apply refuses a log that contradicts the rules: it panics rather than
// fold a balance below zero.
func TestApplyPanicsOnAnImpossibleEvent(t *testing.T) {
	w := newWorld(t)
	p := events.PayerDebited{TxnID: "T", AgreementNo: w.carolAgr, Amount: events.CNY("60.00"), BalanceAfter: events.CNY("-10.00"), Day: "2024-03-01"}
	env, err := reg.New(carol.key, 4, p, events.Meta{ID: events.DeriveID("forged"), CorrelationID: "c", CausationID: "c", OccurredAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "cannot pay") {
			t.Fatalf("recovered %v, want a panic about the balance", r)
		}
	}()
	w.h.Apply(env, p)
}
