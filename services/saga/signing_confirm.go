package saga

import "github.com/paycore/paycore/events"

// submitSMSCode handles saga.submit_sms_code, one confirm_signing request.
// Confirm requests are deduplicated here, by idempotency key within the
// signing: a repeat (same body hash) gets the answer the key already has,
// a reused key (different hash) is rejected with
// duplicate_key_different_body. A new key, in this order:
//   - signing_not_found: no such signing, or it belongs to another channel
//     (a channel must not learn about, or act on, another's signings);
//   - sms_attempts_exceeded: the signing already holds maxConfirms keys;
//   - signing_not_pending: the signing finished, or no code is awaited
//     right now (the bank is still verifying, or another code is being
//     checked); a running signing records this refusal (see
//     events.SigningConfirmRejected) so the key keeps its answer;
//   - otherwise the code goes to the bank (signing.code_submitted).
//
// Refusals before the bank are kept on the rejects topic too.
func (d *decision) submitSMSCode(c events.SubmitSMSCode) error {
	s, ok := d.h.signings[c.SigningID]
	if !ok || s.req.channelID != c.ChannelID {
		return d.confirmRefusal(c, events.ReasonSigningNotFound, confirmOutcomeID(c.SigningID, c.ChannelID, c.IdempotencyKey))
	}
	if s.last.cause == d.msgID() {
		return d.signingEffects(s)
	}
	if prev, ok := s.confirms[c.IdempotencyKey]; ok {
		if prev.bodyHash == c.BodyHash {
			return d.confirmAnswer(s, c.IdempotencyKey)
		}
		return d.confirmRefusal(c, events.ReasonDuplicateKeyNewBody,
			events.DeriveID(confirmOutcomeID(s.id, c.ChannelID, c.IdempotencyKey), c.BodyHash))
	}
	id := confirmOutcomeID(s.id, c.ChannelID, c.IdempotencyKey)
	switch {
	case len(s.confirms) >= maxConfirms:
		return d.confirmRefusal(c, events.ReasonSMSAttemptsExceeded, id)
	case s.run == nil:
		// Final: every later confirm is refused alike, nothing to record.
		return d.confirmRefusal(c, events.ReasonSigningNotPending, id)
	case s.run.step != events.StepAwaitCode:
		return d.signingEvent(s, s.id, s.run.correlation, events.SigningConfirmRejected{
			SigningID: s.id, IdempotencyKey: c.IdempotencyKey, OrderID: c.OrderID,
			BodyHash: c.BodyHash, ReasonCode: events.ReasonSigningNotPending,
		})
	}
	return d.signingEvent(s, s.id, s.run.correlation, events.SigningCodeSubmitted{
		SigningID:      s.id,
		IdempotencyKey: c.IdempotencyKey,
		OrderID:        c.OrderID,
		BodyHash:       c.BodyHash,
		SMSCode:        c.SMSCode,
		Deadline:       d.now().Add(d.h.cfg.LegTimeout),
	})
}

// confirmRefusal answers the confirm request c with a rejection that is
// not recorded (it follows from state that never goes back), and keeps
// the request on the rejects topic.
func (d *decision) confirmRefusal(c events.SubmitSMSCode, code, outcomeID string) error {
	now := d.now()
	err := d.outcome(events.Outcome{
		OutcomeID:      outcomeID,
		RequestType:    events.RequestConfirmSigning,
		ChannelID:      c.ChannelID,
		OrderID:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Status:         events.StatusRejected,
		ReasonCode:     code,
		SigningID:      c.SigningID,
		DecidedAt:      now,
	})
	if err != nil {
		return err
	}
	return d.reject(code, c.ChannelID, c.OrderID, now)
}

// confirmOutcomeID is the ID of the one answer to a confirm request.
func confirmOutcomeID(signingID, channelID, idemKey string) string {
	return events.DeriveID(signingID, "confirm", channelID, idemKey)
}

// confirmAttempt is ConfirmAgreement.Attempt for a confirm request: the
// bank counts a wrong code once per attempt, however often it is re-sent.
func confirmAttempt(signingID, idemKey string) string {
	return events.DeriveID(signingID, "confirm_attempt", idemKey)
}
