package cutover

import (
	"bytes"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

const (
	sagaInbox   = "t.saga.inbox"
	directInbox = "t.direct.inbox"
)

// routeMsg is the RoutePayment the intake sends for a pay request with
// idempotency key key, decided as path under version.
func routeMsg(t *testing.T, reg *events.Registry, key, path string, version int) processor.Message {
	t.Helper()
	k, no := payer(t, "77777")
	txnID := events.DeriveID("txn", "alipay", key)
	c := events.RoutePayment{
		Payment: events.StartPayment{
			TxnID: txnID, ChannelID: "alipay", OrderID: "ord-" + key, IdempotencyKey: key, BodyHash: "h",
			AgreementNo: no, PayerKey: k, ReserveAccount: "RSV-alipay", Amount: events.CNY("10.00"),
		},
		Path: path, RouteVersion: version, Clause: events.ClauseDefault,
	}
	// The intake derives the ID from the request, not from the decision.
	id := events.DeriveID("intake", key, "route")
	env, err := reg.New(txnID, 1, c, events.Meta{ID: id, CorrelationID: txnID, CausationID: txnID, OccurredAt: time.Unix(1_700_000_000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return processor.Message{Envelope: env, Payload: c, Time: env.OccurredAt, Key: []byte(txnID)}
}

// handle runs msg through r and folds its events, as the runtime does.
func handle(t *testing.T, r *Router, msg processor.Message) processor.Output {
	t.Helper()
	out, err := r.Handle(msg)
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range out.Events {
		r.Apply(env, out.Payloads[i])
	}
	return out
}

func TestRouterKeepsTheFirstDecision(t *testing.T) {
	reg := events.Catalog()
	r := NewRouter(RouterConfig{Topics: RouterTopics{SagaInbox: sagaInbox, DirectInbox: directInbox}}, reg)

	first := handle(t, r, routeMsg(t, reg, "k1", events.PathDirect, 1))
	if len(first.Events) != 1 || len(first.Messages) != 1 {
		t.Fatalf("first decision: %d events, %d messages", len(first.Events), len(first.Messages))
	}
	routed := first.Payloads[0].(events.PaymentRouted)
	if routed.Path != events.PathDirect || routed.RouteVersion != 1 {
		t.Fatalf("recorded %+v", routed)
	}
	fwd := first.Messages[0]
	if fwd.Topic != directInbox {
		t.Fatalf("forwarded to %s, want %s", fwd.Topic, directInbox)
	}
	env, err := events.Unmarshal(fwd.Value)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	if sd := p.(events.StartDirectPayment); sd.RouteVersion != 1 || sd.Payment.TxnID != routed.TxnID {
		t.Fatalf("forwarded %+v", sd)
	}

	// A redelivery of the same command: no new event, the identical record.
	again := handle(t, r, routeMsg(t, reg, "k1", events.PathDirect, 1))
	if len(again.Events) != 0 || !bytes.Equal(again.Messages[0].Value, fwd.Value) {
		t.Fatal("redelivered route command was not answered with the identical forward")
	}

	// The same request handled under rules v2, which now say NetsUnion:
	// the first decision stands, with its version.
	later := handle(t, r, routeMsg(t, reg, "k1", events.PathNetsUnion, 2))
	if len(later.Events) != 0 {
		t.Fatal("a second decision was recorded")
	}
	if later.Messages[0].Topic != directInbox || !bytes.Equal(later.Messages[0].Value, fwd.Value) {
		t.Fatalf("repeat under new rules went to %s, want the first decision's %s", later.Messages[0].Topic, directInbox)
	}
	if path, version, ok := r.Path(routed.TxnID); !ok || path != events.PathDirect || version != 1 {
		t.Fatalf("Path = %s v%d %v", path, version, ok)
	}

	// Another transaction to NetsUnion gets the saga's own command.
	ns := handle(t, r, routeMsg(t, reg, "k2", events.PathNetsUnion, 2))
	if ns.Messages[0].Topic != sagaInbox {
		t.Fatalf("NetsUnion payment forwarded to %s", ns.Messages[0].Topic)
	}
	env, _ = events.Unmarshal(ns.Messages[0].Value)
	if env.Type != (events.StartPayment{}).EventType() || env.AggregateID != ns.Payloads[0].(events.PaymentRouted).TxnID {
		t.Fatalf("forwarded %s keyed %s", env.Type, env.AggregateID)
	}
}

func TestRouterRebuildsFromItsLog(t *testing.T) {
	reg := events.Catalog()
	cfg := RouterConfig{Topics: RouterTopics{SagaInbox: sagaInbox, DirectInbox: directInbox}}
	r := NewRouter(cfg, reg)
	out := handle(t, r, routeMsg(t, reg, "k3", events.PathDirect, 4))

	rebuilt := NewRouter(cfg, reg)
	for i, env := range out.Events {
		rebuilt.Apply(env, out.Payloads[i])
		rebuilt.Apply(env, out.Payloads[i]) // written twice after a rebalance
	}
	repeat := handle(t, rebuilt, routeMsg(t, reg, "k3", events.PathNetsUnion, 5))
	if repeat.Messages[0].Topic != directInbox || len(repeat.Events) != 0 {
		t.Fatal("rebuilt router forgot the first decision")
	}
}

func TestRouterRefusesMisroutedCommands(t *testing.T) {
	reg := events.Catalog()
	r := NewRouter(RouterConfig{Topics: RouterTopics{SagaInbox: sagaInbox, DirectInbox: directInbox}}, reg)
	msg := routeMsg(t, reg, "k4", events.PathDirect, 1)
	msg.Envelope.AggregateID = "another"
	if _, err := r.Handle(msg); err == nil {
		t.Fatal("command keyed by another transaction accepted")
	}
	bad := routeMsg(t, reg, "k5", "sideways", 1)
	if _, err := r.Handle(bad); err == nil {
		t.Fatal("unknown path accepted")
	}
	if _, ok := r.routes[bad.Payload.(events.RoutePayment).Payment.TxnID]; ok {
		t.Fatal("refused command left a route")
	}
	if err := (RouterConfig{}).Validate(); err == nil {
		t.Fatal("empty config valid")
	}
}
