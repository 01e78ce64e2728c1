package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// The reserve leg's replies; see payment_payer.go for the contract.

// decideReserveCredited: both legs are done.
func (p *payment) decideReserveCredited() events.Payload {
	if !p.run.awaitingReserve() {
		return nil
	}
	return p.finish(events.StatusSuccess, "", legYes, legYes)
}

// decideReserveRefused: the customer was debited but the reserve account
// refused the credit, so the debit must be reversed before the payment
// can fail. The refusal's reason travels in the step change.
func (p *payment) decideReserveRefused(reason string, now time.Time, cause string, cfg *Config) events.Payload {
	if !p.run.awaitingReserve() {
		return nil
	}
	return events.PaymentStepChanged{
		TxnID:      p.id,
		Step:       events.StepAwaitReversal,
		Attempt:    1,
		Deadline:   now.Add(cfg.LegTimeout),
		Cause:      cause,
		ReasonCode: orDefault(reason, events.ReasonNotReceivedByBank),
	}
}

// decideCreditStatus treats a status answer like the reply it stands for;
// unknown changes nothing. "reversed" does not exist for credits and is
// read as refused: the reserve account does not hold the money.
func (p *payment) decideCreditStatus(r events.CreditStatusReported, now time.Time, cause string, cfg *Config) events.Payload {
	switch r.Status {
	case events.LegDone:
		return p.decideReserveCredited()
	case events.LegRefused, events.LegReversed:
		return p.decideReserveRefused(r.ReasonCode, now, cause, cfg)
	}
	return nil
}
