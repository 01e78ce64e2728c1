package directpath

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Errors Handle returns; the runtime parks the message as poison.
var (
	// ErrUnexpectedMessage: not a command or reply of the direct path.
	ErrUnexpectedMessage = errors.New("directpath: unexpected message")
	// ErrUnknownPayment: a bank reply or deadline names a payment this
	// partition never started (a partition mismatch or a forged ID).
	ErrUnknownPayment = errors.New("directpath: unknown payment")
	// ErrInvalidCommand: a command breaks its contract (keyed by another
	// aggregate than it names, an unknown method, a non-positive amount).
	ErrInvalidCommand = errors.New("directpath: invalid command")
)

// Handler holds the direct payments and legacy ledgers of one partition of
// direct.inbox. Used from one goroutine, like every processor.Handler.
type Handler struct {
	cfg      Config
	reg      *events.Registry
	payments map[string]*payment
	ledgers  map[string]*ledger
	// timers holds the deadline of every running payment and refund that
	// waits for the bank; only running ones, so Due scans little.
	timers map[timerKey]time.Time
}

var _ processor.Handler = (*Handler)(nil)

// New returns an empty Handler, ready to be rebuilt with Apply. reg must
// hold the direct-path types (events.Catalog does).
func New(cfg Config, reg *events.Registry) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("directpath: nil registry")
	}
	return &Handler{cfg: cfg, reg: reg, payments: map[string]*payment{}, ledgers: map[string]*ledger{}, timers: map[timerKey]time.Time{}}, nil
}

// NewFactory validates cfg once and returns the processor's factory.
func NewFactory(cfg Config, reg *events.Registry) (processor.Factory, error) {
	if _, err := New(cfg, reg); err != nil {
		return nil, err
	}
	return func(int) processor.Handler {
		h, err := New(cfg, reg)
		if err != nil {
			panic(err) // validated above
		}
		return h
	}, nil
}

// Apply folds one event of direct.events: payment and refund events by
// TxnID, ledger events by ledger key. An event at or below its aggregate's
// sequence is ignored; an event the path cannot have written panics.
func (h *Handler) Apply(env events.Envelope, p events.Payload) {
	if ledgerChannel(p) != "" {
		h.applyLedger(env, p)
		return
	}
	h.applyPayment(env, p)
}

// Handle decides on one direct.inbox message; see the package doc. It
// never changes the state; the events it returns do, through Apply.
// Errors: ErrUnexpectedMessage, ErrUnknownPayment, ErrInvalidCommand, or
// a failure to build an envelope (a bug).
func (h *Handler) Handle(msg processor.Message) (processor.Output, error) {
	d := &decision{h: h, msg: msg}
	var err error
	switch c := msg.Payload.(type) {
	case events.StartDirectPayment:
		err = d.startPayment(c)
	case events.DirectDebited:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDebited() })
	case events.DirectDebitRefused:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDebitRefused(c.ReasonCode) })
	case events.DirectDebitStatusReported:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDebitStatus(c) })
	case events.StartLegacyRefund:
		err = d.startRefund(c)
	case events.PrefundDrawn, events.PrefundDrawRefused, events.PrefundReturned,
		events.DirectRefundCredited, events.DirectRefundCreditRefused, events.DirectRefundCreditStatusReported:
		err = d.onRefundReply(c)
	case events.FireDirectDeadline:
		err = d.fireDeadline(c)
	case events.ReceivePrefund, events.DrawPrefund, events.ReturnPrefund, events.RecordAdvance, events.RepayAdvance:
		err = d.onLedger(c)
	default:
		err = fmt.Errorf("%w: %q", ErrUnexpectedMessage, msg.Envelope.Type)
	}
	if err != nil {
		return processor.Output{}, err
	}
	return d.out, nil
}

// Due returns a deadline command for every payment and refund whose
// deadline passed, in a stable order.
func (h *Handler) Due(now time.Time) []processor.Outbound {
	var keys []timerKey
	for k, at := range h.timers {
		if !at.After(now) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b timerKey) int {
		if c := strings.Compare(a.txnID, b.txnID); c != 0 {
			return c
		}
		return strings.Compare(a.refundID, b.refundID)
	})
	var out []processor.Outbound
	for _, k := range keys {
		at := h.timers[k]
		p := events.FireDirectDeadline{TxnID: k.txnID, RefundID: k.refundID, Deadline: at}
		id := events.DeriveID(k.txnID, k.refundID, "deadline", at.UTC().Format(time.RFC3339Nano))
		env, err := h.reg.New(k.txnID, 1, p, events.Meta{ID: id, CorrelationID: k.txnID, CausationID: id, OccurredAt: at})
		if err != nil {
			panic("directpath: building deadline: " + err.Error()) // registered type, valid IDs
		}
		out = append(out, processor.EnvelopeTo(h.cfg.Topics.DirectInbox, env))
	}
	return out
}

// Payment is a read-only view of a direct payment, for tests and tools.
type Payment struct {
	Status       string // "" while running
	Step         string // while running
	RouteVersion int
	Refunded     events.Money // held by refunds that did not fail
}

// Payment returns the view of txnID.
func (h *Handler) Payment(txnID string) (Payment, bool) {
	p, ok := h.payments[txnID]
	if !ok {
		return Payment{}, false
	}
	v := Payment{Status: p.end.status, RouteVersion: p.req.RouteVersion, Refunded: p.held}
	if p.run != nil {
		v.Status, v.Step = "", p.run.step
	}
	return v, true
}

// Ledger returns the view of channelID's legacy ledger (zero balances when
// nothing was recorded).
func (h *Handler) Ledger(channelID string) Ledger {
	l, ok := h.ledgers[events.LegacyLedgerKey(channelID)]
	if !ok {
		return Ledger{ChannelID: channelID, Prefund: events.ZeroCNY(), Outstanding: events.ZeroCNY()}
	}
	return Ledger{ChannelID: channelID, Prefund: l.prefund, Outstanding: l.outstanding}
}
