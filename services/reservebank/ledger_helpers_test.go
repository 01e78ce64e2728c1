package reservebank

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

// The ledger harness plays the runtime for the sub-accounts: one Bank (a
// partition owning every key; Handle does not care), the bank's own inbox
// as a FIFO the test delivers from, and the replies to the saga collected.

const nSubs = 4 // sub-accounts per reserve account in these tests (helpers_test newBank)

func sub(i int) string { return events.SubAccountKey(openAccount, i) }

type ledgerWorld struct {
	t       *testing.T
	b       *Bank
	now     time.Time
	inbox   []processor.Message // reserve.inbox, not yet delivered
	replies []processor.Outbound
	log     []events.Envelope
}

func newLedgerWorld(t *testing.T, link banklink.Config) *ledgerWorld {
	return &ledgerWorld{t: t, b: newBank(t, link), now: t0}
}

// message wraps p keyed by key, with an envelope ID derived from name, as
// the runtime hands an inbox record to the bank.
func (w *ledgerWorld) message(key, name string, p events.Payload) processor.Message {
	w.t.Helper()
	id := events.DeriveID("message", name)
	env, err := reg.New(key, 1, p, events.Meta{ID: id, CorrelationID: events.DeriveID("corr", id), CausationID: events.DeriveID("cause", id), OccurredAt: w.now})
	if err != nil {
		w.t.Fatal(err)
	}
	return processor.Message{Topic: reserveInbox, Key: []byte(key), Envelope: env, Payload: p, Time: w.now}
}

// handle delivers m now, folds its events, queues what it sends to the
// bank's inbox and keeps its replies.
func (w *ledgerWorld) handle(m processor.Message) processor.Output {
	w.t.Helper()
	w.now = w.now.Add(time.Millisecond)
	m.Time = w.now
	out, err := w.b.Handle(m)
	if err != nil {
		w.t.Fatalf("Handle %s %s: %v", m.Envelope.Type, m.Envelope.AggregateID, err)
	}
	for _, ev := range out.Events {
		p, err := reg.Decode(ev)
		if err != nil {
			w.t.Fatal(err)
		}
		w.b.Apply(ev, p)
		w.log = append(w.log, ev)
	}
	for _, o := range out.Messages {
		switch o.Topic {
		case reserveInbox:
			env, p := decoded(w.t, o)
			if o.Key != env.AggregateID {
				w.t.Fatalf("internal message keyed %s, aggregate %s", o.Key, env.AggregateID)
			}
			w.inbox = append(w.inbox, processor.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value, Envelope: env, Payload: p})
		case sagaInbox:
			w.replies = append(w.replies, o)
		default:
			w.t.Fatalf("message to unexpected topic %s", o.Topic)
		}
	}
	return out
}

// step delivers the oldest internal message; false when there is none.
func (w *ledgerWorld) step() bool {
	if len(w.inbox) == 0 {
		return false
	}
	m := w.inbox[0]
	w.inbox = w.inbox[1:]
	w.handle(m)
	return true
}

// pump delivers internal messages until none is left (bounded: a ring
// never needs more than a few per sub-account and debit).
func (w *ledgerWorld) pump() {
	w.t.Helper()
	for i := 0; w.step(); i++ {
		if i > 10000 {
			w.t.Fatal("internal messages do not settle")
		}
	}
}

// credit puts amount on sub-account i directly, as one share would.
func (w *ledgerWorld) credit(i int, amount string) {
	w.t.Helper()
	id := events.DeriveID("test share", sub(i), amount, w.now.String())
	w.handle(w.message(sub(i), id, events.CreditSubAccount{
		TransferID: id, ReserveAccount: openAccount, SubAccount: sub(i), Source: events.SubCreditFunding, SourceID: "test", Amount: events.CNY(amount),
	}))
}

// balances sets the sub-accounts' balances (from zero).
func (w *ledgerWorld) balances(amounts ...string) {
	w.t.Helper()
	for i, a := range amounts {
		if a != "0.00" {
			w.credit(i, a)
		}
	}
}

func (w *ledgerWorld) wantBalances(amounts ...string) {
	w.t.Helper()
	for i, want := range amounts {
		if got := w.b.SubAccountBalance(sub(i)); !got.Equal(events.CNY(want)) {
			w.t.Errorf("balance of %s = %s, want %s", sub(i), got, want)
		}
	}
}

func debitID(name string) string { return events.DeriveID("debit", name) }

func refundTxn(name string) string { return events.DeriveID("txn", name) }

func debitCmd(name string, i int, amount string) events.DebitReserve {
	return events.DebitReserve{
		DebitID: debitID(name), TxnID: refundTxn(name), RefundID: events.DeriveID("refund", name),
		ReserveAccount: openAccount, SubAccount: sub(i), ChannelID: "alipay", Amount: events.CNY(amount),
	}
}

// debit sends refund debit name of amount to sub-account i (command ID
// derived from name).
func (w *ledgerWorld) debit(name string, i int, amount string) processor.Message {
	m := w.message(sub(i), events.DeriveID("debit cmd", name), debitCmd(name, i, amount))
	w.handle(m)
	return m
}

func (w *ledgerWorld) queryMsg(name string, i, attempt int) processor.Message {
	return w.message(sub(i), events.DeriveID("query cmd", name, string(rune('0'+attempt))), events.QueryReserveDebit{
		DebitID: debitID(name), TxnID: refundTxn(name), RefundID: events.DeriveID("refund", name), SubAccount: sub(i), Attempt: attempt,
	})
}

func (w *ledgerWorld) reverseMsg(name string, i, attempt int) processor.Message {
	return w.message(sub(i), events.DeriveID("reverse cmd", name, string(rune('0'+attempt))), events.ReverseReserveDebit{
		DebitID: debitID(name), TxnID: refundTxn(name), RefundID: events.DeriveID("refund", name), SubAccount: sub(i), Attempt: attempt,
	})
}

// takeReplies returns the decoded replies since the last call.
func (w *ledgerWorld) takeReplies() []events.Payload {
	w.t.Helper()
	var out []events.Payload
	for _, o := range w.replies {
		env, p := decoded(w.t, o)
		if o.Key != env.AggregateID {
			w.t.Fatalf("reply keyed %s, aggregate %s", o.Key, env.AggregateID)
		}
		out = append(out, p)
	}
	w.replies = nil
	return out
}

// eventTypes lists the types of the events recorded since index from.
func (w *ledgerWorld) eventTypes(from int) []string {
	var out []string
	for _, ev := range w.log[from:] {
		out = append(out, ev.Type)
	}
	return out
}

// checkShares checks msgs are the shares of amount over the sub-accounts
// of account: one CreditSubAccount per sub-account with a share, all from
// source, adding up to amount, none more than a fen apart.
func checkShares(t *testing.T, msgs []processor.Outbound, account, source, sourceID, amount string) {
	t.Helper()
	sum := events.ZeroCNY()
	seen := map[string]bool{}
	var lo, hi int64 = -1, -1
	for _, o := range msgs {
		env, p := decoded(t, o)
		c, ok := p.(events.CreditSubAccount)
		if !ok || o.Topic != reserveInbox || o.Key != c.SubAccount || env.AggregateID != c.SubAccount || c.TransferID != env.ID {
			t.Fatalf("not a share: %s %s %+v", o.Topic, o.Key, p)
		}
		acct, i, ok := events.ParseSubAccountKey(c.SubAccount)
		if !ok || acct != account || i >= nSubs || seen[c.SubAccount] || c.ReserveAccount != account || c.Source != source ||
			(sourceID != "" && c.SourceID != sourceID) || !c.Amount.IsPositive() {
			t.Fatalf("share %+v of %s", c, account)
		}
		seen[c.SubAccount] = true
		sum, _ = sum.Add(c.Amount)
		f := c.Amount.MinorUnits()
		if lo < 0 || f < lo {
			lo = f
		}
		if f > hi {
			hi = f
		}
	}
	if !sum.Equal(events.CNY(amount)) || hi-lo > 1 {
		t.Fatalf("shares add up to %s (from %d to %d fen), want %s evenly", sum, lo, hi, amount)
	}
}
