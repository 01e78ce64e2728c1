package reservebank

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/processor"
)

const (
	sagaInbox    = "paycore.saga.inbox"
	reserveInbox = "paycore.reserve.inbox"
	openAccount  = "RSV-alipay"
	closedAcct   = "RSV-closed"
)

var (
	reg   = events.Catalog()
	txnID = events.DeriveID("txn", "alipay", "key-1")
	t0    = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
)

func newBank(t *testing.T, link banklink.Config) *Bank {
	t.Helper()
	l, err := banklink.New(link)
	if err != nil {
		t.Fatal(err)
	}
	factory, err := NewFactory(Config{Topics: Topics{SagaInbox: sagaInbox, ReserveInbox: reserveInbox}, Link: l, ClosedAccounts: []string{closedAcct}, SubAccounts: 4}, reg)
	if err != nil {
		t.Fatal(err)
	}
	return factory(0).(*Bank)
}

// command wraps p as the runtime hands an inbox record to the bank. The
// record's time is a second after the saga wrote it.
func command(t *testing.T, cmdID string, p events.Payload) processor.Message {
	t.Helper()
	env, err := reg.New(txnID, 1, p, events.Meta{
		ID:            cmdID,
		CorrelationID: txnID,
		CausationID:   events.DeriveID("saga-event"),
		OccurredAt:    t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	value, err := events.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return processor.Message{Topic: reserveInbox, Key: []byte(txnID), Value: value, Envelope: env, Payload: p, Time: t0.Add(time.Second)}
}

func credit(t *testing.T, name, account string) processor.Message {
	return command(t, events.DeriveID(name), events.CreditReserve{
		TxnID: txnID, ReserveAccount: account, ChannelID: "alipay", Amount: events.CNY("128.50"),
	})
}

func query(t *testing.T, name string, attempt int) processor.Message {
	return command(t, events.DeriveID(name), events.QueryCredit{TxnID: txnID, Attempt: attempt})
}

// run handles msg and folds its events, as the runtime does.
func run(t *testing.T, b *Bank, msg processor.Message) processor.Output {
	t.Helper()
	out, err := b.Handle(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range out.Events {
		p, err := reg.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Apply(ev, p)
	}
	return out
}

// decoded returns the envelope and payload of an outbound record.
func decoded(t *testing.T, o processor.Outbound) (events.Envelope, events.Payload) {
	t.Helper()
	env, err := events.Unmarshal(o.Value)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	return env, p
}

func sameJSON(t *testing.T, got, want any) bool {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(g) == string(w)
}
