package cutover

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// RouterTopics names, in full, the topics the router forwards to.
type RouterTopics struct {
	SagaInbox   string // saga.start_payment (NetsUnion path)
	DirectInbox string // direct.start_payment (legacy direct path)
}

// RouterConfig configures the router.
type RouterConfig struct {
	Topics RouterTopics
}

// Validate reports a configuration the router cannot run with.
func (c RouterConfig) Validate() error {
	switch {
	case c.Topics.SagaInbox == "":
		return errors.New("cutover: RouterConfig.Topics.SagaInbox is empty")
	case c.Topics.DirectInbox == "":
		return errors.New("cutover: RouterConfig.Topics.DirectInbox is empty")
	case c.Topics.SagaInbox == c.Topics.DirectInbox:
		return errors.New("cutover: RouterConfig.Topics.SagaInbox and DirectInbox are the same topic")
	}
	return nil
}

// Router is the processor.Handler of one partition of cutover.inbox: it
// keeps the first routing decision of every TxnID of the partition and
// forwards each events.RoutePayment to that path. Used from one goroutine.
//
// It keeps one small entry per transaction in memory and no snapshot: its
// log holds one event per payment, so rebuilding a partition reads that
// partition's payments once.
type Router struct {
	cfg    RouterConfig
	reg    *events.Registry
	routes map[string]route
}

// route is a recorded decision.
type route struct {
	path    string
	version int
	clause  string
}

var _ processor.Handler = (*Router)(nil)

// NewRouterFactory validates cfg and returns the factory of the router
// processor. reg must hold the cutover, saga and direct types
// (events.Catalog does).
func NewRouterFactory(cfg RouterConfig, reg *events.Registry) (processor.Factory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("cutover: nil registry")
	}
	return func(int) processor.Handler { return NewRouter(cfg, reg) }, nil
}

// NewRouter returns an empty router; cfg must be valid (NewRouterFactory
// checks it).
func NewRouter(cfg RouterConfig, reg *events.Registry) *Router {
	return &Router{cfg: cfg, reg: reg, routes: map[string]route{}}
}

// Apply folds cutover.payment_routed. A TxnID's decision is its only
// event; a second one (two owners after a rebalance write the same event)
// is ignored. Anything else on cutover.events is a corrupt log: panic.
func (r *Router) Apply(env events.Envelope, p events.Payload) {
	e, ok := p.(events.PaymentRouted)
	if !ok {
		panic(fmt.Sprintf("cutover: %s (%T) is not a router event", env.Type, p))
	}
	if _, done := r.routes[env.AggregateID]; done {
		return
	}
	r.routes[env.AggregateID] = route{path: e.Path, version: e.RouteVersion, clause: e.Clause}
}

// Due returns nil: the router keeps no deadlines.
func (*Router) Due(time.Time) []processor.Outbound { return nil }

// Path returns the recorded path of txnID, for tests and tools.
func (r *Router) Path(txnID string) (path string, version int, ok bool) {
	rt, ok := r.routes[txnID]
	return rt.path, rt.version, ok
}

// Handle routes one events.RoutePayment: a TxnID seen for the first time
// records the decision the intake made (cutover.payment_routed); every
// request, first or repeated, is forwarded to the recorded path with the
// recorded version, whatever the intake decided for the repeat. The
// forwarded command's ID derives from the route command's, so a
// redelivery forwards an identical record, which the path deduplicates.
// Errors (poison): a payload that is not a RoutePayment, or one routed by
// a key other than its TxnID, or naming an unknown path.
func (r *Router) Handle(msg processor.Message) (processor.Output, error) {
	c, ok := msg.Payload.(events.RoutePayment)
	if !ok {
		return processor.Output{}, fmt.Errorf("cutover: %q is not a router command", msg.Envelope.Type)
	}
	txnID := c.Payment.TxnID
	if txnID != msg.Envelope.AggregateID {
		return processor.Output{}, fmt.Errorf("cutover: route_payment keyed by %q names transaction %q", msg.Envelope.AggregateID, txnID)
	}
	var out processor.Output
	rt, known := r.routes[txnID]
	if !known {
		rt = route{path: c.Path, version: c.RouteVersion, clause: c.Clause}
		p := events.PaymentRouted{
			TxnID: txnID, ChannelID: c.Payment.ChannelID, OrderID: c.Payment.OrderID,
			Path: c.Path, RouteVersion: c.RouteVersion, Clause: c.Clause,
		}
		env, err := r.reg.New(txnID, 1, p, r.meta(msg, events.DeriveID(msg.Envelope.ID, p.EventType())))
		if err != nil {
			return processor.Output{}, fmt.Errorf("cutover: recording route of %s: %w", txnID, err)
		}
		out.Events, out.Payloads = []events.Envelope{env}, []events.Payload{p}
	}
	fwd, err := r.forward(msg, c.Payment, rt)
	if err != nil {
		return processor.Output{}, err
	}
	out.Messages = []processor.Outbound{fwd}
	return out, nil
}

// forward builds the command that runs the payment on path rt.
func (r *Router) forward(msg processor.Message, pay events.StartPayment, rt route) (processor.Outbound, error) {
	meta := r.meta(msg, events.DeriveID(msg.Envelope.ID, "forward"))
	var (
		topic string
		p     events.Payload
	)
	switch rt.path {
	case events.PathNetsUnion:
		topic, p = r.cfg.Topics.SagaInbox, pay
	case events.PathDirect:
		topic, p = r.cfg.Topics.DirectInbox, events.StartDirectPayment{Payment: pay, RouteVersion: rt.version, RouteClause: rt.clause}
	default:
		return processor.Outbound{}, fmt.Errorf("cutover: transaction %s routed to unknown path %q", pay.TxnID, rt.path)
	}
	env, err := r.reg.New(pay.TxnID, 1, p, meta)
	if err != nil {
		return processor.Outbound{}, fmt.Errorf("cutover: forwarding %s: %w", pay.TxnID, err)
	}
	return processor.EnvelopeTo(topic, env), nil
}

func (r *Router) meta(msg processor.Message, id string) events.Meta {
	return events.Meta{ID: id, CorrelationID: msg.Envelope.CorrelationID, CausationID: msg.Envelope.ID, OccurredAt: msg.Time}
}
