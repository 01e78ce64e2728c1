package saga

import (
	"github.com/paycore/paycore/events"
)

// The payer bank's replies to a signing. Each decide function is pure: it
// returns the event the reply causes, or nil when it changes nothing. The
// caller has checked that the signing is running.

// decideVerified: the holder matched and the SMS code is on its way; wait
// for the customer until the code expires.
func (s *signing) decideVerified(r events.SigningVerified, cause string) events.Payload {
	if s.run.step != events.StepAwaitBank {
		return nil
	}
	return events.SigningStepChanged{SigningID: s.id, Step: events.StepAwaitCode, Deadline: r.CodeExpiresAt, Cause: cause}
}

// decideRefused: the bank's refusal is final for the signing at the bank
// (identity, existing agreement, code expired, attempts exceeded), so it
// ends the saga in whatever step it is.
func (s *signing) decideRefused(r events.SigningRefused) events.Payload {
	return s.finish(events.StatusSigningFailed, r.ReasonCode, "")
}

// decideCodeRejected: the code of the confirm awaiting the bank was wrong;
// that request is answered sms_code_invalid and the saga waits for another
// code until the same expiry.
func (s *signing) decideCodeRejected(r events.SMSCodeRejected, cause string) events.Payload {
	run := s.run
	if run.step != events.StepAwaitAgreement || r.Attempt != confirmAttempt(s.id, run.pending) {
		return nil
	}
	return events.SigningStepChanged{
		SigningID: s.id, Step: events.StepAwaitCode, Deadline: run.codeExpiresAt,
		Cause: cause, ReasonCode: events.ReasonSMSCodeInvalid,
	}
}

// decideSigned: the agreement is active at the bank. Accepted in any step
// so the saga never contradicts the bank; in practice it answers the
// confirm awaiting the bank.
func (s *signing) decideSigned(r events.AgreementSigned) events.Payload {
	return s.finish(events.StatusSigned, "", r.AgreementNo)
}

func (s *signing) finish(status, reason, agreementNo string) events.SigningFinished {
	return events.SigningFinished{SigningID: s.id, Status: status, ReasonCode: reason, AgreementNo: agreementNo}
}
