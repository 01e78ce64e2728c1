package directpath

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
)

// startPayment handles direct.start_payment. A new TxnID starts the
// payment and sends the debit. A known TxnID is a repeat (same body hash:
// answered with where the payment stands) or a reused idempotency key
// (another hash: rejected with duplicate_key_different_body for the new
// order, nothing recorded, since the same message always gets the same
// answer).
func (d *decision) startPayment(c events.StartDirectPayment) error {
	txnID := c.Payment.TxnID
	if txnID != d.msg.Envelope.AggregateID || !c.Payment.Amount.IsPositive() {
		return fmt.Errorf("%w: direct.start_payment keyed %q for transaction %q of %s", ErrInvalidCommand, d.msg.Envelope.AggregateID, txnID, c.Payment.Amount)
	}
	p, ok := d.h.payments[txnID]
	if !ok {
		now := d.now()
		ev := events.DirectPaymentStarted{Request: c, Deadline: now.Add(d.h.cfg.LegTimeout), FinalDeadline: now.Add(d.h.cfg.FinalTimeout)}
		env, err := d.record(txnID, 1, txnID, ev)
		if err != nil {
			return err
		}
		return d.paymentCommand(txnID, c, nextLeg(nil, env, events.DirectStepAwaitDebit, 0, ev.Deadline, ev.FinalDeadline))
	}
	if p.lastCause == d.msgID() || c.Payment.BodyHash == p.req.Payment.BodyHash {
		return d.paymentAnswer(p, p.run, p.end)
	}
	pay := c.Payment
	if err := d.outcome(events.Outcome{
		OutcomeID: events.DeriveID(txnID, "duplicate", pay.BodyHash, pay.OrderID), RequestType: events.RequestPay,
		ChannelID: pay.ChannelID, OrderID: pay.OrderID, IdempotencyKey: pay.IdempotencyKey,
		Status: events.StatusRejected, ReasonCode: events.ReasonDuplicateKeyNewBody, Path: events.PathDirect,
		RouteVersion: c.RouteVersion, DecidedAt: d.now().UTC(),
	}); err != nil {
		return err
	}
	return d.reject(events.ReasonDuplicateKeyNewBody, pay.ChannelID, pay.OrderID)
}

// onPayment runs decide for a bank reply or deadline of payment txnID. The
// message behind the latest event is answered again with its effects; a
// finished payment answers with its outcome; otherwise decide's event, if
// any, is recorded and its effects sent.
func (d *decision) onPayment(txnID string, decide func(*payment) events.Payload) error {
	p, ok := d.h.payments[txnID]
	if !ok {
		return fmt.Errorf("%w: %q (%s)", ErrUnknownPayment, txnID, d.msg.Envelope.Type)
	}
	if p.lastCause == d.msgID() && p.lastRefund == "" {
		return d.paymentAnswer(p, p.run, p.end)
	}
	if p.run == nil {
		return d.paymentAnswer(p, nil, p.end)
	}
	ev := decide(p)
	if ev == nil {
		return nil
	}
	env, err := d.record(p.id, p.seq+1, p.id, ev)
	if err != nil {
		return err
	}
	switch e := ev.(type) {
	case events.DirectPaymentStepChanged:
		return d.paymentAnswer(p, nextLeg(p.run, env, e.Step, e.Attempt, e.Deadline, time.Time{}), end{})
	case events.DirectPaymentFinished:
		return d.paymentAnswer(p, nil, endOf(env, e.Status, e.ReasonCode, e.PayerDebited))
	}
	return fmt.Errorf("directpath: payment decided %T", ev)
}

// nextLeg is the leg an event opens after prev; a zero final keeps prev's.
func nextLeg(prev *leg, env events.Envelope, step string, attempt int, deadline, final time.Time) *leg {
	if final.IsZero() && prev != nil {
		final = prev.finalDeadline
	}
	return &leg{step: step, attempt: attempt, deadline: deadline, finalDeadline: final, entered: stepOf(env)}
}

func endOf(env events.Envelope, status, reason, known string) end {
	return end{status: status, reasonCode: reason, legKnown: known, at: env.OccurredAt, by: stepOf(env)}
}

// paymentAnswer sends where the payment stands: the running step's
// command, or the outcome.
func (d *decision) paymentAnswer(p *payment, run *leg, e end) error {
	if run != nil {
		return d.paymentCommand(p.id, p.req, run)
	}
	pay := p.req.Payment
	amount := pay.Amount
	return d.outcome(events.Outcome{
		OutcomeID: events.DeriveID(p.id, "outcome"), RequestType: events.RequestPay,
		ChannelID: pay.ChannelID, OrderID: pay.OrderID, IdempotencyKey: pay.IdempotencyKey,
		Status: e.status, ReasonCode: e.reasonCode, TransactionID: p.id, AgreementNo: pay.AgreementNo, Amount: &amount,
		Path: events.PathDirect, RouteVersion: p.req.RouteVersion, DecidedAt: e.at.UTC(),
	})
}

// paymentCommand sends the command of the running step. Queries get an ID
// per attempt: the bank link decides a message's fate by its ID.
func (d *decision) paymentCommand(txnID string, req events.StartDirectPayment, run *leg) error {
	pay := req.Payment
	inbox := d.h.cfg.Topics.PayerInbox
	switch run.step {
	case events.DirectStepAwaitDebit:
		return d.command(inbox, pay.PayerKey, events.DeriveID(txnID, "direct_debit"), txnID, run.entered, events.DirectDebit{
			TxnID: txnID, AgreementNo: pay.AgreementNo, PayerKey: pay.PayerKey, ChannelID: pay.ChannelID, Amount: pay.Amount,
		})
	case events.DirectStepQueryDebit:
		return d.command(inbox, pay.PayerKey, events.DeriveID(txnID, "query_direct_debit", strconv.Itoa(run.attempt)), txnID, run.entered,
			events.QueryDirectDebit{TxnID: txnID, PayerKey: pay.PayerKey, Attempt: run.attempt})
	}
	return fmt.Errorf("directpath: payment %s in unknown step %q", txnID, run.step)
}

func (p *payment) finish(status, reason, debited string) events.Payload {
	return events.DirectPaymentFinished{TxnID: p.id, Status: status, ReasonCode: reason, PayerDebited: debited}
}

func (p *payment) decideDebited() events.Payload { return p.finish(events.StatusSuccess, "", yes) }

func (p *payment) decideDebitRefused(reason string) events.Payload {
	return p.finish(events.StatusFailure, reason, no)
}

// decideDebitStatus acts on a status report of the current query attempt:
// done and refused end the payment, unknown waits for the next deadline.
// A report of an older attempt is stale.
func (p *payment) decideDebitStatus(c events.DirectDebitStatusReported) events.Payload {
	if p.run.step != events.DirectStepQueryDebit || c.Attempt != p.run.attempt {
		return nil
	}
	switch c.Status {
	case events.LegDone:
		return p.decideDebited()
	case events.LegRefused:
		return p.decideDebitRefused(c.ReasonCode)
	}
	return nil
}

// decideDeadline queries the debit, again every query interval, and
// presumes it failed once the final deadline passed.
func (p *payment) decideDeadline(deadline, now time.Time, cfg *Config) events.Payload {
	if !deadline.Equal(p.run.deadline) {
		return nil // an older deadline
	}
	if !now.Before(p.run.finalDeadline) {
		return p.finish(events.StatusPresumedFailure, events.ReasonPayerLegUnknown, unknown)
	}
	next := now.Add(cfg.QueryInterval)
	if next.After(p.run.finalDeadline) {
		next = p.run.finalDeadline
	}
	return events.DirectPaymentStepChanged{TxnID: p.id, Step: events.DirectStepQueryDebit, Attempt: p.run.attempt + 1, Deadline: next, Cause: "deadline"}
}
