package payerbank

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

// Snapshot tests: a handler restored from a snapshot must decide exactly as
// the handler that took it, so a partition can be taken over from its
// latest snapshot plus the log tail.

var (
	snapDave = newCustomer("6222020000000004", "赵六", "110101199404044567", "13800000004")
	snapEve  = newCustomer("6222020000000005", "钱七", "110101199505055678", "13800000005")
	// snapLink delays every reply, so restored and original must also
	// agree on NotBefore.
	snapLink = withLink(banklink.Config{Seed: 42, LatencyMin: 10 * time.Millisecond, LatencyMax: 400 * time.Millisecond})
	// day2 is 01:00 in Beijing on 2024-03-02, the day after t0.
	day2 = t0.Add(15 * time.Hour)
)

// htmlAttempt is an attempt ID a naive JSON encoder would escape: the
// snapshot must keep stored replies byte for byte.
const htmlAttempt = "a<1>&"

// snapWorld is a bank with a varied history and every message it was
// given, for redelivery.
type snapWorld struct {
	*world
	sent      []processor.Message
	aliceB    string // agreement alice signs on chanB after the snapshot
	carolAgr2 string // carol's second chanA agreement, after the first was terminated
}

// send handles command p named name at the bank's clock, like do, and
// remembers the message.
func (w *snapWorld) send(name string, p events.Payload) processor.Output {
	w.t.Helper()
	m := w.msg(name, p)
	w.sent = append(w.sent, m)
	return w.deliver(m)
}

// newSnapWorld builds accounts, signings in every step, active and
// terminated agreements, debits, refusals and reversals on two Beijing
// days, queries and terminations.
func newSnapWorld(t *testing.T) *snapWorld {
	t.Helper()
	w := &snapWorld{world: newWorld(t, snapLink)}
	w.open(snapDave, "0.00")

	// Day 1, 10:00 Beijing.
	w.at(t0.Add(time.Minute))
	// Pending, with a rejected code.
	w.send("verify S-pend", verifyCmd(alice, chanB, "S-pend", "100.00", "300.00"))
	w.send("confirm S-pend wrong", confirmCmd(alice, "S-pend", "wrong", htmlAttempt))
	// Refused by the identity check: no account, and a wrong phone.
	w.send("verify S-nobody", verifyCmd(nobody, chanA, "S-nobody", "100.00", "300.00"))
	mismatch := verifyCmd(carol, chanB, "S-mismatch", "100.00", "300.00")
	mismatch.Phone = "13899999999"
	w.send("verify S-mismatch", mismatch)
	// Refused after too many wrong codes.
	w.send("verify S-fail", verifyCmd(carol, chanB, "S-fail", "10.00", "30.00"))
	for _, a := range []string{"f1", "f2", "f3"} {
		w.send("confirm S-fail "+a, confirmCmd(carol, "S-fail", "wrong", a))
	}
	// Refused because the code expired.
	w.send("verify S-exp", verifyCmd(snapDave, chanA, "S-exp", "10.00", "30.00"))
	w.at(t0.Add(10 * time.Minute))
	w.send("confirm S-exp late", confirmCmd(snapDave, "S-exp", SMSCode(testSMSSecret, "S-exp"), "e1"))

	// Terminations: carol's agreement, then she signs again.
	w.send("terminate R-carol", terminateCmd(carol, w.carolAgr, chanA, "R-carol", "hash-carol"))
	w.send("terminate R-other", terminateCmd(alice, w.agr, chanB, "R-other", "hash-other"))
	w.send("terminate R-unknown", terminateCmd(alice, "no-such-agreement", chanA, "R-unknown", "hash-unknown"))
	w.send("verify sign-carol-2", verifyCmd(carol, chanA, "sign-carol-2", "40.00", "45.00"))
	w.send("confirm sign-carol-2", confirmCmd(carol, "sign-carol-2", SMSCode(testSMSSecret, "sign-carol-2"), "c1"))
	w.carolAgr2 = agreementNo(carol, "sign-carol-2")

	// Debits on day 1.
	w.at(t0.Add(20 * time.Minute))
	w.send("debit T1", w.debit("T1", "100.00"))
	w.send("debit T2", w.debit("T2", "900.00")) // over the per-payment limit
	w.send("debit T3", w.debit("T3", "300.00"))
	w.send("reverse T1", reverseCmd("T1", 1))
	w.send("debit C1", debitCmd(carol, w.carolAgr2, chanA, "C1", "40.00"))
	w.send("debit C2", debitCmd(carol, w.carolAgr2, chanA, "C2", "20.00"))       // insufficient funds
	w.send("debit C-term", debitCmd(carol, w.carolAgr, chanA, "C-term", "1.00")) // terminated
	w.send("query U1", events.QueryDebit{TxnID: "U1", PayerKey: alice.key, Attempt: 1})
	w.send("reverse U2", events.ReverseDebit{TxnID: "U2", PayerKey: alice.key, Attempt: 1})
	w.send("query T3", events.QueryDebit{TxnID: "T3", PayerKey: alice.key, Attempt: 1})

	// Day 2.
	w.at(day2)
	w.send("debit T4", w.debit("T4", "400.00"))
	w.send("debit T5", w.debit("T5", "450.00")) // over the daily limit
	w.send("debit T6", w.debit("T6", "200.00"))
	// Pending with one wrong code, and with one short of the limit.
	w.send("verify S-dave", verifyCmd(snapDave, chanA, "S-dave", "50.00", "80.00"))
	w.send("confirm S-dave wrong", confirmCmd(snapDave, "S-dave", "wrong", "d0"))
	w.send("verify S-carol-b2", verifyCmd(carol, chanB, "S-carol-b2", "5.00", "9.00"))
	w.send("confirm S-carol-b2 wrong 1", confirmCmd(carol, "S-carol-b2", "wrong", "g1"))
	w.send("confirm S-carol-b2 wrong 2", confirmCmd(carol, "S-carol-b2", "wrong", "g2"))

	if u := w.h.DailyUsage(w.agr, "2024-03-01").String(); u != "300.00" {
		t.Fatalf("day 1 usage %s, want 300.00", u)
	}
	if u := w.h.DailyUsage(w.agr, "2024-03-02").String(); u != "600.00" {
		t.Fatalf("day 2 usage %s, want 600.00", u)
	}
	return w
}

func snapshotOf(t *testing.T, h *Handler) []byte {
	t.Helper()
	b, err := h.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return b
}

// restored returns a fresh bank restored from snap.
func restored(t *testing.T, snap []byte) *bank {
	t.Helper()
	b := newBank(t, snapLink)
	if err := b.h.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return b
}

func TestSnapshotRoundTrip(t *testing.T) {
	w := newSnapWorld(t)
	snap := snapshotOf(t, w.h)
	if again := snapshotOf(t, w.h); !bytes.Equal(again, snap) {
		t.Fatal("two snapshots of the same state differ")
	}
	if other := snapshotOf(t, newSnapWorld(t).h); !bytes.Equal(other, snap) {
		t.Fatal("snapshots of two handlers built alike differ")
	}
	if got := snapshotOf(t, restored(t, snap).h); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot of the restored handler differs:\n got %s\nwant %s", got, snap)
	}
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(snap, &head); err != nil || head.Version != 1 {
		t.Fatalf("snapshot version %d (%v), want 1", head.Version, err)
	}
	for _, want := range []string{
		`"attempt":"` + htmlAttempt + `"`,                // no HTML escaping
		`"balance":{"amount":"100.00","currency":"CNY"}`, // exact money
		`"code_expires_at":"2024-03-01T02:06:00Z"`,       // UTC time
	} {
		if !bytes.Contains(snap, []byte(want)) {
			t.Errorf("snapshot lacks %s", want)
		}
	}
}

// both hands m to the original and the restored bank and fails unless they
// answer byte for byte alike.
func both(t *testing.T, orig, rest *bank, m processor.Message) {
	t.Helper()
	name := m.Envelope.Type + " " + m.Envelope.ID
	want, werr := orig.h.Handle(m)
	got, gerr := rest.h.Handle(m)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("%s: restored failed with %v, original with %v", name, gerr, werr)
	}
	if werr != nil {
		return
	}
	if len(got.Events) != len(want.Events) || len(got.Payloads) != len(want.Payloads) {
		t.Fatalf("%s: restored recorded %d events, original %d", name, len(got.Events), len(want.Events))
	}
	for i := range want.Events {
		g, err := events.Marshal(got.Events[i])
		if err != nil {
			t.Fatal(err)
		}
		o, err := events.Marshal(want.Events[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(g, o) {
			t.Errorf("%s: restored decided\n%s\noriginal\n%s", name, g, o)
		}
		if jsonOf(t, got.Payloads[i]) != jsonOf(t, want.Payloads[i]) {
			t.Errorf("%s: payload %d differs", name, i)
		}
	}
	if len(got.Messages) != len(want.Messages) {
		t.Fatalf("%s: restored sent %d messages, original %d", name, len(got.Messages), len(want.Messages))
	}
	for i := range want.Messages {
		g, o := got.Messages[i], want.Messages[i]
		if g.Topic != o.Topic || g.Key != o.Key || !bytes.Equal(g.Value, o.Value) || !g.NotBefore.Equal(o.NotBefore) {
			t.Errorf("%s: message %d differs:\n got %s %s %s %v\nwant %s %s %s %v", name, i, g.Topic, g.Key, g.Value, g.NotBefore, o.Topic, o.Key, o.Value, o.NotBefore)
		}
	}
	for _, b := range []*bank{orig, rest} {
		out := want
		if b == rest {
			out = got
		}
		for i, ev := range out.Events {
			b.h.Apply(ev, out.Payloads[i])
			b.log = append(b.log, ev)
		}
	}
}

// sameViews compares what the read-only views show of both banks.
func sameViews(t *testing.T, orig, rest *bank, agreements, txns []string) {
	t.Helper()
	for _, c := range []customer{alice, carol, snapDave, snapEve, nobody} {
		g, gok := rest.h.Balance(c.key)
		w, wok := orig.h.Balance(c.key)
		if gok != wok || (wok && !g.Equal(w)) {
			t.Errorf("balance of %s: restored %v %v, original %v %v", c.holder, g, gok, w, wok)
		}
	}
	for _, no := range agreements {
		g, gok := rest.h.Agreement(no)
		w, wok := orig.h.Agreement(no)
		if gok != wok || (wok && (g.No != w.No || g.SigningID != w.SigningID || g.ChannelID != w.ChannelID ||
			g.PayerKey != w.PayerKey || g.Status != w.Status || !g.PerPaymentLimit.Equal(w.PerPaymentLimit) || !g.DailyLimit.Equal(w.DailyLimit))) {
			t.Errorf("agreement %s: restored %+v, original %+v", no, g, w)
		}
		for _, day := range []string{"2024-02-29", "2024-03-01", "2024-03-02", "2024-03-03"} {
			if g, w := rest.h.DailyUsage(no, day), orig.h.DailyUsage(no, day); !g.Equal(w) {
				t.Errorf("usage of %s on %s: restored %s, original %s", no, day, g, w)
			}
		}
	}
	for _, id := range txns {
		g, gok := rest.h.Leg(id)
		w, wok := orig.h.Leg(id)
		if gok != wok || (wok && (g.TxnID != w.TxnID || g.PayerKey != w.PayerKey || g.AgreementNo != w.AgreementNo ||
			g.Status != w.Status || g.ReasonCode != w.ReasonCode || g.Day != w.Day || (g.Amount.Currency().IsValid() != w.Amount.Currency().IsValid()) ||
			(w.Amount.Currency().IsValid() && !g.Amount.Equal(w.Amount)))) {
			t.Errorf("leg %s: restored %+v, original %+v", id, g, w)
		}
	}
}

func TestRestoredHandlerDecidesAsTheOriginal(t *testing.T) {
	w := newSnapWorld(t)
	orig := w.bank
	rest := restored(t, snapshotOf(t, orig.h))
	agreements := []string{w.agr, w.carolAgr, w.carolAgr2, agreementNo(alice, "S-pend"), agreementNo(snapDave, "S-dave"), agreementNo(alice, "S-alice-b")}
	txns := []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "T13", "C1", "C2", "C3", "C4", "C-term", "U1", "U2", "U3"}
	sameViews(t, orig, rest, agreements, txns)

	// Every command handled before the snapshot, redelivered as is.
	for _, m := range w.sent {
		both(t, orig, rest, m)
	}

	cmds := []struct {
		at   time.Time
		name string
		p    events.Payload
	}{
		// Accounts: a repeat, a contradiction (poison), a new one.
		{day2, "open alice again", events.OpenAccount{PayerKey: alice.key, Account: alice.account, HolderName: alice.holder, IDNumber: alice.idNumber, Phone: alice.phone, OpeningBalance: events.CNY("1000.00")}},
		{day2, "open alice otherwise", events.OpenAccount{PayerKey: alice.key, Account: alice.account, HolderName: alice.holder, IDNumber: alice.idNumber, Phone: alice.phone, OpeningBalance: events.CNY("1.00")}},
		{day2, "open dave again", events.OpenAccount{PayerKey: snapDave.key, Account: snapDave.account, HolderName: snapDave.holder, IDNumber: snapDave.idNumber, Phone: snapDave.phone, OpeningBalance: events.CNY("0.00")}},
		{day2, "open eve", events.OpenAccount{PayerKey: snapEve.key, Account: snapEve.account, HolderName: snapEve.holder, IDNumber: snapEve.idNumber, Phone: snapEve.phone, OpeningBalance: events.CNY("5.00")}},
		// Signings: new commands for signings in every step.
		{day2, "confirm S-pend again", confirmCmd(alice, "S-pend", "wrong", htmlAttempt)},
		{day2, "confirm S-pend expired", confirmCmd(alice, "S-pend", SMSCode(testSMSSecret, "S-pend"), "p2")},
		{day2, "confirm S-fail after", confirmCmd(carol, "S-fail", SMSCode(testSMSSecret, "S-fail"), "f4")},
		{day2, "confirm S-nobody", confirmCmd(nobody, "S-nobody", SMSCode(testSMSSecret, "S-nobody"), "n1")},
		{day2, "confirm S-exp after", confirmCmd(snapDave, "S-exp", SMSCode(testSMSSecret, "S-exp"), "e2")},
		{day2, "confirm sign-alice again", confirmCmd(alice, "sign-alice", "wrong", "x1")},
		{day2.Add(time.Minute), "confirm S-dave wrong again", confirmCmd(snapDave, "S-dave", "wrong", "d1")},
		{day2.Add(time.Minute), "confirm S-carol-b2 wrong 3", confirmCmd(carol, "S-carol-b2", "wrong", "g3")},
		{day2.Add(2 * time.Minute), "confirm S-dave right", confirmCmd(snapDave, "S-dave", SMSCode(testSMSSecret, "S-dave"), "d3")},
		{day2.Add(3 * time.Minute), "verify alice chanA again", verifyCmd(alice, chanA, "S-alice-a", "1.00", "2.00")},
		{day2.Add(3 * time.Minute), "verify dave chanA again", verifyCmd(snapDave, chanA, "S-dave-2", "1.00", "2.00")},
		{day2.Add(3 * time.Minute), "verify alice chanB", verifyCmd(alice, chanB, "S-alice-b", "100.00", "150.00")},
		{day2.Add(4 * time.Minute), "confirm alice chanB", confirmCmd(alice, "S-alice-b", SMSCode(testSMSSecret, "S-alice-b"), "b1")},
		{day2.Add(4 * time.Minute), "verify carol chanB", verifyCmd(carol, chanB, "S-carol-b", "1.00", "2.00")},
		// Debits against day 2's limit, a reversal giving back to it.
		{day2.Add(5 * time.Minute), "debit T7", w.debit("T7", "200.00")},
		{day2.Add(5 * time.Minute), "debit T8", w.debit("T8", "0.01")},
		{day2.Add(5 * time.Minute), "reverse T6", reverseCmd("T6", 1)},
		{day2.Add(5 * time.Minute), "reverse T6 again", reverseCmd("T6", 2)},
		{day2.Add(5 * time.Minute), "debit T9", w.debit("T9", "200.00")},
		// A late timestamp of day 1: that day's usage counts.
		{t0.Add(2 * time.Hour), "debit T10", w.debit("T10", "500.00")},
		{t0.Add(2 * time.Hour), "debit T11", w.debit("T11", "0.01")},
		{t0.Add(2 * time.Hour), "reverse T3", reverseCmd("T3", 1)},
		{t0.Add(2 * time.Hour), "debit T12", w.debit("T12", "300.00")},
		// Carol's second agreement and her balance.
		{day2.Add(6 * time.Minute), "debit C3", debitCmd(carol, w.carolAgr2, chanA, "C3", "20.00")},
		{day2.Add(6 * time.Minute), "debit C4", debitCmd(carol, w.carolAgr2, chanA, "C4", "40.00")},
		{day2.Add(6 * time.Minute), "debit C1 again", debitCmd(carol, w.carolAgr2, chanA, "C1", "10.00")},
		{day2.Add(6 * time.Minute), "debit on chanB agreement", debitCmd(alice, agreementNo(alice, "S-alice-b"), chanB, "T-b", "100.00")},
		// Terminations.
		{day2.Add(7 * time.Minute), "terminate R-carol again", terminateCmd(carol, w.carolAgr, chanA, "R-carol", "hash-carol")},
		{day2.Add(7 * time.Minute), "terminate R-carol other body", terminateCmd(carol, w.carolAgr, chanA, "R-carol", "hash-other-body")},
		{day2.Add(7 * time.Minute), "terminate R-other again", terminateCmd(alice, w.agr, chanB, "R-other", "hash-other")},
		{day2.Add(7 * time.Minute), "terminate R-unknown again", terminateCmd(alice, "no-such-agreement", chanA, "R-unknown", "hash-unknown")},
		{day2.Add(7 * time.Minute), "terminate alice", terminateCmd(alice, w.agr, chanA, "R-alice", "hash-alice")},
		{day2.Add(7 * time.Minute), "terminate carol 2", terminateCmd(carol, w.carolAgr2, chanA, "R-carol-2", "hash-carol-2")},
		{day2.Add(8 * time.Minute), "debit T13", w.debit("T13", "1.00")},
		{day2.Add(8 * time.Minute), "verify alice chanA after", verifyCmd(alice, chanA, "S-alice-a2", "1.00", "2.00")},
		// Queries and reversals of every kind of leg.
		{day2.Add(9 * time.Minute), "query T1", events.QueryDebit{TxnID: "T1", PayerKey: alice.key, Attempt: 3}},
		{day2.Add(9 * time.Minute), "query T2", events.QueryDebit{TxnID: "T2", PayerKey: alice.key, Attempt: 3}},
		{day2.Add(9 * time.Minute), "query T4", events.QueryDebit{TxnID: "T4", PayerKey: alice.key, Attempt: 3}},
		{day2.Add(9 * time.Minute), "query U1", events.QueryDebit{TxnID: "U1", PayerKey: alice.key, Attempt: 3}},
		{day2.Add(9 * time.Minute), "query U3", events.QueryDebit{TxnID: "U3", PayerKey: carol.key, Attempt: 1}},
		{day2.Add(9 * time.Minute), "reverse T1 again", reverseCmd("T1", 3)},
		{day2.Add(9 * time.Minute), "reverse T2", reverseCmd("T2", 1)},
		{day2.Add(9 * time.Minute), "reverse U2 again", events.ReverseDebit{TxnID: "U2", PayerKey: alice.key, Attempt: 2}},
		{day2.Add(9 * time.Minute), "reverse T4", reverseCmd("T4", 1)},
		{day2.Add(9 * time.Minute), "debit T4 again", w.debit("T4", "400.00")},
	}
	for _, c := range cmds {
		orig.at(c.at)
		both(t, orig, rest, orig.msg(c.name, c.p))
	}
	sameViews(t, orig, rest, agreements, txns)
	if g, o := snapshotOf(t, rest.h), snapshotOf(t, orig.h); !bytes.Equal(g, o) {
		t.Errorf("after the same commands the snapshots differ:\n got %s\nwant %s", g, o)
	}
}

func TestRestoreRefuses(t *testing.T) {
	w := newSnapWorld(t)
	snap := snapshotOf(t, w.h)

	// A handler with state.
	if err := w.h.Restore(snap); err == nil || !strings.Contains(err.Error(), "already has state") {
		t.Errorf("Restore into the original: %v, want already has state", err)
	}
	if err := restored(t, snap).h.Restore(snap); err == nil {
		t.Error("Restore into a restored handler succeeded")
	}
	one := newBank(t, snapLink)
	one.h.Apply(w.log[0], mustDecode(t, w.log[0]))
	if err := one.h.Restore(snap); err == nil {
		t.Error("Restore into a handler with one event folded succeeded")
	}

	// Bad input. edit derives a snapshot from a valid one.
	edit := func(f func(*snapshotV1)) []byte {
		var s snapshotV1
		if err := processor.DecodeSnapshot(snap, &s); err != nil {
			t.Fatal(err)
		}
		f(&s)
		b, err := processor.EncodeSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	replace := func(old, new string) []byte {
		if !bytes.Contains(snap, []byte(old)) {
			t.Fatalf("snapshot lacks %s", old)
		}
		return bytes.Replace(snap, []byte(old), []byte(new), 1)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "malformed"},
		{"garbage", []byte("not a snapshot"), "malformed"},
		{"array", []byte("[1,2]"), "malformed"},
		{"truncated", snap[:len(snap)/2], "malformed"},
		{"trailing data", append(append([]byte{}, snap...), "{}"...), "malformed"},
		{"unknown version", replace(`"version":1`, `"version":2`), "unknown snapshot version 2"},
		{"no version", []byte(`{"service":"payerbank"}`), "unknown snapshot version 0"},
		{"other service", []byte(`{"version":1,"service":"reservebank","decisions":[]}`), "service"},
		{"unknown member", replace(`"version":1,`, `"version":1,"extra":true,`), "malformed"},
		{"money as a number", replace(`"balance":{"amount":"100.00","currency":"CNY"}`, `"balance":800`), "malformed"},
		{"bad time", replace(`"code_expires_at":"2024-03-01T02:06:00Z"`, `"code_expires_at":"yesterday"`), "code expiry"},
		{"bad reply", replace(`"verify_reply":{`, `"verify_reply":{"x":1,`), "verify reply"},
		{"unknown signing status", replace(`"status":"pending"`, `"status":"bogus"`), "unknown signing status"},
		{"unknown leg status", replace(`"status":"reversed"`, `"status":"bogus"`), "unknown leg status"},
		{"duplicate account", edit(func(s *snapshotV1) { s.Accounts = append(s.Accounts, s.Accounts[0]) }), "twice"},
		{"missing sequence", edit(func(s *snapshotV1) { s.Sequences = s.Sequences[1:] }), "no events"},
		{"dangling active agreement", edit(func(s *snapshotV1) {
			s.Agreements = s.Agreements[:0]
		}), "active agreement"},
		{"leg of a missing agreement", edit(func(s *snapshotV1) {
			for i := range s.Legs {
				if s.Legs[i].Status == events.LegDone {
					s.Legs[i].AgreementNo = "nope"
				}
			}
		}), "missing agreement"},
		{"malformed day", edit(func(s *snapshotV1) {
			for i := range s.Agreements {
				if len(s.Agreements[i].Usage) > 0 {
					s.Agreements[i].Usage[0].Day = "2024-3-1"
				}
			}
		}), "malformed day"},
		{"debit reply of another type", edit(func(s *snapshotV1) { s.Legs[0].DebitReply = s.Signings[0].VerifyReply }), "unexpected"},
	}
	fresh := newBank(t, snapLink)
	for _, tt := range tests {
		err := fresh.h.Restore(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Restore = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	// A failed Restore leaves the handler fresh.
	if err := fresh.h.Restore(snap); err != nil {
		t.Fatalf("Restore after failed ones: %v", err)
	}
	if got := snapshotOf(t, fresh.h); !bytes.Equal(got, snap) {
		t.Error("restored after failed attempts, the snapshot differs")
	}
}

func mustDecode(t *testing.T, ev events.Envelope) events.Payload {
	t.Helper()
	p, err := reg.Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// After a Restore, the runtime folds the log tail; events the snapshot
// already covers (the tail overlaps it, or a second owner wrote them) are
// ignored, and the ones after it are folded.
func TestApplyAfterRestore(t *testing.T) {
	w := newSnapWorld(t)
	snap := snapshotOf(t, w.h)
	covered := len(w.log)

	rest := restored(t, snap)
	for i := len(w.log) - 1; i >= 0; i-- { // newest first, then all again in order
		rest.h.Apply(w.log[i], mustDecode(t, w.log[i]))
	}
	for _, ev := range w.log {
		rest.h.Apply(ev, mustDecode(t, ev))
	}
	if got := snapshotOf(t, rest.h); !bytes.Equal(got, snap) {
		t.Fatalf("folding covered events changed the state:\n got %s\nwant %s", got, snap)
	}

	// The original goes on; a takeover folds the whole log over the snapshot.
	w.at(day2.Add(time.Hour))
	w.send("debit T7", w.debit("T7", "150.00"))
	w.send("reverse T4", reverseCmd("T4", 1))
	w.send("confirm S-dave", confirmCmd(snapDave, "S-dave", SMSCode(testSMSSecret, "S-dave"), "d1"))
	w.send("terminate alice", terminateCmd(alice, w.agr, chanA, "R-alice", "hash-alice"))
	if len(w.log) == covered {
		t.Fatal("no events after the snapshot")
	}
	takeover := restored(t, snap)
	for _, ev := range w.log {
		takeover.h.Apply(ev, mustDecode(t, ev))
	}
	if got, want := snapshotOf(t, takeover.h), snapshotOf(t, w.h); !bytes.Equal(got, want) {
		t.Fatalf("snapshot plus tail differs from the original:\n got %s\nwant %s", got, want)
	}
	both(t, w.bank, takeover, w.msg("debit T8", w.debit("T8", "50.00")))
}

func TestSnapshotOfAFreshHandler(t *testing.T) {
	snap := snapshotOf(t, newBank(t).h)
	want := `{"version":1,"service":"payerbank","sequences":[],"accounts":[],"signings":[],"agreements":[],"terminations":[],"legs":[]}`
	if string(snap) != want {
		t.Fatalf("snapshot %s, want %s", snap, want)
	}
	b := newBank(t)
	if err := b.h.Restore(snap); err != nil {
		t.Fatal(err)
	}
	b.open(alice, "1.00") // still usable, and it was fresh
	if got := b.balance(alice); got != "1.00" {
		t.Fatalf("balance %s", got)
	}
}
