package saga

import (
	"fmt"
	"strconv"

	"github.com/paycore/paycore/events"
)

// onPayment runs decide for a reply or deadline of payment txnID: a
// redelivery of the message behind the latest event is answered again, a
// finished payment hands it to its correction (if one runs) and otherwise
// decide's event (if any) is recorded.
func (d *decision) onPayment(txnID string, decide func(*payment) events.Payload) error {
	p, ok := d.h.payments[txnID]
	if !ok {
		return fmt.Errorf("%w: payment %q (%s)", ErrUnknownSaga, txnID, d.msg.Envelope.Type)
	}
	if p.last.cause == d.msgID() {
		return d.paymentEffects(p)
	}
	if p.run == nil {
		return d.onCorrection(p)
	}
	ev := decide(p)
	if ev == nil {
		return nil
	}
	return d.paymentEvent(p, p.id, p.run.correlation, ev)
}

// paymentEvent records ev as the next event of payment p (nil for a new
// payment) and sends what it causes.
func (d *decision) paymentEvent(p *payment, txnID, correlation string, ev events.Payload) error {
	var seq uint64 = 1
	if p != nil {
		seq = p.seq + 1
	}
	env, err := d.record(txnID, seq, correlation, ev)
	if err != nil {
		return err
	}
	var next *payment
	if p == nil {
		next = newPayment(env, ev.(events.PaymentStarted))
	} else {
		next = p.clone()
		next.apply(env, ev)
	}
	return d.paymentEffects(next)
}

// paymentEffects sends what the latest event of p sent: the rejection of a
// reused key, a correction's command, nothing for the end of a correction
// (payment.corrected answers no one), or else the payment's current
// answer.
func (d *decision) paymentEffects(p *payment) error {
	switch p.last.kind {
	case (events.PaymentDuplicateRejected{}).EventType():
		return d.paymentRejection(p)
	case (events.PaymentCorrectionStarted{}).EventType():
		return d.correctionCommand(p)
	case (events.PaymentCorrected{}).EventType():
		return nil
	}
	return d.paymentAnswer(p)
}

// paymentAnswer sends where payment p stands: the current step's command
// while it runs, the outcome once it finished. Both carry the IDs they
// were first sent with, so the receivers drop them as duplicates.
func (d *decision) paymentAnswer(p *payment) error {
	if p.run == nil {
		return d.paymentOutcome(p)
	}
	return d.paymentCommand(p)
}

// paymentCommand sends the command of p's current step. Queries and
// reversals get an ID per attempt: the bank link decides a message's fate
// by its ID, so a retry with the same ID would meet the same fault.
func (d *decision) paymentCommand(p *payment) error {
	r := p.run
	topics := d.h.cfg.Topics
	attempt := strconv.Itoa(r.attempt)
	send := func(topic, key, id string, cmd events.Payload) error {
		return d.command(topic, key, id, r.correlation, r.entered, cmd)
	}
	switch r.step {
	case events.StepAwaitPayer:
		return send(topics.PayerInbox, r.payerKey, events.DeriveID(p.id, "debit_payer"), events.DebitPayer{
			TxnID: p.id, AgreementNo: r.agreementNo, PayerKey: r.payerKey, ChannelID: p.req.channelID, Amount: p.amount,
		})
	case events.StepQueryPayer:
		return send(topics.PayerInbox, r.payerKey, events.DeriveID(p.id, "query_debit", attempt), events.QueryDebit{
			TxnID: p.id, PayerKey: r.payerKey, Attempt: r.attempt,
		})
	case events.StepAwaitReserve:
		return send(topics.ReserveInbox, p.id, events.DeriveID(p.id, "credit_reserve"), events.CreditReserve{
			TxnID: p.id, ReserveAccount: r.reserveAccount, ChannelID: p.req.channelID, Amount: p.amount,
		})
	case events.StepQueryReserve:
		return send(topics.ReserveInbox, p.id, events.DeriveID(p.id, "query_credit", attempt), events.QueryCredit{
			TxnID: p.id, Attempt: r.attempt,
		})
	case events.StepAwaitReversal:
		return send(topics.PayerInbox, r.payerKey, events.DeriveID(p.id, "reverse_debit", attempt), events.ReverseDebit{
			TxnID: p.id, PayerKey: r.payerKey, Attempt: r.attempt,
		})
	}
	return fmt.Errorf("saga: payment %s in unknown step %q", p.id, r.step)
}

// paymentOutcome sends the one outcome of a finished payment. Its ID
// derives from the transaction only, so however often it is sent (a
// redelivered reply, a repeated request) channels see one outcome.
func (d *decision) paymentOutcome(p *payment) error {
	amount := p.amount
	return d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(p.id, "outcome"),
		RequestType:    events.RequestPay,
		ChannelID:      p.req.channelID,
		OrderID:        p.req.orderID,
		IdempotencyKey: p.req.idemKey,
		Status:         p.end.status,
		ReasonCode:     p.end.reasonCode,
		TransactionID:  p.id,
		Amount:         &amount,
		DecidedAt:      p.end.at,
	})
}
