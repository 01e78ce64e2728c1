package payerbank

import (
	"time"

	"github.com/paycore/paycore/events"
)

// terminateAgreement handles payer.terminate_agreement (解约): terminate
// (payer.agreement_terminated) or refuse (payer.termination_refused), and
// answer the channel with an outcome. No saga stands in between, so the
// bank is where the request's idempotency is kept: a request ID seen with
// the same body hash gets the same outcome again (same OutcomeID, same
// decision time); with another body hash it is rejected with
// duplicate_key_different_body and the original decision stands. That
// rejection changes nothing, so it is not recorded: a redelivery decides
// it again, identically.
func (d *decision) terminateAgreement(c events.TerminateAgreement) error {
	if t, ok := d.st.terminations[c.RequestID]; ok {
		if t.bodyHash != c.BodyHash {
			// Its own OutcomeID: with the original's, the channel would
			// drop the rejection as a duplicate of the first answer.
			id := events.DeriveID(c.RequestID, "outcome", "duplicate", c.BodyHash)
			return d.outcome(terminateOutcome(c, id, c.AgreementNo, events.ReasonDuplicateKeyNewBody, d.msg.Time))
		}
		return d.outcome(terminateOutcome(c, terminateOutcomeID(c), t.agreementNo, t.reasonCode, t.decidedAt))
	}
	p := decideTerminate(d.st.agreements[c.AgreementNo], c)
	ev, err := d.record(c.PayerKey, p)
	if err != nil {
		return err
	}
	reason := ""
	if r, ok := p.(events.TerminationRefused); ok {
		reason = r.ReasonCode
	}
	return d.outcome(terminateOutcome(c, terminateOutcomeID(c), c.AgreementNo, reason, ev.OccurredAt))
}

func terminateOutcomeID(c events.TerminateAgreement) string {
	return events.DeriveID(c.RequestID, "outcome")
}

// terminateOutcome is the channel's answer to c about agreementNo:
// terminated, or rejected with reason.
func terminateOutcome(c events.TerminateAgreement, id, agreementNo, reason string, decidedAt time.Time) events.Outcome {
	o := events.Outcome{
		OutcomeID:      id,
		RequestType:    events.RequestTerminateAgreement,
		ChannelID:      c.ChannelID,
		OrderID:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Status:         events.StatusTerminated,
		AgreementNo:    agreementNo,
		DecidedAt:      decidedAt.UTC(),
	}
	if reason != "" {
		o.Status = events.StatusRejected
		o.ReasonCode = reason
		o.Reason = events.Reasons[reason]
	}
	return o
}
