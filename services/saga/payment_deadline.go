package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// decideDeadline handles a payment's deadline. Only the current deadline
// counts, and only once message time has reached it: an older deadline
// (the step moved on before its FireDeadline arrived) or an early one
// changes nothing.
//
// A leg that did not answer is queried, attempt after attempt every
// QueryInterval, until its final deadline; then it is presumed: payer leg
// unknown → presumed_failure, reserve leg unknown (payer debited) →
// presumed_success. A reversal is never presumed: the customer's money
// must come back, so it is re-sent every QueryInterval until the bank
// confirms it.
func (p *payment) decideDeadline(deadline, now time.Time, cfg *Config) events.Payload {
	r := p.run
	if !deadline.Equal(r.deadline) || now.Before(r.deadline) {
		return nil
	}
	next := func(step string) events.PaymentStepChanged {
		return events.PaymentStepChanged{
			TxnID: p.id, Step: step, Attempt: r.attempt + 1,
			Deadline: now.Add(cfg.QueryInterval), Cause: causeDeadline,
		}
	}
	switch {
	case r.awaitingPayer() && !now.Before(r.payerFinal):
		return p.finish(events.StatusPresumedFailure, events.ReasonPayerLegUnknown, legUnknown, legNo)
	case r.awaitingPayer():
		return next(events.StepQueryPayer)
	case r.awaitingReserve() && !now.Before(r.reserveFinal):
		return p.finish(events.StatusPresumedSuccess, events.ReasonReserveLegUnknown, legYes, legUnknown)
	case r.awaitingReserve():
		return next(events.StepQueryReserve)
	case r.step == events.StepAwaitReversal:
		return next(events.StepAwaitReversal)
	}
	return nil
}
