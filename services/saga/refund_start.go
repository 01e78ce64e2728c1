package saga

import (
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
)

// startRefund handles saga.start_refund, keyed by the original TxnID so
// that it reaches the payment's partition.
//
// A new refund of a refundable payment that fits its remainder starts and
// sends the reserve debit; one that does not is recorded as rejected with
// its reason, so a repeat gets the same answer. A refund of an unknown
// payment is answered (payment_not_found) without recording anything:
// there is no aggregate to record it in, and the answer derives from the
// request alone. A known refund ID is a repeat (same body: answered with
// where the refund stands) or a reused key (another body: rejected with
// duplicate_key_different_body for the new order).
func (d *decision) startRefund(c events.StartRefund) error {
	if c.RefundID == "" || c.TxnID == "" {
		return fmt.Errorf("%w: start_refund without refund or txn ID", ErrInvalidCommand)
	}
	p, ok := d.h.payments[c.TxnID]
	if !ok {
		return d.refundRejectionOf(c, events.ReasonPaymentNotFound, d.now(), true)
	}
	if f := p.refundOf(c.RefundID); f != nil {
		switch {
		case f.last.cause == d.msgID():
			return d.refundEffects(p, f)
		case c.BodyHash == f.req.bodyHash:
			return d.refundAnswer(p, f)
		}
		return d.refundEvent(p, d.msg.Envelope.CorrelationID, events.RefundRejected{
			Request: c, ReasonCode: events.ReasonDuplicateKeyNewBody,
		})
	}
	if reason := p.refundRefusal(c); reason != "" {
		return d.refundEvent(p, d.msg.Envelope.CorrelationID, events.RefundRejected{Request: c, ReasonCode: reason})
	}
	now, keys := d.now(), p.end.refund
	return d.refundEvent(p, d.msg.Envelope.CorrelationID, events.RefundStarted{
		Request:        c,
		ReserveAccount: keys.reserveAccount,
		SubAccount:     subAccountFor(keys.reserveAccount, c.RefundID, d.h.cfg.ReserveSubAccounts),
		PayerKey:       keys.payerKey,
		AgreementNo:    keys.agreementNo,
		Deadline:       now.Add(d.h.cfg.LegTimeout),
		FinalDeadline:  now.Add(d.h.cfg.PayerFinalTimeout),
	})
}

// refundRefusal returns why payment p cannot take refund c, "" if it can.
// The remainder counts every refund that holds money: running ones too, so
// two concurrent refunds can never both pass. Decisions of one partition
// are serial, which is what makes this check sufficient.
func (p *payment) refundRefusal(c events.StartRefund) string {
	switch {
	case c.ChannelID != p.req.channelID:
		return events.ReasonRefundOtherChannel
	case p.run != nil || p.end.refund == nil:
		return events.ReasonPaymentNotRefundable
	}
	remainder, err := p.amount.Sub(p.heldByRefunds())
	if err != nil || remainder.Cmp(c.Amount) < 0 {
		return events.ReasonRefundExceedsOriginal
	}
	return ""
}

// refundEvent records ev as the next event of payment p, for the refund it
// names, and sends what it causes.
func (d *decision) refundEvent(p *payment, correlation string, ev events.Payload) error {
	env, err := d.record(p.id, p.seq+1, correlation, ev)
	if err != nil {
		return err
	}
	next := p.clone()
	next.apply(env, ev)
	return d.refundEffects(next, next.refundOf(refundEventID(ev)))
}

// refundEffects sends what the latest event of refund f sent: a rejection,
// the current step's command, or the outcome.
func (d *decision) refundEffects(p *payment, f *refundFlow) error {
	if f.last.kind == (events.RefundRejected{}).EventType() {
		if f.rejected {
			return d.refundRejectionOf(f.request(p.id), f.end.reasonCode, f.end.at, true)
		}
		// A reused key of a known refund: the rejection answers the
		// request that reused it, which only that message carries.
		c, ok := d.msg.Payload.(events.StartRefund)
		if !ok {
			return d.refundAnswer(p, f)
		}
		return d.refundRejectionOf(c, events.ReasonDuplicateKeyNewBody, f.last.at, true)
	}
	return d.refundAnswer(p, f)
}

// refundAnswer sends where refund f stands: its rejection's outcome, the
// current step's command, or its outcome.
func (d *decision) refundAnswer(p *payment, f *refundFlow) error {
	switch {
	case f.rejected:
		return d.refundRejectionOf(f.request(p.id), f.end.reasonCode, f.end.at, false)
	case f.run != nil:
		return d.refundCommand(p, f)
	}
	return d.refundOutcome(p, f)
}

// refundRejectionOf sends the rejected outcome of refund request c, and,
// when keep is set, the request on the rejects topic (a repeat of a
// rejected request is answered with the outcome only: the first is kept).
func (d *decision) refundRejectionOf(c events.StartRefund, reason string, at time.Time, keep bool) error {
	amount := c.Amount
	err := d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(c.RefundID, "rejected", c.BodyHash, c.OrderID),
		RequestType:    events.RequestRefund,
		ChannelID:      c.ChannelID,
		OrderID:        c.OrderID,
		IdempotencyKey: c.IdempotencyKey,
		Status:         events.StatusRejected,
		ReasonCode:     reason,
		TransactionID:  c.TxnID,
		RefundID:       c.RefundID,
		Amount:         &amount,
		DecidedAt:      at,
	})
	if err != nil || !keep {
		return err
	}
	return d.reject(reason, c.ChannelID, c.OrderID, at)
}
