package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// The payer leg's replies. Each decide function is pure: it returns the
// event the reply causes, or nil when the reply changes nothing (the saga
// has left the step the reply answers). The caller has checked that the
// payment is running.

// decidePayerDebited: the debit is done; credit the reserve account, with
// the reserve leg's own final deadline counted from now.
func (p *payment) decidePayerDebited(now time.Time, cause string, cfg *Config) events.Payload {
	if !p.run.awaitingPayer() {
		return nil
	}
	return events.PaymentStepChanged{
		TxnID:         p.id,
		Step:          events.StepAwaitReserve,
		Deadline:      now.Add(cfg.LegTimeout),
		Cause:         cause,
		FinalDeadline: now.Add(cfg.ReserveFinalTimeout),
	}
}

// decidePayerRefused: the payer bank refused (limits, funds, terminated
// agreement, or never received the debit); nothing moved.
func (p *payment) decidePayerRefused(reason string) events.Payload {
	if !p.run.awaitingPayer() {
		return nil
	}
	return p.finish(events.StatusFailure, orDefault(reason, events.ReasonNotReceivedByBank), legNo, legNo)
}

// decideDebitStatus treats a status answer like the reply it stands for.
// Unknown changes nothing: the query step re-queries at its deadline. A
// definite answer is a fact whichever query attempt it answers, so the
// attempt is not compared.
func (p *payment) decideDebitStatus(r events.DebitStatusReported, now time.Time, cause string, cfg *Config) events.Payload {
	r.ReasonCode = orDefault(r.ReasonCode, events.ReasonNotReceivedByBank)
	switch r.Status {
	case events.LegDone:
		return p.decidePayerDebited(now, cause, cfg)
	case events.LegRefused:
		return p.decidePayerRefused(r.ReasonCode)
	case events.LegReversed:
		if p.run.step == events.StepAwaitReversal {
			return p.decideDebitReversed()
		}
		// The saga asks for a reversal only after the reserve refused, so
		// in the payer steps this means nothing stayed debited: a refusal.
		return p.decidePayerRefused(r.ReasonCode)
	}
	return nil
}

// decideDebitReversed: the compensation is done; the payment failed for
// the reserve bank's reason. The debit is recorded as "no": net of the
// reversal nothing left the customer's account.
func (p *payment) decideDebitReversed() events.Payload {
	if p.run.step != events.StepAwaitReversal {
		return nil
	}
	return p.finish(events.StatusFailure, p.run.reserveReason, legNo, legNo)
}

// finish builds the one payment.finished of p.
func (p *payment) finish(status, reason, payerDebited, reserveCredited string) events.PaymentFinished {
	return events.PaymentFinished{
		TxnID:           p.id,
		Status:          status,
		ReasonCode:      reason,
		PayerDebited:    payerDebited,
		ReserveCredited: reserveCredited,
	}
}

// orDefault returns s, or def when s is empty: a refusal always carries a
// reason code, because channels act on it.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
