package saga

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Errors Handle returns; the runtime parks the message on the poison topic
// with the error as reason.
var (
	// ErrUnexpectedMessage: the payload is not a command or reply the
	// sagas handle (misrouted, or a type added without a saga case).
	ErrUnexpectedMessage = errors.New("saga: unexpected message")
	// ErrUnknownSaga: a reply or deadline names a saga this partition has
	// never started. Replies are routed by the saga's ID, so this means a
	// partition mismatch or a forged ID, never a late reply.
	ErrUnknownSaga = errors.New("saga: unknown saga")
	// ErrInvalidCommand: a command breaks its contract in a way no state
	// can answer (a correct_payment without a discrepancy ID).
	ErrInvalidCommand = errors.New("saga: invalid command")
)

// Handler holds the payment and signing sagas of one partition of
// saga.inbox. Like every processor.Handler it is used from one goroutine
// only.
type Handler struct {
	cfg      Config
	reg      *events.Registry
	payments map[string]*payment
	signings map[string]*signing
	// refundTxn maps every refund ID to its payment's TxnID: a refund's
	// deadline names the refund, and its FireDeadline is keyed by the
	// payment so that it reaches this partition.
	refundTxn map[string]string
	// timers indexes the deadline of every running saga, so Due does not
	// scan a million sagas per tick.
	timers timers
}

var _ processor.Handler = (*Handler)(nil)

// New returns an empty Handler, ready to be rebuilt with Apply. reg must
// hold the saga, payer and reserve types (events.Catalog does). It fails
// when cfg does not validate after defaults are applied.
func New(cfg Config, reg *events.Registry) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("saga: nil registry")
	}
	return &Handler{
		cfg:       cfg,
		reg:       reg,
		payments:  map[string]*payment{},
		signings:  map[string]*signing{},
		refundTxn: map[string]string{},
		timers:    newTimers(),
	}, nil
}

// NewFactory validates cfg once and returns the factory the processor
// runtime calls per assigned partition.
func NewFactory(cfg Config, reg *events.Registry) (processor.Factory, error) {
	if _, err := New(cfg, reg); err != nil {
		return nil, err
	}
	return func(int) processor.Handler {
		h, err := New(cfg, reg)
		if err != nil {
			panic(err) // validated above; cfg is a copy and cannot change
		}
		return h
	}, nil
}

// Handle decides on one saga.inbox message: a start command from the
// intake, a correction from reconciliation, a bank's reply, or a deadline
// from Due. It never changes the state; the events it returns do, through
// Apply.
//
// A message that caused the latest event of its saga (a redelivery after a
// crash between produce and commit) is answered again with what that event
// sent, with the same IDs, and decides nothing. Replies to a finished saga
// or to a step the saga has left are ignored, unless a correction of the
// finished payment awaits them. Errors: ErrUnexpectedMessage,
// ErrUnknownSaga, ErrInvalidCommand, or a failure to build an envelope (a
// bug).
func (h *Handler) Handle(msg processor.Message) (processor.Output, error) {
	d := &decision{h: h, msg: msg}
	var err error
	switch c := msg.Payload.(type) {
	case events.StartPayment:
		err = d.startPayment(c)
	case events.PayerDebited:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decidePayerDebited(d.now(), d.cause(), &h.cfg) })
	case events.PayerDebitRefused:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decidePayerRefused(c.ReasonCode) })
	case events.DebitStatusReported:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDebitStatus(c, d.now(), d.cause(), &h.cfg) })
	case events.PayerDebitReversed:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDebitReversed() })
	case events.ReserveCredited:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideReserveCredited() })
	case events.ReserveCreditRefused:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload {
			return p.decideReserveRefused(c.ReasonCode, d.now(), d.cause(), &h.cfg)
		})
	case events.CreditStatusReported:
		err = d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideCreditStatus(c, d.now(), d.cause(), &h.cfg) })
	case events.CorrectPayment:
		err = d.correctPayment(c)
	case events.StartRefund:
		err = d.startRefund(c)
	case events.ReserveDebited:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decideReserveDebited(d.now(), &h.cfg) })
	case events.ReserveDebitRefused:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decideReserveRefused(c.ReasonCode) })
	case events.ReserveDebitStatusReported:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decideReserveDebitStatus(c, d.now(), &h.cfg) })
	case events.ReserveDebitReversed:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decideReserveReturned() })
	case events.PayerCredited:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decidePayerCredited() })
	case events.PayerCreditRefused:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decidePayerRefused(c.ReasonCode, d.now(), &h.cfg) })
	case events.PayerCreditStatusReported:
		err = d.onRefund(c.TxnID, c.RefundID, func(f *refundFlow) events.Payload { return f.decidePayerCreditStatus(c, d.now(), &h.cfg) })
	case events.StartSigning:
		err = d.startSigning(c)
	case events.SubmitSMSCode:
		err = d.submitSMSCode(c)
	case events.SigningVerified:
		err = d.onSigning(c.SigningID, func(s *signing) events.Payload { return s.decideVerified(c, d.cause()) })
	case events.SigningRefused:
		err = d.onSigning(c.SigningID, func(s *signing) events.Payload { return s.decideRefused(c) })
	case events.SMSCodeRejected:
		err = d.onSigning(c.SigningID, func(s *signing) events.Payload { return s.decideCodeRejected(c, d.cause()) })
	case events.AgreementSigned:
		err = d.onSigning(c.SigningID, func(s *signing) events.Payload { return s.decideSigned(c) })
	case events.FireDeadline:
		err = d.fireDeadline(c)
	default:
		err = fmt.Errorf("%w: %q", ErrUnexpectedMessage, msg.Envelope.Type)
	}
	if err != nil {
		return processor.Output{}, err
	}
	return d.out, nil
}

// fireDeadline routes a deadline to its saga; each kind decides whether it
// is still the current one.
func (d *decision) fireDeadline(c events.FireDeadline) error {
	if _, ok := d.h.payments[c.SagaID]; ok {
		return d.onPayment(c.SagaID, func(p *payment) events.Payload { return p.decideDeadline(c.Deadline, d.now(), &d.h.cfg) })
	}
	if txnID, ok := d.h.refundTxn[c.SagaID]; ok {
		return d.onRefund(txnID, c.SagaID, func(f *refundFlow) events.Payload { return f.decideDeadline(c.Deadline, d.now(), &d.h.cfg) })
	}
	if _, ok := d.h.signings[c.SagaID]; ok {
		return d.onSigning(c.SagaID, func(s *signing) events.Payload { return s.decideDeadline(c.Deadline, d.now(), &d.h.cfg) })
	}
	return fmt.Errorf("%w: deadline for %q", ErrUnknownSaga, c.SagaID)
}

// Apply folds one event of saga.events. An event at or below its saga's
// sequence is ignored (two owners may have written it after a rebalance).
// It panics on anything the sagas never write: an event of another
// processor, an event for a saga never started, a sequence gap, or a
// transition the decisions cannot produce. Those mean a corrupt log, and
// folding on would give wrong answers to channels.
func (h *Handler) Apply(env events.Envelope, p events.Payload) {
	switch ev := p.(type) {
	case events.PaymentStarted:
		if _, ok := h.payments[env.AggregateID]; ok {
			return // sequence 1 again: already folded
		}
		h.payments[env.AggregateID] = newPayment(env, ev)
	case events.PaymentStepChanged, events.PaymentFinished, events.PaymentDuplicateRejected,
		events.PaymentCorrectionStarted, events.PaymentCorrected,
		events.RefundStarted, events.RefundRejected, events.RefundStepChanged, events.RefundFinished:
		pay, ok := h.payments[env.AggregateID]
		if !ok {
			impossible(env, "payment never started")
		}
		if env.Sequence <= pay.seq {
			return
		}
		pay.apply(env, p)
		if id := refundEventID(p); id != "" {
			h.refundTxn[id] = pay.id
			h.rescheduleRefund(pay, id)
			return
		}
	case events.SigningStarted:
		if _, ok := h.signings[env.AggregateID]; ok {
			return
		}
		h.signings[env.AggregateID] = newSigning(env, ev)
	case events.SigningStepChanged, events.SigningCodeSubmitted, events.SigningConfirmRejected, events.SigningFinished:
		s, ok := h.signings[env.AggregateID]
		if !ok {
			impossible(env, "signing never started")
		}
		if env.Sequence <= s.seq {
			return
		}
		s.apply(env, p)
	default:
		impossible(env, "not a saga event")
	}
	h.reschedule(env.AggregateID)
}

// reschedule brings the saga's timer in line with its folded state: armed
// at the current deadline while it runs or its correction does, gone once
// it finished and no correction awaits the bank.
func (h *Handler) reschedule(id string) {
	if pay, ok := h.payments[id]; ok {
		switch {
		case pay.run != nil:
			h.timers.set(id, pay.run.deadline)
		case pay.corr.running():
			h.timers.set(id, pay.corr.deadline(&h.cfg))
		default:
			h.timers.remove(id)
		}
		return
	}
	if s, ok := h.signings[id]; ok {
		if s.run == nil {
			h.timers.remove(id)
			return
		}
		h.timers.set(id, s.run.deadline)
	}
}

// rescheduleRefund brings refund refundID's timer in line with its folded
// state: armed at its deadline while it runs, gone once it ended.
func (h *Handler) rescheduleRefund(p *payment, refundID string) {
	if f := p.refundOf(refundID); f != nil && f.run != nil {
		h.timers.set(refundID, f.run.deadline)
		return
	}
	h.timers.remove(refundID)
}

// impossible stops the fold on an event the sagas cannot have written.
func impossible(env events.Envelope, format string, args ...any) {
	panic(fmt.Sprintf("saga: impossible event %s (aggregate %s, sequence %d, id %s): %s",
		env.Type, env.AggregateID, env.Sequence, env.ID, fmt.Sprintf(format, args...)))
}

// checkNext panics unless env is the next event of a stream at seq: a gap
// means events were lost, and deciding on a state with holes would answer
// channels wrongly.
func checkNext(env events.Envelope, seq uint64) {
	if env.Sequence != seq+1 {
		impossible(env, "sequence gap after %d", seq)
	}
}

// lastEvent remembers the latest event of a saga: which message caused it,
// so a redelivery of that message is recognised, and what it was, so the
// redelivery is answered with exactly what the event sent.
type lastEvent struct {
	kind  string // event type
	cause string // CausationID: the inbox message's envelope ID
	at    time.Time
}

func lastOf(env events.Envelope, p events.Payload) lastEvent {
	// p.EventType() is a constant string; env.Type was decoded and would
	// cost an allocation per saga kept in memory.
	return lastEvent{kind: p.EventType(), cause: env.CausationID, at: env.OccurredAt}
}

// stepRef identifies the event that moved a saga into its current step.
// Commands the step sends are built from it (sequence, causation, time),
// so a command re-sent later is byte-for-byte the one first sent.
type stepRef struct {
	id  string
	seq uint64
	at  time.Time
}

func stepOf(env events.Envelope) stepRef {
	return stepRef{id: env.ID, seq: env.Sequence, at: env.OccurredAt}
}

// request is what a saga keeps of the channel request that started it:
// enough to answer it, and to tell a repeat from a reused key.
type request struct {
	channelID string
	orderID   string
	idemKey   string
	bodyHash  string
}
