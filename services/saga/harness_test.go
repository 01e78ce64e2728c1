package saga

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The harness runs a Handler the way the processor runtime does (Handle,
// then Apply of every event returned), keeps the event log, and renders
// outputs as short lines so the tables read as given/when/then.

var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

var testTopics = Topics{
	SagaInbox:    "t.saga.inbox",
	PayerInbox:   "t.payer.inbox",
	ReserveInbox: "t.reserve.inbox",
	Outcomes:     "t.outcomes",
	Rejects:      "t.rejects",
}

type harness struct {
	t   testing.TB
	reg *events.Registry
	h   *Handler
	log []events.Envelope
	n   int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, Config{Topics: testTopics})
}

func newHarnessWith(t testing.TB, cfg Config) *harness {
	t.Helper()
	reg := events.Catalog()
	h, err := New(cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, reg: reg, h: h}
}

// msg builds an inbox message carrying p at time at, with a fresh ID.
func (x *harness) msg(p events.Payload, at time.Time) processor.Message {
	x.t.Helper()
	return x.msgIn(p, at, events.DeriveID("test-correlation", sagaIDOf(p)))
}

// msgIn is msg with the given correlation ID: a bank's reply carries the
// correlation of the command that caused its decision.
func (x *harness) msgIn(p events.Payload, at time.Time, correlation string) processor.Message {
	x.t.Helper()
	x.n++
	agg := sagaIDOf(p)
	env, err := x.reg.New(agg, 1, p, events.Meta{
		ID:            events.DeriveID("test-message", strconv.Itoa(x.n)),
		CorrelationID: correlation,
		CausationID:   events.DeriveID("test-cause", strconv.Itoa(x.n)),
		OccurredAt:    at,
	})
	if err != nil {
		x.t.Fatalf("building %s: %v", p.EventType(), err)
	}
	value, err := events.Marshal(env)
	if err != nil {
		x.t.Fatal(err)
	}
	return processor.Message{
		Topic: testTopics.SagaInbox, Offset: int64(x.n), Key: []byte(agg), Value: value,
		Envelope: env, Payload: p, Time: at,
	}
}

// handle runs m like the runtime: Handle, then Apply of its events.
func (x *harness) handle(m processor.Message) processor.Output {
	x.t.Helper()
	out, err := x.h.Handle(m)
	if err != nil {
		x.t.Fatalf("handling %s: %v", m.Envelope.Type, err)
	}
	for _, env := range out.Events {
		p, err := x.reg.Decode(env)
		if err != nil {
			x.t.Fatalf("handler produced undecodable %s: %v", env.Type, err)
		}
		x.h.Apply(env, p)
		x.log = append(x.log, env)
	}
	for _, o := range out.Messages {
		if o.Topic == testTopics.Outcomes || o.Topic == testTopics.Rejects {
			continue
		}
		if _, err := events.Unmarshal(o.Value); err != nil {
			x.t.Fatalf("handler sent an invalid envelope to %s: %v", o.Topic, err)
		}
	}
	return out
}

func (x *harness) send(p events.Payload, at time.Time) processor.Output {
	x.t.Helper()
	return x.handle(x.msg(p, at))
}

func sagaIDOf(p events.Payload) string {
	switch c := p.(type) {
	case events.StartPayment:
		return c.TxnID
	case events.CorrectPayment:
		return c.TxnID
	case events.PayerDebited:
		return c.TxnID
	case events.PayerDebitRefused:
		return c.TxnID
	case events.PayerDebitReversed:
		return c.TxnID
	case events.DebitStatusReported:
		return c.TxnID
	case events.ReserveCredited:
		return c.TxnID
	case events.ReserveCreditRefused:
		return c.TxnID
	case events.CreditStatusReported:
		return c.TxnID
	case events.StartRefund:
		return c.TxnID
	case events.ReserveDebited:
		return c.TxnID
	case events.ReserveDebitRefused:
		return c.TxnID
	case events.ReserveDebitStatusReported:
		return c.TxnID
	case events.ReserveDebitReversed:
		return c.TxnID
	case events.PayerCredited:
		return c.TxnID
	case events.PayerCreditRefused:
		return c.TxnID
	case events.PayerCreditStatusReported:
		return c.TxnID
	case events.StartSigning:
		return c.SigningID
	case events.SubmitSMSCode:
		return c.SigningID
	case events.SigningVerified:
		return c.SigningID
	case events.SigningRefused:
		return c.SigningID
	case events.SMSCodeRejected:
		return c.SigningID
	case events.AgreementSigned:
		return c.SigningID
	case events.FireDeadline:
		return c.SagaID
	}
	return "other"
}

// lines renders an output as one line per event and message.
func (x *harness) lines(out processor.Output) []string {
	x.t.Helper()
	var l []string
	for _, env := range out.Events {
		p, err := x.reg.Decode(env)
		if err != nil {
			x.t.Fatal(err)
		}
		l = append(l, eventLine(p))
	}
	for _, o := range out.Messages {
		switch o.Topic {
		case testTopics.Outcomes:
			oc := decodeOutcome(x.t, o)
			l = append(l, fmt.Sprintf("outcome %s %s %s", oc.Status, oc.ReasonCode, oc.OrderID))
		case testTopics.Rejects:
			var r events.Rejected
			if err := json.Unmarshal(o.Value, &r); err != nil {
				x.t.Fatal(err)
			}
			l = append(l, fmt.Sprintf("reject %s %s", r.ReasonCode, r.OrderID))
		default:
			l = append(l, x.commandLine(o))
		}
	}
	for i := range l {
		l[i] = strings.Join(strings.Fields(l[i]), " ") // absent reasons leave no gaps
	}
	return l
}

func (x *harness) commandLine(o processor.Outbound) string {
	env, err := events.Unmarshal(o.Value)
	if err != nil {
		x.t.Fatal(err)
	}
	p, err := x.reg.Decode(env)
	if err != nil {
		x.t.Fatal(err)
	}
	switch c := p.(type) {
	case events.QueryDebit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	case events.QueryCredit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	case events.ReverseDebit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	case events.QueryReserveDebit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	case events.QueryPayerCredit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	case events.ReverseReserveDebit:
		return fmt.Sprintf("→ %s #%d", env.Type, c.Attempt)
	}
	return "→ " + env.Type
}

func eventLine(p events.Payload) string {
	switch e := p.(type) {
	case events.PaymentStepChanged:
		return fmt.Sprintf("%s %s #%d", e.EventType(), e.Step, e.Attempt)
	case events.PaymentFinished:
		return fmt.Sprintf("%s %s %s payer=%s reserve=%s", e.EventType(), e.Status, e.ReasonCode, e.PayerDebited, e.ReserveCredited)
	case events.SigningStepChanged:
		return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.EventType(), e.Step, e.ReasonCode))
	case events.SigningConfirmRejected:
		return fmt.Sprintf("%s %s", e.EventType(), e.ReasonCode)
	case events.SigningFinished:
		return strings.TrimSpace(fmt.Sprintf("%s %s %s", e.EventType(), e.Status, e.ReasonCode))
	case events.PaymentCorrectionStarted:
		return fmt.Sprintf("%s %s", e.EventType(), e.Action)
	case events.PaymentCorrected:
		return fmt.Sprintf("%s %s %s", e.EventType(), e.Action, e.Amount)
	case events.RefundStepChanged:
		return fmt.Sprintf("%s %s #%d", e.EventType(), e.Step, e.Attempt)
	case events.RefundFinished:
		return fmt.Sprintf("%s %s %s reserve=%s payer=%s", e.EventType(), e.Status, e.ReasonCode, e.ReserveDebit, e.PayerCredited)
	case events.RefundRejected:
		return fmt.Sprintf("%s %s", e.EventType(), e.ReasonCode)
	}
	return p.EventType()
}

func decodeOutcome(t testing.TB, o processor.Outbound) events.Outcome {
	t.Helper()
	var oc events.Outcome
	if err := json.Unmarshal(o.Value, &oc); err != nil {
		t.Fatal(err)
	}
	if o.Key != oc.OrderID {
		t.Fatalf("outcome keyed %q, order %q", o.Key, oc.OrderID)
	}
	return oc
}

// outcomes returns the outcomes of out.
func outcomes(t *testing.T, out processor.Output) []events.Outcome {
	t.Helper()
	var ocs []events.Outcome
	for _, o := range out.Messages {
		if o.Topic == testTopics.Outcomes {
			ocs = append(ocs, decodeOutcome(t, o))
		}
	}
	return ocs
}

// commands returns the decoded command envelopes of out sent to topic.
func (x *harness) commands(out processor.Output, topic string) []events.Envelope {
	x.t.Helper()
	var envs []events.Envelope
	for _, o := range out.Messages {
		if o.Topic != topic {
			continue
		}
		env, err := events.Unmarshal(o.Value)
		if err != nil {
			x.t.Fatal(err)
		}
		if o.Key != env.AggregateID {
			x.t.Fatalf("%s keyed %q, aggregate %q", env.Type, o.Key, env.AggregateID)
		}
		envs = append(envs, env)
	}
	return envs
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// step builds the next message of a scenario; it may read the saga's
// state (a deadline fires at the deadline the saga holds).
type step func(x *harness) processor.Message
