package reservebank

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

// Snapshot tests: a bank restored from a snapshot must answer exactly as
// the bank that took it, so a partition can be taken over from its latest
// snapshot plus the log tail.

const (
	tenpayAccount = "RSV-tenpay"
	// htmlChannel would be escaped by a naive JSON encoder; the replies
	// built from the stored events must keep it byte for byte.
	htmlChannel = "ali<pay>&"
)

// snapLink delays every credit reply, so the two banks must also agree on
// NotBefore.
var snapLink = banklink.Config{Seed: 7, LatencyMin: 10 * time.Millisecond, LatencyMax: 300 * time.Millisecond}

// snapBank is a Bank with the messages it handled and the events it
// recorded.
type snapBank struct {
	t    *testing.T
	b    *Bank
	sent []processor.Message
	log  []events.Envelope
	// pending are the bank's messages to its own inbox not yet delivered.
	pending []processor.Message
}

// txnCommand is command for transaction txn, at time at.
func txnCommand(t *testing.T, txn, name string, at time.Time, p events.Payload) processor.Message {
	t.Helper()
	env, err := reg.New(txn, 1, p, events.Meta{
		ID:            events.DeriveID(name),
		CorrelationID: txn,
		CausationID:   events.DeriveID("saga-event", name),
		OccurredAt:    at,
	})
	if err != nil {
		t.Fatal(err)
	}
	value, err := events.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return processor.Message{Topic: reserveInbox, Key: []byte(txn), Value: value, Envelope: env, Payload: p, Time: at.Add(time.Second)}
}

func creditTo(t *testing.T, txn, name string, at time.Time, account, channel, amount string) processor.Message {
	return txnCommand(t, txn, name, at, events.CreditReserve{TxnID: txn, ReserveAccount: account, ChannelID: channel, Amount: events.CNY(amount)})
}

func queryOf(t *testing.T, txn, name string, at time.Time, attempt int) processor.Message {
	return txnCommand(t, txn, name, at, events.QueryCredit{TxnID: txn, Attempt: attempt})
}

// summaryOf is a reserve.post_summary, keyed by its reserve account.
func summaryOf(t *testing.T, account, batch string, at time.Time, amount string, credits int) processor.Message {
	return txnCommand(t, account, "summary "+account+" "+batch+" "+amount, at, events.PostReserveSummary{
		ReserveAccount: account, BatchID: batch, Amount: events.CNY(amount), Credits: credits,
	})
}

func (s *snapBank) send(m processor.Message) processor.Output {
	s.t.Helper()
	s.sent = append(s.sent, m)
	out := run(s.t, s.b, m)
	s.log = append(s.log, out.Events...)
	s.pending = append(s.pending, internalOf(s.t, out, m.Time)...)
	return out
}

// internalOf returns the messages out sends to the bank's own inbox, as
// the runtime would deliver them (a millisecond later).
func internalOf(t *testing.T, out processor.Output, at time.Time) []processor.Message {
	t.Helper()
	var msgs []processor.Message
	for _, o := range out.Messages {
		if o.Topic != reserveInbox {
			continue
		}
		env, p := decoded(t, o)
		msgs = append(msgs, processor.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value, Envelope: env, Payload: p, Time: at.Add(time.Millisecond)})
	}
	return msgs
}

// deliver hands the n oldest pending messages to the bank (all if n < 0).
func (s *snapBank) deliver(n int) {
	s.t.Helper()
	for i := 0; len(s.pending) > 0 && (n < 0 || i < n); i++ {
		m := s.pending[0]
		s.pending = s.pending[1:]
		s.send(m)
	}
}

// refundDebit is a reserve.debit_reserve of tenpay's sub-account i.
func refundDebit(t *testing.T, name string, at time.Time, i int, amount string) processor.Message {
	key := events.SubAccountKey(tenpayAccount, i)
	return txnCommand(t, key, name, at, events.DebitReserve{DebitID: events.DeriveID(name), TxnID: events.DeriveID("txn", name),
		RefundID: events.DeriveID("refund", name), ReserveAccount: tenpayAccount, SubAccount: key, ChannelID: htmlChannel, Amount: events.CNY(amount)})
}

func refundQuery(t *testing.T, name, debit string, at time.Time, i int) processor.Message {
	key := events.SubAccountKey(tenpayAccount, i)
	return txnCommand(t, key, name, at, events.QueryReserveDebit{DebitID: events.DeriveID(debit), TxnID: events.DeriveID("txn", debit),
		RefundID: events.DeriveID("refund", debit), SubAccount: key, Attempt: 1})
}

func refundReversal(t *testing.T, name, debit string, at time.Time, i int) processor.Message {
	key := events.SubAccountKey(tenpayAccount, i)
	return txnCommand(t, key, name, at, events.ReverseReserveDebit{DebitID: events.DeriveID(debit), TxnID: events.DeriveID("txn", debit),
		RefundID: events.DeriveID("refund", debit), SubAccount: key, Attempt: 1})
}

// newSnapBank builds credits to two reserve accounts, a refusal of a
// closed account, transactions closed by a query, and queries of decided
// ones.
func newSnapBank(t *testing.T) *snapBank {
	t.Helper()
	s := &snapBank{t: t, b: newBank(t, snapLink)}
	at := t0
	s.send(creditTo(t, "tA", "credit tA", at, openAccount, htmlChannel, "128.50"))
	s.send(creditTo(t, "tB", "credit tB", at.Add(time.Minute), openAccount, "alipay", "71.50"))
	s.send(creditTo(t, "tC", "credit tC", at.Add(2*time.Minute), tenpayAccount, "tenpay", "10.00"))
	s.send(creditTo(t, "tD", "credit tD", at.Add(3*time.Minute), closedAcct, "alipay", "5.00"))
	s.send(queryOf(t, "tE", "query tE", at.Add(4*time.Minute), 1))
	s.send(queryOf(t, "tA", "query tA", at.Add(5*time.Minute), 1))
	s.send(queryOf(t, "tD", "query tD", at.Add(5*time.Minute), 1))
	s.send(creditTo(t, "tE", "credit tE late", at.Add(6*time.Minute), openAccount, "alipay", "1.00"))
	if got := s.b.Total(openAccount).String(); got != "200.00" {
		t.Fatalf("total %s, want 200.00", got)
	}
	s.send(summaryOf(t, openAccount, "B1", at.Add(7*time.Minute), "128.50", 1))
	s.send(summaryOf(t, tenpayAccount, "B1", at.Add(7*time.Minute), "10.00", 1))
	s.send(summaryOf(t, openAccount, "B2", at.Add(8*time.Minute), "71.50", 1))
	s.send(summaryOf(t, openAccount, "B1", at.Add(9*time.Minute), "128.50", 1)) // reconciliation re-run
	if got := s.b.SummarizedBalance(openAccount).String(); got != "200.00" {
		t.Fatalf("summarized balance %s, want 200.00", got)
	}
	// Sub-accounts: the shares of the postings and of a funding, refund
	// debits paid at once and after a round, a reversal, a debit closed
	// unseen, and a round left out with debits held behind it.
	s.deliver(-1)
	s.send(txnCommand(t, tenpayAccount, "fund tenpay F1", at.Add(10*time.Minute), events.FundReserve{FundingID: "F1", ReserveAccount: tenpayAccount, Amount: events.CNY("100.03")}))
	s.deliver(-1)
	s.send(refundDebit(t, "d1", at.Add(11*time.Minute), 0, "20.00"))
	s.send(refundDebit(t, "d2", at.Add(11*time.Minute), 1, "40.00"))
	s.deliver(-1)
	s.send(refundReversal(t, "r2", "d2", at.Add(12*time.Minute), 1))
	s.send(refundQuery(t, "q3", "d3", at.Add(12*time.Minute), 2))
	s.send(refundDebit(t, "d4", at.Add(13*time.Minute), 3, "60.00"))
	s.send(refundDebit(t, "d5", at.Add(13*time.Minute), 3, "1.00"))
	s.deliver(1) // sub-account 0 lends; the round goes on to 1
	if len(s.pending) != 1 || len(s.b.HeldDebits(events.SubAccountKey(tenpayAccount, 3))) != 2 {
		t.Fatalf("%d pending, held %v: want a round out", len(s.pending), s.b.HeldDebits(events.SubAccountKey(tenpayAccount, 3)))
	}
	return s
}

func snapshotOf(t *testing.T, b *Bank) []byte {
	t.Helper()
	snap, err := b.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return snap
}

func restoredBank(t *testing.T, snap []byte) *Bank {
	t.Helper()
	b := newBank(t, snapLink)
	if err := b.Restore(snap); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	return b
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := newSnapBank(t)
	snap := snapshotOf(t, s.b)
	if again := snapshotOf(t, s.b); !bytes.Equal(again, snap) {
		t.Fatal("two snapshots of the same state differ")
	}
	if other := snapshotOf(t, newSnapBank(t).b); !bytes.Equal(other, snap) {
		t.Fatal("snapshots of two banks built alike differ")
	}
	if got := snapshotOf(t, restoredBank(t, snap)); !bytes.Equal(got, snap) {
		t.Fatalf("snapshot of the restored bank differs:\n got %s\nwant %s", got, snap)
	}
	var head struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(snap, &head); err != nil || head.Version != 3 {
		t.Fatalf("snapshot version %d (%v), want 3", head.Version, err)
	}
	for _, want := range []string{
		`"channel_id":"` + htmlChannel + `"`,
		`"amount":{"amount":"128.50","currency":"CNY"}`,
		`"occurred_at":"2025-03-01T09:30:01Z"`,
		`"summaries":[{"reserve_account":"RSV-alipay","balance":{"amount":"200.00","currency":"CNY"},"postings":[{"batch_id":"B1","seq":1,`,
		`"fundings":[{"reserve_account":"RSV-tenpay","funding_id":"F1","seq":2,`,
		`"sub_accounts":[{"key":"RSV-alipay#0",`,
		`"round":{`,
	} {
		if !bytes.Contains(snap, []byte(want)) {
			t.Errorf("snapshot lacks %s", want)
		}
	}
	if got := string(snapshotOf(t, newBank(t, snapLink))); got != `{"version":3,"service":"reservebank","decisions":[]}` {
		t.Errorf("snapshot of a fresh bank: %s", got)
	}
}

// A version 1 snapshot (no summaries: its build could not post any) is
// still read.
func TestRestoreReadsVersion1(t *testing.T) {
	b := newBank(t, snapLink)
	run(t, b, creditTo(t, "tA", "credit tA", t0, openAccount, "alipay", "1.00"))
	v3 := snapshotOf(t, b)
	v1 := bytes.Replace(v3, []byte(`"version":3`), []byte(`"version":1`), 1)
	rest := restoredBank(t, v1)
	if got := snapshotOf(t, rest); !bytes.Equal(got, v3) {
		t.Fatalf("version 1 restored writes\n%s\nwant\n%s", got, v3)
	}
	run(t, rest, summaryOf(t, openAccount, "B1", t0, "1.00", 1))
	if got := rest.SummarizedBalance(openAccount); !got.Equal(events.CNY("1.00")) {
		t.Fatalf("summarized balance after a version 1 restore: %s", got)
	}
}

// A version 2 snapshot (postings without their events: its build had no
// sub-accounts) is still read; its postings are not spread again when
// reconciliation repeats them, new ones are.
func TestRestoreReadsVersion2(t *testing.T) {
	b := newBank(t, snapLink)
	run(t, b, creditTo(t, "tA", "credit tA", t0, openAccount, "alipay", "1.00"))
	run(t, b, summaryOf(t, openAccount, "B1", t0, "1.00", 1))
	var v snapshotV3
	if err := processor.DecodeSnapshot(snapshotOf(t, b), &v); err != nil {
		t.Fatal(err)
	}
	v.Version = 2
	v.Summaries[0].Postings[0].Event = nil
	v2, err := processor.EncodeSnapshot(v)
	if err != nil {
		t.Fatal(err)
	}
	rest := restoredBank(t, v2)
	if got := rest.SummarizedBalance(openAccount); !got.Equal(events.CNY("1.00")) {
		t.Fatalf("summarized balance %s", got)
	}
	if out := run(t, rest, summaryOf(t, openAccount, "B1", t0, "1.00", 1)); len(out.Events)+len(out.Messages) != 0 {
		t.Fatalf("a repeated version 2 posting recorded or sent %+v", out)
	}
	out := run(t, rest, summaryOf(t, openAccount, "B2", t0, "2.00", 1))
	if len(out.Events) != 1 || out.Events[0].Sequence != 2 {
		t.Fatalf("next posting %+v", out.Events)
	}
	checkShares(t, out.Messages, openAccount, events.SubCreditSummary, "B2", "2.00")
}

// bothBanks hands m to the original and the restored bank and fails unless
// they answer byte for byte alike.
func bothBanks(t *testing.T, orig, rest *Bank, m processor.Message) processor.Output {
	t.Helper()
	name := m.Envelope.Type + " " + m.Envelope.AggregateID
	want, werr := orig.Handle(m)
	got, gerr := rest.Handle(m)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("%s: restored failed with %v, original with %v", name, gerr, werr)
	}
	if len(got.Events) != len(want.Events) {
		t.Fatalf("%s: restored recorded %d events, original %d", name, len(got.Events), len(want.Events))
	}
	for i := range want.Events {
		g, _ := events.Marshal(got.Events[i])
		o, _ := events.Marshal(want.Events[i])
		if !bytes.Equal(g, o) {
			t.Errorf("%s: restored decided\n%s\noriginal\n%s", name, g, o)
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
	for _, b := range []*Bank{orig, rest} {
		out := want
		if b == rest {
			out = got
		}
		for _, ev := range out.Events {
			p, err := reg.Decode(ev)
			if err != nil {
				t.Fatal(err)
			}
			b.Apply(ev, p)
		}
	}
	return want
}

func sameBankViews(t *testing.T, orig, rest *Bank, txns []string) {
	t.Helper()
	for _, acct := range []string{openAccount, tenpayAccount, closedAcct} {
		if g, w := rest.Total(acct), orig.Total(acct); !g.Equal(w) {
			t.Errorf("total of %s: restored %s, original %s", acct, g, w)
		}
	}
	for _, acct := range []string{openAccount, tenpayAccount, closedAcct} {
		if g, w := rest.SummarizedBalance(acct), orig.SummarizedBalance(acct); !g.Equal(w) {
			t.Errorf("summarized balance of %s: restored %s, original %s", acct, g, w)
		}
	}
	if g, w := rest.Balances(), orig.Balances(); !sameJSON(t, g, w) || len(w) == 0 {
		t.Errorf("sub-account balances: restored %v, original %v", g, w)
	}
	if g, w := rest.Funded(tenpayAccount), orig.Funded(tenpayAccount); !g.Equal(w) {
		t.Errorf("funded: restored %s, original %s", g, w)
	}
	for _, id := range txns {
		g, gok := rest.Credited(id)
		w, wok := orig.Credited(id)
		if gok != wok || (wok && !g.Equal(w)) {
			t.Errorf("credited %s: restored %v %v, original %v %v", id, g, gok, w, wok)
		}
	}
}

func TestRestoredBankDecidesAsTheOriginal(t *testing.T) {
	s := newSnapBank(t)
	orig := s.b
	rest := restoredBank(t, snapshotOf(t, orig))
	txns := []string{"tA", "tB", "tC", "tD", "tE", "tF", "tG", "tH", "tI"}
	sameBankViews(t, orig, rest, txns)

	// Every command handled before the snapshot, redelivered as is.
	for _, m := range s.sent {
		bothBanks(t, orig, rest, m)
	}
	at := t0.Add(time.Hour)
	for _, m := range []processor.Message{
		// New credit commands for decided transactions: the first reply.
		creditTo(t, "tA", "credit tA again", at, openAccount, htmlChannel, "128.50"),
		creditTo(t, "tB", "credit tB other", at, tenpayAccount, "tenpay", "99.00"),
		creditTo(t, "tD", "credit tD again", at, openAccount, "alipay", "5.00"),
		creditTo(t, "tE", "credit tE again", at, openAccount, "alipay", "1.00"),
		// Queries of every kind of decision, and of an unseen transaction.
		queryOf(t, "tA", "query tA 2", at, 2),
		queryOf(t, "tC", "query tC", at, 1),
		queryOf(t, "tD", "query tD 2", at, 2),
		queryOf(t, "tE", "query tE 2", at, 2),
		queryOf(t, "tF", "query tF", at, 1),
		creditTo(t, "tF", "credit tF late", at.Add(time.Minute), openAccount, "alipay", "3.00"),
		// New credits.
		creditTo(t, "tG", "credit tG", at.Add(time.Minute), openAccount, "alipay", "0.01"),
		creditTo(t, "tH", "credit tH", at.Add(time.Minute), tenpayAccount, "tenpay", "999999.99"),
		creditTo(t, "tI", "credit tI", at.Add(time.Minute), closedAcct, "alipay", "2.00"),
		queryOf(t, "tI", "query tI", at.Add(2*time.Minute), 1),
		// Poison: not positive; both must refuse it alike.
		creditTo(t, "tJ", "credit tJ", at.Add(2*time.Minute), openAccount, "alipay", "0.00"),
		// Summaries: a repeat, a new batch, a new account, a conflict.
		summaryOf(t, openAccount, "B2", at, "71.50", 1),
		summaryOf(t, openAccount, "B3", at, "0.01", 1),
		summaryOf(t, closedAcct, "B3", at, "0.00", 0),
		summaryOf(t, tenpayAccount, "B1", at, "10.01", 1),
		// Sub-accounts: queries of every status, a debit behind the
		// round that is out, new debits, a second funding, a conflict.
		refundQuery(t, "q1 again", "d1", at, 0),
		refundQuery(t, "q2 again", "d2", at, 1),
		refundQuery(t, "q3 again", "d3", at, 2),
		refundQuery(t, "q4", "d4", at, 3),
		refundDebit(t, "d6", at, 3, "2.00"),
		refundDebit(t, "d7", at, 2, "5.00"),
		refundReversal(t, "r2 again", "d2", at, 1),
		txnCommand(t, tenpayAccount, "fund tenpay F2", at, events.FundReserve{FundingID: "F2", ReserveAccount: tenpayAccount, Amount: events.CNY("7.00")}),
		txnCommand(t, tenpayAccount, "fund tenpay F1 other", at, events.FundReserve{FundingID: "F1", ReserveAccount: tenpayAccount, Amount: events.CNY("7.00")}),
	} {
		s.pending = append(s.pending, internalOf(t, bothBanks(t, orig, rest, m), m.Time)...)
	}
	// The round that was out when the snapshot was taken, and everything
	// after it, run through both banks alike.
	for i := 0; len(s.pending) > 0; i++ {
		if i > 1000 {
			t.Fatal("internal messages do not settle")
		}
		m := s.pending[0]
		s.pending = s.pending[1:]
		s.pending = append(s.pending, internalOf(t, bothBanks(t, orig, rest, m), m.Time)...)
	}
	if held := orig.HeldDebits(events.SubAccountKey(tenpayAccount, 3)); len(held) != 0 {
		t.Fatalf("debits still held after the rounds settled: %v", held)
	}
	sameBankViews(t, orig, rest, txns)
	if g, o := snapshotOf(t, rest), snapshotOf(t, orig); !bytes.Equal(g, o) {
		t.Errorf("after the same commands the snapshots differ:\n got %s\nwant %s", g, o)
	}
}

func TestRestoreRefuses(t *testing.T) {
	s := newSnapBank(t)
	snap := snapshotOf(t, s.b)

	if err := s.b.Restore(snap); err == nil || !strings.Contains(err.Error(), "already has state") {
		t.Errorf("Restore into the original: %v, want already has state", err)
	}
	if err := restoredBank(t, snap).Restore(snap); err == nil {
		t.Error("Restore into a restored bank succeeded")
	}
	one := newBank(t, snapLink)
	p, err := reg.Decode(s.log[0])
	if err != nil {
		t.Fatal(err)
	}
	one.Apply(s.log[0], p)
	if err := one.Restore(snap); err == nil {
		t.Error("Restore into a bank with one event folded succeeded")
	}

	edit := func(f func(*snapshotV3)) []byte {
		var v snapshotV3
		if err := processor.DecodeSnapshot(snap, &v); err != nil {
			t.Fatal(err)
		}
		f(&v)
		out, err := processor.EncodeSnapshot(v)
		if err != nil {
			t.Fatal(err)
		}
		return out
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
		{"garbage", []byte("\x00garbage"), "malformed"},
		{"array", []byte(`[]`), "malformed"},
		{"truncated", snap[:len(snap)-3], "malformed"},
		{"trailing data", append(append([]byte{}, snap...), " 1"...), "malformed"},
		{"unknown version", replace(`"version":3`, `"version":99`), "unknown snapshot version 99"},
		{"summaries in version 1", replace(`"version":3`, `"version":1`), "summaries in version 1"},
		{"sub-accounts in version 2", replace(`"version":3`, `"version":2`), "in version 2"},
		{"funding differs from its event", edit(func(v *snapshotV3) { v.Fundings[0].Amount = events.CNY("1.00") }), "differs"},
		{"ledger sequence gap", edit(func(v *snapshotV3) { v.Fundings[0].Seq = 5 }), "sequence"},
		{"negative sub-account balance", edit(func(v *snapshotV3) { v.SubAccounts[0].Balance = events.CNY("-1.00") }), "balance -1.00"},
		{"sub-account events under another key", edit(func(v *snapshotV3) {
			for i := range v.SubAccounts {
				if v.SubAccounts[i].Key == events.SubAccountKey(tenpayAccount, 0) {
					v.SubAccounts[i].Key = events.SubAccountKey(tenpayAccount, 9)
				}
			}
		}), "aggregate"},
		{"held debits without their round", edit(func(v *snapshotV3) {
			for i := range v.SubAccounts {
				v.SubAccounts[i].Round = nil
			}
		}), "round out false"},
		{"a share twice", edit(func(v *snapshotV3) {
			v.SubAccounts[0].Credited = append(v.SubAccounts[0].Credited, v.SubAccounts[0].Credited[0])
		}), "twice"},
		{"summary balance differs", edit(func(v *snapshotV3) { v.Summaries[0].Balance = events.CNY("1.00") }), "add up"},
		{"summary without account", edit(func(v *snapshotV3) { v.Summaries[0].ReserveAccount = "" }), "without a reserve account"},
		{"summary twice", edit(func(v *snapshotV3) { v.Summaries = append(v.Summaries, v.Summaries[0]) }), "twice"},
		{"summary without postings", edit(func(v *snapshotV3) { v.Summaries[0].Postings = nil }), "without postings"},
		{"posting twice", edit(func(v *snapshotV3) {
			v.Summaries[0].Postings[1].BatchID = v.Summaries[0].Postings[0].BatchID
		}), "posted twice"},
		{"postings out of sequence", edit(func(v *snapshotV3) {
			p := v.Summaries[0].Postings
			p[0], p[1] = p[1], p[0]
		}), "sequence"},
		{"negative posting", edit(func(v *snapshotV3) {
			v.Summaries[1].Postings[0].Amount = events.CNY("-10.00")
			v.Summaries[1].Balance = events.CNY("-10.00")
		}), "sequence 1, -10.00"},
		{"no version", []byte(`{"decisions":[]}`), "unknown snapshot version 0"},
		{"other service", []byte(`{"version":1,"service":"payerbank"}`), "service"},
		{"unknown member", replace(`"credited":true,`, `"credited":true,"balance":1,`), "malformed"},
		{"float amount", replace(`"amount":{"amount":"128.50","currency":"CNY"},"event"`, `"amount":128.5,"event"`), "malformed"},
		{"bad event", replace(`"event":{`, `"event":{"extra":1,`), "event"},
		{"duplicate transaction", edit(func(v *snapshotV3) { v.Decisions = append(v.Decisions, v.Decisions[0]) }), "twice"},
		{"event of another transaction", edit(func(v *snapshotV3) { v.Decisions[0].Event = v.Decisions[1].Event }), "aggregate"},
		{"amount differs from the event", edit(func(v *snapshotV3) {
			m := events.CNY("1.00")
			v.Decisions[0].Amount = &m
		}), "differs"},
		{"credited without amount", edit(func(v *snapshotV3) { v.Decisions[0].Amount = nil }), "credited"},
		{"refusal marked credited", edit(func(v *snapshotV3) {
			for i := range v.Decisions {
				if !v.Decisions[i].Credited {
					v.Decisions[i].Credited = true
				}
			}
		}), "refused"},
		{"reason differs from the event", edit(func(v *snapshotV3) {
			for i := range v.Decisions {
				if !v.Decisions[i].Credited {
					v.Decisions[i].ReasonCode = "other"
				}
			}
		}), "differs"},
		{"no event", edit(func(v *snapshotV3) { v.Decisions[0].Event = nil }), "no event"},
	}
	fresh := newBank(t, snapLink)
	for _, tt := range tests {
		err := fresh.Restore(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Restore = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if err := fresh.Restore(snap); err != nil {
		t.Fatalf("Restore after failed ones: %v", err)
	}
	if got := snapshotOf(t, fresh); !bytes.Equal(got, snap) {
		t.Error("restored after failed attempts, the snapshot differs")
	}
}

// After a Restore the runtime folds the log tail: events the snapshot
// covers are ignored, later ones folded.
func TestApplyAfterRestore(t *testing.T) {
	s := newSnapBank(t)
	snap := snapshotOf(t, s.b)
	covered := len(s.log)

	rest := restoredBank(t, snap)
	fold := func(b *Bank, evs []events.Envelope) {
		for _, ev := range evs {
			p, err := reg.Decode(ev)
			if err != nil {
				t.Fatal(err)
			}
			b.Apply(ev, p)
		}
	}
	reversed := make([]events.Envelope, 0, len(s.log))
	for i := len(s.log) - 1; i >= 0; i-- {
		reversed = append(reversed, s.log[i])
	}
	fold(rest, reversed)
	fold(rest, s.log)
	if got := snapshotOf(t, rest); !bytes.Equal(got, snap) {
		t.Fatalf("folding covered events changed the state:\n got %s\nwant %s", got, snap)
	}

	at := t0.Add(time.Hour)
	s.send(creditTo(t, "tK", "credit tK", at, openAccount, "alipay", "4.00"))
	s.send(queryOf(t, "tL", "query tL", at, 1))
	s.send(creditTo(t, "tM", "credit tM", at, closedAcct, "alipay", "4.00"))
	s.send(summaryOf(t, openAccount, "B3", at, "4.00", 1))
	s.deliver(-1) // the round that was out returns; the held debits are decided
	s.send(refundDebit(t, "d8", at, 2, "3.00"))
	if len(s.log) == covered {
		t.Fatal("no events after the snapshot")
	}
	takeover := restoredBank(t, snap)
	fold(takeover, s.log)
	if got, want := snapshotOf(t, takeover), snapshotOf(t, s.b); !bytes.Equal(got, want) {
		t.Fatalf("snapshot plus tail differs from the original:\n got %s\nwant %s", got, want)
	}
	bothBanks(t, s.b, takeover, creditTo(t, "tK", "credit tK again", at.Add(time.Minute), openAccount, "alipay", "4.00"))
}
