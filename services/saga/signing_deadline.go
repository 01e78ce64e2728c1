package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// decideDeadline handles a signing's deadline; like a payment's, only the
// current one counts, once message time reached it.
//
// Awaiting the customer, the deadline is the SMS code's expiry: the
// signing fails with sms_code_expired. Awaiting the bank, the pending
// command (VerifySigning or ConfirmAgreement) is re-sent every LegTimeout
// (the bank answers a repeat from its records: it deduplicates by signing
// ID and attempt) until the signing's final deadline, then the signing
// fails with payer_leg_unknown. Signings have no status query, so a
// re-send is how a lost command is recovered.
func (s *signing) decideDeadline(deadline, now time.Time, cfg *Config) events.Payload {
	r := s.run
	if !deadline.Equal(r.deadline) || now.Before(r.deadline) {
		return nil
	}
	switch {
	case r.step == events.StepAwaitCode:
		return s.finish(events.StatusSigningFailed, events.ReasonSMSCodeExpired, "")
	case !now.Before(r.final):
		return s.finish(events.StatusSigningFailed, events.ReasonPayerLegUnknown, "")
	}
	return events.SigningStepChanged{SigningID: s.id, Step: r.step, Deadline: now.Add(cfg.LegTimeout), Cause: causeDeadline}
}
