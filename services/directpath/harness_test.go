package directpath

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The harness plays the runtime (Handle, then Apply the events) and the
// direct path's own inbox: messages it sends to direct.inbox (ledger
// commands and ledger replies) are delivered back at once, so a test only
// plays the payer bank and the channel.

const (
	tDirect   = "t.direct.inbox"
	tPayer    = "t.payer.inbox"
	tOutcomes = "t.outcomes"
	tRejects  = "t.rejects"
	chanA     = "alipay"
	payerA    = "ABCDEFGHIJKLMNOP"
)

var (
	reg = events.Catalog()
	t0  = time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	cfg = Config{
		Topics:     Topics{DirectInbox: tDirect, PayerInbox: tPayer, Outcomes: tOutcomes, Rejects: tRejects},
		LegTimeout: 2 * time.Second, QueryInterval: time.Second, FinalTimeout: 10 * time.Second,
	}
)

type world struct {
	t        *testing.T
	h        *Handler
	now      time.Time
	log      []events.Envelope
	payer    []events.Envelope // commands sent to the payer bank
	outcomes []events.Outcome
	rejects  int
	n        int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	h, err := New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, h: h, now: t0}
}

// deliver handles env as an inbox message and everything it sends to the
// direct inbox, recording the rest.
func (w *world) deliver(env events.Envelope) processor.Output {
	w.t.Helper()
	p, err := reg.Decode(env)
	if err != nil {
		w.t.Fatalf("message %s does not decode: %v", env.Type, err)
	}
	out, err := w.h.Handle(processor.Message{Topic: tDirect, Key: []byte(env.AggregateID), Envelope: env, Payload: p, Time: w.now})
	if err != nil {
		w.t.Fatalf("Handle %s: %v", env.Type, err)
	}
	for i, ev := range out.Events {
		w.h.Apply(ev, out.Payloads[i])
		w.log = append(w.log, ev)
	}
	for _, m := range out.Messages {
		switch m.Topic {
		case tOutcomes:
			var o events.Outcome
			if err := json.Unmarshal(m.Value, &o); err != nil || m.Key != o.OrderID {
				w.t.Fatalf("outcome %s keyed %s: %v", m.Value, m.Key, err)
			}
			w.outcomes = append(w.outcomes, o)
		case tRejects:
			w.rejects++
		case tPayer, tDirect:
			e, err := events.Unmarshal(m.Value)
			if err != nil || m.Key != e.AggregateID {
				w.t.Fatalf("command keyed %s: %v", m.Key, err)
			}
			if m.Topic == tPayer {
				w.payer = append(w.payer, e)
			} else {
				w.deliver(e)
			}
		default:
			w.t.Fatalf("message to unknown topic %s", m.Topic)
		}
	}
	return out
}

// send delivers p as a new message keyed key.
func (w *world) send(key string, p events.Payload) processor.Output {
	w.t.Helper()
	w.n++
	id := events.DeriveID("test", p.EventType(), time.Duration(w.n).String())
	env, err := reg.New(key, 1, p, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: w.now})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.deliver(env)
}

// lastPayer returns the last command sent to the payer bank, decoded.
func (w *world) lastPayer() events.Payload {
	w.t.Helper()
	if len(w.payer) == 0 {
		w.t.Fatal("nothing sent to the payer bank")
	}
	p, err := reg.Decode(w.payer[len(w.payer)-1])
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) lastOutcome() events.Outcome {
	w.t.Helper()
	if len(w.outcomes) == 0 {
		w.t.Fatal("no outcome")
	}
	return w.outcomes[len(w.outcomes)-1]
}

// tick fires every due deadline at now.
func (w *world) tick(now time.Time) {
	w.t.Helper()
	w.now = now
	for _, o := range w.h.Due(now) {
		env, err := events.Unmarshal(o.Value)
		if err != nil {
			w.t.Fatal(err)
		}
		w.deliver(env)
	}
}

func startCmd(key, amount string, version int) events.StartDirectPayment {
	txnID := events.DeriveID("txn", chanA, key)
	return events.StartDirectPayment{
		Payment: events.StartPayment{
			TxnID: txnID, ChannelID: chanA, OrderID: "ord-" + key, IdempotencyKey: key, BodyHash: "hash-" + key + amount,
			AgreementNo: "NU" + payerA + "AAAAAAAAAAAA", PayerKey: payerA, ReserveAccount: "RSV-alipay", Amount: events.CNY(amount),
		},
		RouteVersion: version, RouteClause: events.ClauseDefault,
	}
}

// pay runs a direct payment to success and returns its TxnID.
func (w *world) pay(key, amount string) string {
	w.t.Helper()
	c := startCmd(key, amount, 1)
	w.send(c.Payment.TxnID, c)
	w.send(c.Payment.TxnID, events.DirectDebited{TxnID: c.Payment.TxnID, AgreementNo: c.Payment.AgreementNo, ChannelID: chanA,
		Amount: c.Payment.Amount, BalanceAfter: events.CNY("1.00"), Day: "2025-06-01"})
	if o := w.lastOutcome(); o.Status != events.StatusSuccess {
		w.t.Fatalf("payment %s: %+v", key, o)
	}
	return c.Payment.TxnID
}

func refundCmd(txnID, key, amount, method string) events.StartLegacyRefund {
	return events.StartLegacyRefund{
		RefundID: events.DeriveID("legacy_refund", chanA, key), TxnID: txnID, ChannelID: chanA, OrderID: "ord-" + key,
		IdempotencyKey: key, BodyHash: "hash-" + key + amount, Amount: events.CNY(amount), Method: method, RouteVersion: 2,
	}
}

func (w *world) ledger() Ledger { return w.h.Ledger(chanA) }

func (w *world) fund(id, amount string) {
	w.send(events.LegacyLedgerKey(chanA), events.ReceivePrefund{FundingID: id, ChannelID: chanA, Amount: events.CNY(amount)})
}

func wantOutcome(t *testing.T, o events.Outcome, requestType, status, reason string) {
	t.Helper()
	if o.RequestType != requestType || o.Status != status || o.ReasonCode != reason || o.Path != events.PathDirect {
		t.Fatalf("outcome %s %s %s path %q, want %s %s %s direct", o.RequestType, o.Status, o.ReasonCode, o.Path, requestType, status, reason)
	}
}
