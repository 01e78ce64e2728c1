package payerbank

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
)

// The world is built without faults; faults are then switched on for the
// command under test only.
func withFaults(w *world, c banklink.Config) {
	l, err := banklink.New(c)
	if err != nil {
		panic(err)
	}
	w.h.cfg.Link = l
}

func TestDroppedDebitNeverReachesTheBank(t *testing.T) {
	w := newWorld(t)
	withFaults(w, banklink.Config{TimeoutRate: 1})
	m := w.msg("debit", w.debit("T", "100.00"))
	nothing(t, w.deliver(m))
	nothing(t, w.deliver(m)) // a redelivery meets the same fate
	if _, ok := w.h.Leg("T"); ok {
		t.Error("a dropped debit left a leg")
	}
	if got := w.balance(alice); got != "1000.00" {
		t.Errorf("balance %s, want 1000.00", got)
	}
}

func TestDroppedReversalNeverReachesTheBank(t *testing.T) {
	w := newWorld(t)
	w.do("debit", w.debit("T", "100.00"))
	withFaults(w, banklink.Config{TimeoutRate: 1})
	nothing(t, w.do("reverse", reverseCmd("T", 1)))
	if l, _ := w.h.Leg("T"); l.Status != events.LegDone || w.balance(alice) != "900.00" {
		t.Errorf("a dropped reversal moved the leg to %s, balance %s", l.Status, w.balance(alice))
	}
}

// A lost reply: the bank executed and recorded, the saga hears nothing, and
// a redelivery of the same command loses its reply again. The saga learns
// the truth by status query.
func TestLostReplyExecutesWithoutAnswer(t *testing.T) {
	w := newWorld(t)
	withFaults(w, banklink.Config{LostReplyRate: 1})
	m := w.msg("debit", w.debit("T", "100.00"))
	out := w.deliver(m)
	recorded(t, out, debited(w.agr, "100.00", "900.00"))
	if len(out.Messages) != 0 {
		t.Fatalf("sent %d messages, want none", len(out.Messages))
	}
	nothing(t, w.deliver(m))

	out = w.do("reverse", reverseCmd("T", 1))
	recorded(t, out, events.PayerDebitReversed{TxnID: "T", Amount: events.CNY("100.00"), BalanceAfter: events.CNY("1000.00")})
	if len(out.Messages) != 0 {
		t.Fatalf("reversal sent %d messages, want none", len(out.Messages))
	}

	reported(t, w.do("query", events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1}), "query",
		events.DebitStatusReported{TxnID: "T", Attempt: 1, Status: events.LegReversed})
}

// Signing replies are never lost or dropped: the signing saga has no status
// query to recover them. They are delayed like every reply.
func TestSigningRepliesOnlyGetLatency(t *testing.T) {
	latency := 2 * time.Second
	b := newBank(t, withLink(banklink.Config{TimeoutRate: 1, LostReplyRate: 1, LatencyMin: latency, LatencyMax: latency}))
	b.open(alice, "1000.00")
	verify := replies(t, b.do("verify", verifyCmd(alice, chanA, "S", "500.00", "800.00")))
	confirm := replies(t, b.do("confirm", confirmCmd(alice, "S", SMSCode(testSMSSecret, "S"), "a1")))
	for name, rs := range map[string][]reply{"verify": verify, "confirm": confirm} {
		if len(rs) != 1 || !rs[0].notBefore.Equal(t0.Add(latency)) {
			t.Errorf("%s: %d replies (%+v), want 1 not before %v", name, len(rs), rs, t0.Add(latency))
		}
	}
}

func TestLatencyDelaysReplies(t *testing.T) {
	latency := 3 * time.Second
	w := newWorld(t)
	withFaults(w, banklink.Config{LatencyMin: latency, LatencyMax: latency})
	debit := replies(t, w.do("debit", w.debit("T", "100.00")))
	query := replies(t, w.do("query", events.QueryDebit{TxnID: "T", PayerKey: alice.key, Attempt: 1}))
	for name, rs := range map[string][]reply{"debit": debit, "query": query} {
		if len(rs) != 1 || !rs[0].notBefore.Equal(t0.Add(latency)) {
			t.Errorf("%s: %d replies (%+v), want 1 not before %v", name, len(rs), rs, t0.Add(latency))
		}
	}
	// Outcomes to channels are not delayed: a delayed record lives in
	// memory only, and nothing would re-send a lost outcome.
	out := w.do("terminate", terminateCmd(alice, w.agr, chanA, "R", "h"))
	if len(out.Messages) != 1 || !out.Messages[0].NotBefore.IsZero() {
		t.Errorf("terminate outcome delayed: %+v", out.Messages)
	}
}

// Faults are decided per command ID: with a 50% drop rate, some commands
// are dropped, the others executed, and each one always meets the same
// fate.
func TestFaultsAreDeterministicPerCommand(t *testing.T) {
	w := newWorld(t)
	withFaults(w, banklink.Config{Seed: 7, TimeoutRate: 0.5})
	var dropped, executed int
	for i := range 20 {
		txn := "T" + string(rune('a'+i))
		m := w.msg("debit "+txn, w.debit(txn, "1.00"))
		first := w.deliver(m)
		if len(first.Events) == 0 {
			dropped++
			nothing(t, first)
		} else {
			executed++
		}
		if again := w.deliver(m); len(again.Events) != 0 || len(again.Messages) != len(first.Messages) {
			t.Fatalf("%s: redelivery met another fate", txn)
		}
	}
	if dropped == 0 || executed == 0 {
		t.Fatalf("dropped %d, executed %d: want both", dropped, executed)
	}
}
