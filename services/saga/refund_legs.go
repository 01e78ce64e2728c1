package saga

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
)

// onRefund runs decide for a bank's reply or a deadline of refund
// refundID of payment txnID: a redelivery of the message behind the
// refund's latest event is answered again; a reply to a finished refund,
// or to a step it has left, is ignored; otherwise decide's event (if any)
// is recorded.
func (d *decision) onRefund(txnID, refundID string, decide func(*refundFlow) events.Payload) error {
	p, ok := d.h.payments[txnID]
	if !ok {
		return fmt.Errorf("%w: payment %q of refund %q (%s)", ErrUnknownSaga, txnID, refundID, d.msg.Envelope.Type)
	}
	f := p.refundOf(refundID)
	if f == nil {
		return fmt.Errorf("%w: refund %q of payment %q (%s)", ErrUnknownSaga, refundID, txnID, d.msg.Envelope.Type)
	}
	if f.last.cause == d.msgID() {
		return d.refundEffects(p, f)
	}
	if f.run == nil {
		return nil
	}
	ev := decide(f)
	if ev == nil {
		return nil
	}
	return d.refundEvent(p, f.run.correlation, ev)
}

// The refund's legs mirror the payment's with the roles swapped: the
// reserve debit is the paying leg (refused: failure; unknown at its final
// deadline: presumed_failure), the customer's credit the receiving leg
// (refused: the reserve debit is returned, then failure; unknown at its
// final deadline: presumed_success). Each decide function is pure and
// returns nil when the message changes nothing.

// decideReserveDebited: the reserve paid; credit the customer, with the
// credit's own final deadline counted from now.
func (f *refundFlow) decideReserveDebited(now time.Time, cfg *Config) events.Payload {
	if !f.run.awaitingReserve() {
		return nil
	}
	return events.RefundStepChanged{
		RefundID:      f.id,
		Step:          events.RefundStepAwaitPayer,
		Deadline:      now.Add(cfg.LegTimeout),
		FinalDeadline: now.Add(cfg.ReserveFinalTimeout),
	}
}

// decideReserveRefused: the reserve account cannot pay (its sub-accounts
// together hold less than the refund) or never received the debit;
// nothing moved.
func (f *refundFlow) decideReserveRefused(reason string) events.Payload {
	if !f.run.awaitingReserve() {
		return nil
	}
	return f.finish(events.StatusFailure, orDefault(reason, events.ReasonNotReceivedByBank), legNo, legNo)
}

// decideReserveDebitStatus treats a status answer like the reply it
// stands for; unknown changes nothing (the next deadline re-queries).
func (f *refundFlow) decideReserveDebitStatus(r events.ReserveDebitStatusReported, now time.Time, cfg *Config) events.Payload {
	switch r.Status {
	case events.LegDone:
		return f.decideReserveDebited(now, cfg)
	case events.LegRefused:
		return f.decideReserveRefused(r.ReasonCode)
	case events.LegReversed:
		if f.run.step == events.RefundStepAwaitReversal {
			return f.decideReserveReturned()
		}
		// Only the saga asks for the return, after the payer refused; in
		// the reserve steps it means nothing stayed debited.
		return f.decideReserveRefused(r.ReasonCode)
	}
	return nil
}

// decidePayerCredited: both legs are done.
func (f *refundFlow) decidePayerCredited() events.Payload {
	if !f.run.awaitingPayer() {
		return nil
	}
	return f.finish(events.StatusSuccess, "", legYes, legYes)
}

// decidePayerRefused: the reserve paid but the customer's account does not
// take the money, so the debit goes back to the reserve sub-account before
// the refund can fail. The refusal's reason travels in the step change.
func (f *refundFlow) decidePayerRefused(reason string, now time.Time, cfg *Config) events.Payload {
	if !f.run.awaitingPayer() {
		return nil
	}
	return events.RefundStepChanged{
		RefundID:   f.id,
		Step:       events.RefundStepAwaitReversal,
		Attempt:    1,
		Deadline:   now.Add(cfg.LegTimeout),
		ReasonCode: orDefault(reason, events.ReasonNotReceivedByBank),
	}
}

// decidePayerCreditStatus treats a status answer like the reply it stands
// for; unknown changes nothing. A credit cannot be reversed by the payer
// bank, so "reversed" reads as refused: the customer does not hold it.
func (f *refundFlow) decidePayerCreditStatus(r events.PayerCreditStatusReported, now time.Time, cfg *Config) events.Payload {
	switch r.Status {
	case events.LegDone:
		return f.decidePayerCredited()
	case events.LegRefused, events.LegReversed:
		return f.decidePayerRefused(r.ReasonCode, now, cfg)
	}
	return nil
}

// decideReserveReturned: the compensation is done; the refund failed for
// the payer bank's reason, and net of the return nothing left the reserve.
func (f *refundFlow) decideReserveReturned() events.Payload {
	if f.run.step != events.RefundStepAwaitReversal {
		return nil
	}
	return f.finish(events.StatusFailure, f.run.payerReason, legNo, legNo)
}

// decideDeadline handles a refund's deadline, like a payment's: only the
// current deadline counts, once message time reached it. A leg without an
// answer is queried every QueryInterval until its final deadline, then
// presumed; the return of a reserve debit is never presumed but re-sent
// until the bank confirms it, because the reserve's money must come back.
func (f *refundFlow) decideDeadline(deadline, now time.Time, cfg *Config) events.Payload {
	r := f.run
	if !deadline.Equal(r.deadline) || now.Before(r.deadline) {
		return nil
	}
	next := func(step string) events.RefundStepChanged {
		return events.RefundStepChanged{RefundID: f.id, Step: step, Attempt: r.attempt + 1, Deadline: now.Add(cfg.QueryInterval)}
	}
	switch {
	case r.awaitingReserve() && !now.Before(r.reserveFinal):
		return f.finish(events.StatusPresumedFailure, events.ReasonReserveDebitUnknown, legUnknown, legNo)
	case r.awaitingReserve():
		return next(events.RefundStepQueryReserve)
	case r.awaitingPayer() && !now.Before(r.payerFinal):
		return f.finish(events.StatusPresumedSuccess, events.ReasonPayerCreditUnknown, legYes, legUnknown)
	case r.awaitingPayer():
		return next(events.RefundStepQueryPayer)
	case r.step == events.RefundStepAwaitReversal:
		return next(events.RefundStepAwaitReversal)
	}
	return nil
}

// finish builds the one refund.finished of f.
func (f *refundFlow) finish(status, reason, reserveDebit, payerCredited string) events.RefundFinished {
	return events.RefundFinished{
		RefundID: f.id, Status: status, ReasonCode: reason,
		ReserveDebit: reserveDebit, PayerCredited: payerCredited,
	}
}
