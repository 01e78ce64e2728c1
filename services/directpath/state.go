package directpath

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
)

// Knowledge of a leg at the end, as in events.PaymentFinished.
const (
	yes     = "yes"
	no      = "no"
	unknown = "unknown"
)

// stepRef identifies the event that moved a payment or refund into its
// current step. Commands the step sends are built from it, so a command
// re-sent later is byte for byte the one first sent.
type stepRef struct {
	id  string
	seq uint64
	at  time.Time
}

func stepOf(env events.Envelope) stepRef {
	return stepRef{id: env.ID, seq: env.Sequence, at: env.OccurredAt}
}

// leg is a running step with a deadline: the debit of a payment or the
// credit (or the ledger's draw and return, which have no deadline) of a
// refund.
type leg struct {
	step          string
	attempt       int
	deadline      time.Time // zero: no deadline (ledger steps)
	finalDeadline time.Time
	entered       stepRef
}

// end is a final status.
type end struct {
	status     string
	reasonCode string
	legKnown   string // yes / no / unknown: debited, or credited
	at         time.Time
	// by is the event that ended it: what a command sent at the end (a
	// refund's advance to the ledger) names as its cause.
	by stepRef
}

// payment is one direct payment and its legacy refunds: one aggregate,
// keyed by TxnID.
type payment struct {
	id  string
	seq uint64
	// lastCause is the inbox message behind the latest event, and
	// lastRefund the refund that event belongs to ("" for the payment), so
	// a redelivery of that message is answered with its effects.
	lastCause  string
	lastRefund string
	req        events.StartDirectPayment
	run        *leg // nil once finished
	end        end
	refunds    map[string]*refund
	// held is what the refunds take out of the payment: running,
	// succeeded, presumed and redirected ones.
	held events.Money
}

// refund is one legacy refund of a payment.
type refund struct {
	req         events.StartLegacyRefund
	payerKey    string
	agreementNo string
	run         *leg // nil once final
	end         end
	// reasonCode is the bank's refusal while the prefunded amount goes
	// back (return_prefund), the refund's failure reason after.
	reasonCode string
	redirected bool
}

func (r *refund) final() bool { return r.run == nil }

// timerKey names a deadline: the payment's, or one of its refunds'.
type timerKey struct{ txnID, refundID string }

// applyPayment folds an event of payment aggregate env.AggregateID. It
// panics on a transition the decisions cannot produce: a corrupt log.
func (h *Handler) applyPayment(env events.Envelope, p events.Payload) {
	id := env.AggregateID
	pay, ok := h.payments[id]
	if started, isStart := p.(events.DirectPaymentStarted); isStart {
		if ok {
			return // sequence 1 again: folded already
		}
		if env.Sequence != 1 {
			impossible(env, "a payment starts at sequence 1")
		}
		h.payments[id] = &payment{
			id: id, seq: 1, lastCause: env.CausationID, req: started.Request,
			run:     nextLeg(nil, env, events.DirectStepAwaitDebit, 0, started.Deadline, started.FinalDeadline),
			refunds: map[string]*refund{}, held: events.ZeroCNY(),
		}
		h.timers[timerKey{txnID: id}] = started.Deadline
		return
	}
	if !ok {
		impossible(env, "payment never started")
	}
	if env.Sequence <= pay.seq {
		return
	}
	if env.Sequence != pay.seq+1 {
		impossible(env, "sequence gap after %d", pay.seq)
	}
	pay.seq, pay.lastCause, pay.lastRefund = env.Sequence, env.CausationID, ""
	switch e := p.(type) {
	case events.DirectPaymentStepChanged:
		if pay.run == nil {
			impossible(env, "payment already finished")
		}
		pay.run = nextLeg(pay.run, env, e.Step, e.Attempt, e.Deadline, time.Time{})
		h.timers[timerKey{txnID: id}] = e.Deadline
	case events.DirectPaymentFinished:
		if pay.run == nil {
			impossible(env, "payment finished twice")
		}
		pay.run = nil
		pay.end = endOf(env, e.Status, e.ReasonCode, e.PayerDebited)
		delete(h.timers, timerKey{txnID: id})
	default:
		h.applyRefund(env, pay, p)
	}
}

// applyRefund folds a refund event into its payment, with nextRefund,
// the transition the decisions use for the effects of a new event.
func (h *Handler) applyRefund(env events.Envelope, pay *payment, p events.Payload) {
	var r *refund
	switch e := p.(type) {
	case events.LegacyRefundRejected:
		r = pay.newRefund(env, e.Request)
	case events.LegacyRefundRedirected:
		r = pay.newRefund(env, e.Request)
		pay.hold(env, e.Request.Amount)
	case events.LegacyRefundStarted:
		r = pay.newRefund(env, e.Request)
		pay.hold(env, e.Request.Amount)
	case events.LegacyRefundStepChanged:
		r = pay.runningRefund(env, e.RefundID)
	case events.LegacyRefundFinished:
		r = pay.runningRefund(env, e.RefundID)
		if e.Status == events.StatusFailure {
			pay.release(env, r.req.Amount)
		}
	default:
		impossible(env, "not a direct-path payment event")
	}
	n := nextRefund(r, env, p)
	pay.refunds[r.req.RefundID] = n
	pay.lastRefund = r.req.RefundID
	h.arm(pay.id, n)
}

// arm sets or clears the timer of refund r, which has a deadline only
// while it waits for the bank.
func (h *Handler) arm(txnID string, r *refund) {
	k := timerKey{txnID: txnID, refundID: r.req.RefundID}
	if r.run == nil || r.run.deadline.IsZero() {
		delete(h.timers, k)
		return
	}
	h.timers[k] = r.run.deadline
}

func (pay *payment) newRefund(env events.Envelope, req events.StartLegacyRefund) *refund {
	if _, dup := pay.refunds[req.RefundID]; dup {
		impossible(env, "refund %s recorded twice", req.RefundID)
	}
	return &refund{req: req}
}

func (pay *payment) runningRefund(env events.Envelope, refundID string) *refund {
	r, ok := pay.refunds[refundID]
	if !ok || r.final() {
		impossible(env, "refund %s is not running", refundID)
	}
	return r
}

// hold takes amount out of the refundable remainder; fold only.
func (pay *payment) hold(env events.Envelope, amount events.Money) {
	held, err := pay.held.Add(amount)
	if err != nil || held.Cmp(pay.req.Payment.Amount) > 0 {
		impossible(env, "refunds of %s would exceed the payment of %s", held, pay.req.Payment.Amount)
	}
	pay.held = held
}

// release gives a failed refund's amount back; fold only.
func (pay *payment) release(env events.Envelope, amount events.Money) {
	held, err := pay.held.Sub(amount)
	if err != nil || held.IsNegative() {
		impossible(env, "releasing %s of %s held", amount, pay.held)
	}
	pay.held = held
}

// remainder is what refunds may still take.
func (pay *payment) remainder() events.Money {
	r, err := pay.req.Payment.Amount.Sub(pay.held)
	if err != nil {
		panic("directpath: " + err.Error()) // held never exceeds the amount
	}
	return r
}

// impossible stops the fold on an event the direct path cannot have
// written: deciding on a corrupt state would answer channels wrongly.
func impossible(env events.Envelope, format string, args ...any) {
	panic(fmt.Sprintf("directpath: impossible event %s (aggregate %s, sequence %d, id %s): %s",
		env.Type, env.AggregateID, env.Sequence, env.ID, fmt.Sprintf(format, args...)))
}
