package saga

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
)

// correctPayment handles saga.correct_payment from reconciliation. A
// finished payment without a correction, asked for an action that fits
// its final status, starts the correction and sends its command.
//
// Anything else records nothing and sends nothing, and is not an error: a
// running payment (reconciliation only sees finished ones, so this is a
// race with a batch that closed early, and the payment is not wrong yet),
// an unknown transaction (reconciliation's rows come from saga.events, so
// this is another partition's or a stale file's), an action that does not
// fit the status (the discrepancy needs a person, not this saga), or a
// payment that already has a correction: a repeat of the same discrepancy
// is idempotent (the running correction's deadline re-sends its command),
// and another discrepancy of the same payment finds the money being, or
// already, put right. Only the message behind the correction's latest
// event, redelivered, is answered again with what that event sent.
//
// A correction without a discrepancy ID cannot be deduplicated: that is a
// broken command (ErrInvalidCommand), parked as poison.
func (d *decision) correctPayment(c events.CorrectPayment) error {
	if c.DiscrepancyID == "" {
		return fmt.Errorf("%w: correct_payment for %q without a discrepancy ID", ErrInvalidCommand, c.TxnID)
	}
	p, ok := d.h.payments[c.TxnID]
	if !ok {
		return nil
	}
	if p.last.cause == d.msgID() {
		return d.paymentEffects(p)
	}
	if p.run != nil || p.corr != nil || !correctable(p.end.status, c.Action) {
		return nil
	}
	return d.paymentEvent(p, p.id, correctionCorrelation(p.id, c.DiscrepancyID), events.PaymentCorrectionStarted{
		TxnID: p.id, Action: c.Action, BatchID: c.BatchID, DiscrepancyID: c.DiscrepancyID,
	})
}

// onCorrection hands a reply or deadline of finished payment p to its
// correction. Without one under way it is ignored, like every reply to a
// finished payment.
func (d *decision) onCorrection(p *payment) error {
	c := p.corr
	if !c.running() {
		return nil
	}
	ev := p.decideCorrection(d.msg.Payload, d.msg.Envelope.CorrelationID, d.now(), &d.h.cfg)
	if ev == nil {
		return nil
	}
	return d.paymentEvent(p, p.id, correctionCorrelation(p.id, c.discrepancyID), ev)
}

// decideCorrection decides on a message for p's running correction: the
// event it causes, or nil.
//
// The bank decides a transaction once, so whatever decision it sends
// about the transaction is its answer to the correction's command, even
// one caused by an earlier command: a reversal or credit already done is
// answered with the original reply. Its correlation tells the two apart
// (replyCorrelation is the message's): the correction's own means the
// correction moved the money; any other means it had moved before, and
// the correction moved nothing.
//
//	action           message                              → event
//	refund_customer  payer_debit_reversed                 → corrected (amount, or zero if reversed before)
//	                 debit status refused / reversed      → corrected, zero: no debit stands
//	credit_reserve   reserve_credited                     → corrected (amount, or zero if credited before)
//	                 reserve_credit_refused               → correction_started refund_customer: the
//	                                                        reserve will not take the money, so the
//	                                                        customer gets it back, as in a running payment
//	either           its deadline                         → correction_started, same action, next attempt
//
// Status reports other than those, and replies about the other leg, are
// stale answers of the payment's own flow and change nothing.
func (p *payment) decideCorrection(msg events.Payload, replyCorrelation string, now time.Time, cfg *Config) events.Payload {
	c := p.corr
	moved := replyCorrelation == correctionCorrelation(p.id, c.discrepancyID)
	refund := c.action == events.ActionRefundCustomer
	switch m := msg.(type) {
	case events.FireDeadline:
		dl := c.deadline(cfg)
		if !m.Deadline.Equal(dl) || now.Before(dl) {
			return nil
		}
		return p.correctionStep(c.action)
	case events.PayerDebitReversed:
		if refund {
			return p.correctionDone(moved)
		}
	case events.DebitStatusReported:
		if refund && (m.Status == events.LegRefused || m.Status == events.LegReversed) {
			return p.correctionDone(false)
		}
	case events.ReserveCredited:
		if !refund {
			return p.correctionDone(moved)
		}
	case events.ReserveCreditRefused:
		if !refund {
			return p.correctionStep(events.ActionRefundCustomer)
		}
	}
	return nil
}

// correctionStep builds the payment.correction_started that sends action's
// next command.
func (p *payment) correctionStep(action string) events.PaymentCorrectionStarted {
	c := p.corr
	return events.PaymentCorrectionStarted{TxnID: p.id, Action: action, BatchID: c.batchID, DiscrepancyID: c.discrepancyID}
}

// correctionDone builds the payment.corrected that ends the correction,
// with the payment's amount if the correction moved it, zero if not.
func (p *payment) correctionDone(moved bool) events.PaymentCorrected {
	amount := events.ZeroCNY()
	if moved {
		amount = p.amount
	}
	return events.PaymentCorrected{TxnID: p.id, Action: p.corr.action, Amount: amount}
}

// correctionCommand sends the command of p's correction attempt. Its ID
// derives from the discrepancy, the action and the attempt, never equal
// to an ID of the payment's own flow: the bank link decides a message's
// fate by its ID, so a correction must not meet the faults its payment
// met, nor a re-send the faults of the attempt before.
func (d *decision) correctionCommand(p *payment) error {
	c, keys := p.corr, p.end.keys
	topics := d.h.cfg.Topics
	id := events.DeriveID(p.id, "correction", c.discrepancyID, c.action, strconv.Itoa(c.attempt))
	correlation := correctionCorrelation(p.id, c.discrepancyID)
	switch c.action {
	case events.ActionRefundCustomer:
		return d.command(topics.PayerInbox, keys.payerKey, id, correlation, c.entered, events.ReverseDebit{
			TxnID: p.id, PayerKey: keys.payerKey, Attempt: c.attempt,
		})
	case events.ActionCreditReserve:
		return d.command(topics.ReserveInbox, p.id, id, correlation, c.entered, events.CreditReserve{
			TxnID: p.id, ReserveAccount: keys.reserveAccount, ChannelID: p.req.channelID, Amount: p.amount,
		})
	}
	return fmt.Errorf("saga: payment %s corrected by unknown action %q", p.id, c.action)
}
