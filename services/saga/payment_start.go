package saga

import "github.com/paycore/paycore/events"

// startPayment handles saga.start_payment. A new TxnID starts the saga and
// sends the debit. A known TxnID is a repeat of the request (same body
// hash: answered with where the saga stands, nothing recorded) or a reused
// idempotency key (different hash: recorded and rejected with
// duplicate_key_different_body, answering the new request's order).
func (d *decision) startPayment(c events.StartPayment) error {
	p, ok := d.h.payments[c.TxnID]
	if !ok {
		now := d.now()
		return d.paymentEvent(nil, c.TxnID, d.msg.Envelope.CorrelationID, events.PaymentStarted{
			Request:       c,
			Deadline:      now.Add(d.h.cfg.LegTimeout),
			FinalDeadline: now.Add(d.h.cfg.PayerFinalTimeout),
		})
	}
	if p.last.cause == d.msgID() {
		return d.paymentEffects(p)
	}
	if c.BodyHash == p.req.bodyHash {
		return d.paymentAnswer(p)
	}
	// The rejection belongs to the new request, so it carries that
	// request's correlation, not the saga's.
	return d.paymentEvent(p, p.id, d.msg.Envelope.CorrelationID, events.PaymentDuplicateRejected{
		TxnID: c.TxnID, OrderID: c.OrderID, BodyHash: c.BodyHash,
	})
}

// paymentRejection answers the StartPayment being handled, which reused
// the key of payment p with another body: an outcome for its own order and
// the request kept on the rejects topic.
func (d *decision) paymentRejection(p *payment) error {
	c, ok := d.msg.Payload.(events.StartPayment)
	if !ok {
		// Only a StartPayment records payment.duplicate_rejected, and only
		// the same message is answered with its effects.
		return d.paymentAnswer(p)
	}
	at := p.last.at
	err := d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(p.id, "duplicate", c.BodyHash, c.OrderID),
		RequestType:    events.RequestPay,
		ChannelID:      c.ChannelID,
		OrderID:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Status:         events.StatusRejected,
		ReasonCode:     events.ReasonDuplicateKeyNewBody,
		DecidedAt:      at,
	})
	if err != nil {
		return err
	}
	return d.reject(events.ReasonDuplicateKeyNewBody, c.ChannelID, c.OrderID, at)
}
