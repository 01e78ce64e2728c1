package payerbank

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
)

// The test harness plays the processor runtime: Handle, then fold the
// returned events with Apply before the next message, exactly as
// processor.Handler promises. Everything is in memory; no Kafka.

const (
	testSMSSecret = "test-sms-secret"
	testSagaInbox = "test.saga.inbox"
	testOutcomes  = "test.outcomes"
	chanA         = "alipay"
	chanB         = "tenpay"
)

var (
	reg = events.Catalog()
	// t0 is 10:00 in Beijing on 2024-03-01.
	t0 = time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
)

// customer is an account holder as the bank knows them.
type customer struct {
	key, account, holder, idNumber, phone string
}

func newCustomer(account, holder, idNumber, phone string) customer {
	d, err := payerkey.NewDeriver("test-payer-key-secret")
	if err != nil {
		panic(err)
	}
	return customer{key: d.Key(account), account: account, holder: holder, idNumber: idNumber, phone: phone}
}

var (
	alice = newCustomer("6222020000000001", "张三", "110101199001011234", "13800000001")
	carol = newCustomer("6222020000000003", "李四", "110101199203033456", "13800000003")
	// nobody has no account at the bank.
	nobody = newCustomer("6222020000000009", "王五", "110101199909099999", "13800000009")
)

// bank is a Handler driven like the runtime drives it.
type bank struct {
	t   *testing.T
	h   *Handler
	now time.Time
	log []events.Envelope // every event folded, in order
}

func newBank(t *testing.T, mods ...func(*Config)) *bank {
	t.Helper()
	cfg := Config{
		Topics:    Topics{SagaInbox: testSagaInbox, Outcomes: testOutcomes},
		SMSSecret: testSMSSecret,
	}
	for _, m := range mods {
		m(&cfg)
	}
	h, err := New(cfg, reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &bank{t: t, h: h, now: t0}
}

// withLink injects faults.
func withLink(c banklink.Config) func(*Config) {
	return func(cfg *Config) {
		l, err := banklink.New(c)
		if err != nil {
			panic(err)
		}
		cfg.Link = l
	}
}

// cmdID is the envelope ID of the command named name.
func cmdID(name string) string { return events.DeriveID("test-command", name) }

// msg builds the payer.inbox message carrying command p, named name (the
// name fixes the envelope ID), at the bank's current time.
func (b *bank) msg(name string, p events.Payload) processor.Message {
	b.t.Helper()
	key, ok := payerKeyOf(p)
	if !ok {
		key = alice.key
	}
	env, err := reg.New(key, 1, p, events.Meta{
		ID:            cmdID(name),
		CorrelationID: events.DeriveID("test-correlation", name),
		CausationID:   events.DeriveID("test-cause", name),
		OccurredAt:    b.now,
	})
	if err != nil {
		b.t.Fatalf("building command %s: %v", name, err)
	}
	return processor.Message{Topic: "test.payer.inbox", Key: []byte(key), Envelope: env, Payload: p, Time: b.now}
}

// do handles command p named name and folds its events.
func (b *bank) do(name string, p events.Payload) processor.Output {
	b.t.Helper()
	return b.deliver(b.msg(name, p))
}

// deliver hands m to the handler and folds the events it returns, decoding
// each first so that every event written is readable by the registry.
func (b *bank) deliver(m processor.Message) processor.Output {
	b.t.Helper()
	out, err := b.h.Handle(m)
	if err != nil {
		b.t.Fatalf("Handle %s: %v", m.Envelope.Type, err)
	}
	for _, ev := range out.Events {
		p, err := reg.Decode(ev)
		if err != nil {
			b.t.Fatalf("event %s does not decode: %v", ev.Type, err)
		}
		b.h.Apply(ev, p)
		b.log = append(b.log, ev)
	}
	return out
}

// at moves the bank's clock.
func (b *bank) at(t time.Time) *bank { b.now = t; return b }

func (b *bank) open(c customer, balance string) {
	b.t.Helper()
	b.do("open "+c.key, events.OpenAccount{
		PayerKey: c.key, Account: c.account, HolderName: c.holder, IDNumber: c.idNumber, Phone: c.phone,
		OpeningBalance: events.CNY(balance),
	})
}

func verifyCmd(c customer, channel, signingID, perPayment, daily string) events.VerifySigning {
	return events.VerifySigning{
		SigningID: signingID, ChannelID: channel, PayerKey: c.key, PayerAccount: c.account,
		HolderName: c.holder, IDNumber: c.idNumber, Phone: c.phone,
		PerPaymentLimit: events.CNY(perPayment), DailyLimit: events.CNY(daily),
	}
}

func confirmCmd(c customer, signingID, code, attempt string) events.ConfirmAgreement {
	return events.ConfirmAgreement{SigningID: signingID, PayerKey: c.key, SMSCode: code, Attempt: attempt}
}

// sign runs a whole signing with the right code and returns the agreement.
func (b *bank) sign(c customer, channel, signingID, perPayment, daily string) string {
	b.t.Helper()
	b.do("verify "+signingID, verifyCmd(c, channel, signingID, perPayment, daily))
	b.do("confirm "+signingID, confirmCmd(c, signingID, SMSCode(testSMSSecret, signingID), "right"))
	no := payerkey.AgreementNo(c.key, signingID)
	if v, ok := b.h.Agreement(no); !ok || v.Status != AgreementActive {
		b.t.Fatalf("signing %s did not produce an active agreement", signingID)
	}
	return no
}

func terminateCmd(c customer, no, channel, requestID, bodyHash string) events.TerminateAgreement {
	return events.TerminateAgreement{
		RequestID: requestID, AgreementNo: no, PayerKey: c.key, ChannelID: channel,
		OrderID: "order-" + requestID, IdempotencyKey: "key-" + requestID, BodyHash: bodyHash,
	}
}

func debitCmd(c customer, no, channel, txnID, amount string) events.DebitPayer {
	return events.DebitPayer{TxnID: txnID, AgreementNo: no, PayerKey: c.key, ChannelID: channel, Amount: events.CNY(amount)}
}

func (b *bank) balance(c customer) string {
	b.t.Helper()
	m, ok := b.h.Balance(c.key)
	if !ok {
		b.t.Fatalf("no account %s", c.key)
	}
	return m.String()
}

// world is the usual starting point: alice holds 1000.00 and an alipay
// agreement (500.00 per payment, 800.00 a day); carol holds 50.00 and an
// alipay agreement with the same limits.
type world struct {
	*bank
	agr      string // alice's agreement
	carolAgr string
}

func newWorld(t *testing.T, mods ...func(*Config)) *world {
	t.Helper()
	b := newBank(t, mods...)
	b.open(alice, "1000.00")
	b.open(carol, "50.00")
	return &world{
		bank:     b,
		agr:      b.sign(alice, chanA, "sign-alice", "500.00", "800.00"),
		carolAgr: b.sign(carol, chanA, "sign-carol", "500.00", "800.00"),
	}
}

func (w *world) debit(txnID, amount string) events.DebitPayer {
	return debitCmd(alice, w.agr, chanA, txnID, amount)
}

// reply is a message sent to the saga, decoded.
type reply struct {
	env       events.Envelope
	payload   events.Payload
	raw       []byte
	notBefore time.Time
}

// replies decodes the messages out sent to saga.inbox.
func replies(t *testing.T, out processor.Output) []reply {
	t.Helper()
	var rs []reply
	for _, m := range out.Messages {
		if m.Topic != testSagaInbox {
			continue
		}
		env, err := events.Unmarshal(m.Value)
		if err != nil {
			t.Fatalf("reply does not unmarshal: %v", err)
		}
		p, err := reg.Decode(env)
		if err != nil {
			t.Fatalf("reply %s does not decode: %v", env.Type, err)
		}
		if m.Key != env.AggregateID {
			t.Fatalf("reply keyed %q, aggregate %q", m.Key, env.AggregateID)
		}
		rs = append(rs, reply{env: env, payload: p, raw: m.Value, notBefore: m.NotBefore})
	}
	return rs
}

// outcomes decodes the messages out sent to the outcomes topic.
func outcomes(t *testing.T, out processor.Output) []events.Outcome {
	t.Helper()
	var os []events.Outcome
	for _, m := range out.Messages {
		if m.Topic != testOutcomes {
			continue
		}
		var o events.Outcome
		if err := json.Unmarshal(m.Value, &o); err != nil {
			t.Fatalf("outcome does not decode: %v", err)
		}
		if m.Key != o.OrderID {
			t.Fatalf("outcome keyed %q, order %q", m.Key, o.OrderID)
		}
		os = append(os, o)
	}
	return os
}

// jsonOf renders a payload for comparison: Money is not comparable with ==
// and its decimal internals defeat reflect.DeepEqual.
func jsonOf(t *testing.T, p events.Payload) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("encoding %T: %v", p, err)
	}
	return string(b)
}

func samePayload(t *testing.T, what string, got, want events.Payload) {
	t.Helper()
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// recorded asserts out recorded exactly one event, with payload want, and
// returns it.
func recorded(t *testing.T, out processor.Output, want events.Payload) events.Envelope {
	t.Helper()
	if len(out.Events) != 1 {
		t.Fatalf("recorded %d events, want 1 (%s)", len(out.Events), want.EventType())
	}
	ev := out.Events[0]
	p, err := reg.Decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	samePayload(t, "event", p, want)
	return ev
}

// answered asserts out recorded exactly the event want and sent the saga
// sagaID its copy, and nothing else.
func answered(t *testing.T, out processor.Output, sagaID string, want events.Payload) {
	t.Helper()
	ev := recorded(t, out, want)
	rs := replies(t, out)
	if len(rs) != 1 || len(out.Messages) != 1 {
		t.Fatalf("sent %d messages (%d replies), want 1 reply", len(out.Messages), len(rs))
	}
	isCopy(t, rs[0], ev, sagaID)
}

// isCopy asserts r is the saga's copy of event ev.
func isCopy(t *testing.T, r reply, ev events.Envelope, sagaID string) {
	t.Helper()
	want := ev
	want.ID = events.DeriveID(ev.ID, "reply")
	want.AggregateID = sagaID
	wb, err := events.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.raw) != string(wb) {
		t.Errorf("reply is not the copy of %s:\n got %s\nwant %s", ev.Type, r.raw, wb)
	}
}

// nothing asserts out recorded and sent nothing.
func nothing(t *testing.T, out processor.Output) {
	t.Helper()
	if len(out.Events) != 0 || len(out.Messages) != 0 {
		t.Fatalf("got %d events and %d messages, want none", len(out.Events), len(out.Messages))
	}
}

func agreementNo(c customer, signingID string) string { return payerkey.AgreementNo(c.key, signingID) }
