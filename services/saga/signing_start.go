package saga

import "github.com/paycore/paycore/events"

// startSigning handles saga.start_signing. A new SigningID starts the saga
// and asks the bank to verify the holder. A known one is a repeat of the
// request (same body hash: answered with the sign request's answers so
// far) or a reused idempotency key (different hash: rejected with
// duplicate_key_different_body for the new request's order). The
// rejection is not recorded: the saga's body hash never changes, so a
// repeat of that request is rejected the same way.
func (d *decision) startSigning(c events.StartSigning) error {
	s, ok := d.h.signings[c.SigningID]
	if !ok {
		now := d.now()
		return d.signingEvent(nil, c.SigningID, d.msg.Envelope.CorrelationID, events.SigningStarted{
			Request:       c,
			Deadline:      now.Add(d.h.cfg.LegTimeout),
			FinalDeadline: now.Add(d.h.cfg.SigningTimeout),
		})
	}
	if s.last.cause == d.msgID() {
		return d.signingEffects(s)
	}
	if c.BodyHash == s.req.bodyHash {
		return d.signAnswer(s)
	}
	now := d.now()
	err := d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(s.id, "duplicate", c.BodyHash, c.OrderID),
		RequestType:    events.RequestSignAgreement,
		ChannelID:      c.ChannelID,
		OrderID:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Status:         events.StatusRejected,
		ReasonCode:     events.ReasonDuplicateKeyNewBody,
		DecidedAt:      now,
	})
	if err != nil {
		return err
	}
	return d.reject(events.ReasonDuplicateKeyNewBody, c.ChannelID, c.OrderID, now)
}
