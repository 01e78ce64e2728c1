package saga

import (
	"fmt"
	"strconv"

	"github.com/paycore/paycore/events"
)

// onSigning runs decide for a reply or deadline of signing signingID; see
// onPayment.
func (d *decision) onSigning(signingID string, decide func(*signing) events.Payload) error {
	s, ok := d.h.signings[signingID]
	if !ok {
		return fmt.Errorf("%w: signing %q (%s)", ErrUnknownSaga, signingID, d.msg.Envelope.Type)
	}
	if s.last.cause == d.msgID() {
		return d.signingEffects(s)
	}
	if s.run == nil {
		return nil
	}
	ev := decide(s)
	if ev == nil {
		return nil
	}
	return d.signingEvent(s, s.id, s.run.correlation, ev)
}

// signingEvent records ev as the next event of signing s (nil for a new
// signing) and sends what it causes.
func (d *decision) signingEvent(s *signing, signingID, correlation string, ev events.Payload) error {
	var seq uint64 = 1
	if s != nil {
		seq = s.seq + 1
	}
	env, err := d.record(signingID, seq, correlation, ev)
	if err != nil {
		return err
	}
	var next *signing
	if s == nil {
		next = newSigning(env, ev.(events.SigningStarted))
	} else {
		next = s.clone()
		next.apply(env, ev)
	}
	return d.signingEffects(next)
}

// signingEffects sends what the latest event of s sent.
func (d *decision) signingEffects(s *signing) error {
	switch s.last.kind {
	case (events.SigningConfirmRejected{}).EventType():
		c := s.confirms[s.lastKey]
		if err := d.confirmOutcome(s, s.lastKey); err != nil {
			return err
		}
		return d.reject(c.reasonCode, s.req.channelID, c.orderID, c.at)
	case (events.SigningFinished{}).EventType():
		return d.signingFinalOutcome(s)
	case (events.SigningStepChanged{}).EventType():
		if s.run.step == events.StepAwaitCode {
			if s.lastKey != "" {
				return d.confirmOutcome(s, s.lastKey) // the code was rejected
			}
			return d.smsSentOutcome(s)
		}
	}
	// signing.started, signing.code_submitted, a re-send after a deadline.
	return d.signingCommand(s)
}

// signAnswer answers a repeat of the sign request with every answer it
// has had: sms_sent once verified, and the final status if the signing
// ended without a confirm request to answer. While the bank verifies,
// the identity check is re-sent instead.
func (d *decision) signAnswer(s *signing) error {
	if s.run != nil && s.run.step == events.StepAwaitBank {
		return d.signingCommand(s)
	}
	if !s.smsSentAt.IsZero() {
		if err := d.smsSentOutcome(s); err != nil {
			return err
		}
	}
	if s.run == nil && s.end.confirmKey == "" {
		return d.signingFinalOutcome(s)
	}
	return nil
}

// confirmAnswer answers a repeat of confirm request key: its answer, or,
// while the bank has not answered, the ConfirmAgreement again.
func (d *decision) confirmAnswer(s *signing, key string) error {
	if s.confirms[key].status != "" {
		return d.confirmOutcome(s, key)
	}
	if s.run != nil && s.run.pending == key {
		return d.signingCommand(s)
	}
	return fmt.Errorf("saga: signing %s: confirm %q has no answer and is not pending", s.id, key)
}

// signingCommand sends the command of s's current step. A re-send after a
// deadline gets a new envelope ID (from its step event's sequence) so a
// link fault tied to the first ID does not doom every retry; the payload
// is the same, so the bank recognises the repeat.
func (d *decision) signingCommand(s *signing) error {
	r := s.run
	if r == nil {
		return fmt.Errorf("saga: signing %s finished; no command to send", s.id)
	}
	seq := strconv.FormatUint(r.entered.seq, 10)
	switch {
	case r.step == events.StepAwaitBank && r.verify != nil:
		return d.command(d.h.cfg.Topics.PayerInbox, r.payerKey, events.DeriveID(s.id, "verify_signing", seq),
			r.correlation, r.entered, *r.verify)
	case r.step == events.StepAwaitAgreement:
		return d.command(d.h.cfg.Topics.PayerInbox, r.payerKey, events.DeriveID(s.id, "confirm_agreement", r.pending, seq),
			r.correlation, r.entered, events.ConfirmAgreement{
				SigningID: s.id, PayerKey: r.payerKey, SMSCode: r.pendingCode, Attempt: confirmAttempt(s.id, r.pending),
			})
	}
	return fmt.Errorf("saga: signing %s in step %q has no command", s.id, r.step)
}

// smsSentOutcome answers the sign request: verified, confirm with the
// signing ID and the SMS code.
func (d *decision) smsSentOutcome(s *signing) error {
	return d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(s.id, "sms_sent"),
		RequestType:    events.RequestSignAgreement,
		ChannelID:      s.req.channelID,
		OrderID:        s.req.orderID,
		IdempotencyKey: s.req.idemKey,
		Status:         events.StatusSMSSent,
		SigningID:      s.id,
		DecidedAt:      s.smsSentAt,
	})
}

// signingFinalOutcome sends the final status to the request it answers:
// the confirm awaiting the bank when the signing ended, else the sign
// request (refused at verification, code expired, bank silent).
func (d *decision) signingFinalOutcome(s *signing) error {
	if s.end.confirmKey != "" {
		return d.confirmOutcome(s, s.end.confirmKey)
	}
	return d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(s.id, "outcome"),
		RequestType:    events.RequestSignAgreement,
		ChannelID:      s.req.channelID,
		OrderID:        s.req.orderID,
		IdempotencyKey: s.req.idemKey,
		Status:         s.end.status,
		ReasonCode:     s.end.reasonCode,
		SigningID:      s.id,
		AgreementNo:    s.end.agreementNo,
		DecidedAt:      s.end.at,
	})
}

// confirmOutcome sends the answer of confirm request key.
func (d *decision) confirmOutcome(s *signing, key string) error {
	c := s.confirms[key]
	o := events.Outcome{
		OutcomeID:      confirmOutcomeID(s.id, s.req.channelID, key),
		RequestType:    events.RequestConfirmSigning,
		ChannelID:      s.req.channelID,
		OrderID:        c.orderID,
		IdempotencyKey: key,
		Status:         c.status,
		ReasonCode:     c.reasonCode,
		SigningID:      s.id,
		DecidedAt:      c.at,
	}
	if c.status == events.StatusSigned {
		o.AgreementNo = s.end.agreementNo
	}
	return d.outcome(o)
}
