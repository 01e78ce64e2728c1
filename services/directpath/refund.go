package directpath

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
)

// redirectInstruction is what a redirected refund tells the institution.
const redirectInstruction = "legacy refund path closed: pay the customer by super online banking (超级网银); paycore moved no money"

// startRefund handles direct.start_refund; see the package doc for the
// checks and the methods.
func (d *decision) startRefund(c events.StartLegacyRefund) error {
	switch {
	case c.TxnID != d.msg.Envelope.AggregateID:
		return fmt.Errorf("%w: direct.start_refund keyed %q for transaction %q", ErrInvalidCommand, d.msg.Envelope.AggregateID, c.TxnID)
	case !c.Amount.IsPositive():
		return fmt.Errorf("%w: legacy refund %s of %s", ErrInvalidCommand, c.RefundID, c.Amount)
	case c.Method != events.LegacyRefundBankAdvance && c.Method != events.LegacyRefundPrefund && c.Method != events.LegacyRefundClosed:
		return fmt.Errorf("%w: legacy refund %s with method %q", ErrInvalidCommand, c.RefundID, c.Method)
	}
	p, ok := d.h.payments[c.TxnID]
	if !ok {
		// Nothing to record it on: answered the same way every time.
		return d.outcome(d.refundOutcome(nil, c, events.DeriveID(c.RefundID, "rejected", events.ReasonNotDirectPayment),
			end{status: events.StatusRejected, reasonCode: events.ReasonNotDirectPayment, at: d.now()}))
	}
	if r, ok := p.refunds[c.RefundID]; ok {
		if (p.lastCause == d.msgID() && p.lastRefund == c.RefundID) || r.req.BodyHash == c.BodyHash {
			return d.refundEffects(p, r)
		}
		if err := d.outcome(d.refundOutcome(p, c, events.DeriveID(c.RefundID, "duplicate", c.BodyHash, c.OrderID),
			end{status: events.StatusRejected, reasonCode: events.ReasonDuplicateKeyNewBody, at: d.now()})); err != nil {
			return err
		}
		return d.reject(events.ReasonDuplicateKeyNewBody, c.ChannelID, c.OrderID)
	}
	var ev events.Payload
	switch reason := refundRefusal(p, c); {
	case reason != "":
		ev = events.LegacyRefundRejected{Request: c, ReasonCode: reason}
	case c.Method == events.LegacyRefundClosed:
		ev = events.LegacyRefundRedirected{Request: c, Instruction: redirectInstruction}
	case c.Method == events.LegacyRefundBankAdvance:
		now := d.now()
		ev = events.LegacyRefundStarted{Request: c, PayerKey: p.req.Payment.PayerKey, AgreementNo: p.req.Payment.AgreementNo,
			Step: events.RefundStepAwaitCredit, Deadline: now.Add(d.h.cfg.LegTimeout), FinalDeadline: now.Add(d.h.cfg.FinalTimeout)}
	default:
		ev = events.LegacyRefundStarted{Request: c, PayerKey: p.req.Payment.PayerKey, AgreementNo: p.req.Payment.AgreementNo,
			Step: events.RefundStepAwaitPrefund}
	}
	env, err := d.record(p.id, p.seq+1, c.RefundID, ev)
	if err != nil {
		return err
	}
	return d.refundEffects(p, nextRefund(&refund{req: c}, env, ev))
}

// refundRefusal returns why payment p refuses refund c, or "".
func refundRefusal(p *payment, c events.StartLegacyRefund) string {
	switch {
	case p.req.Payment.ChannelID != c.ChannelID:
		return events.ReasonRefundOtherChannel
	case p.run != nil || p.end.status != events.StatusSuccess:
		return events.ReasonPaymentNotRefundable
	case c.Amount.Cmp(p.remainder()) > 0:
		return events.ReasonRefundExceedsOriginal
	}
	return ""
}

// nextRefund is r as it will be once ev (recorded as env) is folded. The
// fold (applyRefund) builds the same values.
func nextRefund(r *refund, env events.Envelope, ev events.Payload) *refund {
	n := *r
	switch e := ev.(type) {
	case events.LegacyRefundRejected:
		n.end = endOf(env, events.StatusRejected, e.ReasonCode, "")
	case events.LegacyRefundRedirected:
		n.redirected = true
		n.end = endOf(env, events.StatusRedirected, events.ReasonRefundPathClosed, no)
	case events.LegacyRefundStarted:
		n.payerKey, n.agreementNo = e.PayerKey, e.AgreementNo
		n.run = nextLeg(nil, env, e.Step, 0, e.Deadline, e.FinalDeadline)
	case events.LegacyRefundStepChanged:
		n.run = nextLeg(r.run, env, e.Step, e.Attempt, e.Deadline, e.FinalDeadline)
		if e.ReasonCode != "" {
			n.reasonCode = e.ReasonCode
		}
	case events.LegacyRefundFinished:
		n.run = nil
		n.end = endOf(env, e.Status, e.ReasonCode, e.PayerCredited)
	}
	return &n
}

// onRefundReply handles a reply about a refund: from the ledger (prefund
// drawn, refused, returned) or from the payer bank (credit and its status).
func (d *decision) onRefundReply(p events.Payload) error {
	var txnID, refundID string
	switch c := p.(type) {
	case events.PrefundDrawn:
		txnID, refundID = c.TxnID, c.RefundID
	case events.PrefundDrawRefused:
		txnID, refundID = c.TxnID, c.RefundID
	case events.PrefundReturned:
		txnID, refundID = c.TxnID, c.RefundID
	case events.DirectRefundCredited:
		txnID, refundID = c.TxnID, c.RefundID
	case events.DirectRefundCreditRefused:
		txnID, refundID = c.TxnID, c.RefundID
	case events.DirectRefundCreditStatusReported:
		txnID, refundID = c.TxnID, c.RefundID
	}
	return d.onRefund(txnID, refundID, func(pay *payment, r *refund) events.Payload {
		return r.decideReply(pay.id, p, d.now(), &d.h.cfg)
	})
}

// onRefund runs decide for a reply or deadline of refund refundID of
// payment txnID, like onPayment does for the payment.
func (d *decision) onRefund(txnID, refundID string, decide func(*payment, *refund) events.Payload) error {
	p, ok := d.h.payments[txnID]
	if !ok {
		return fmt.Errorf("%w: %q (%s)", ErrUnknownPayment, txnID, d.msg.Envelope.Type)
	}
	r, ok := p.refunds[refundID]
	if !ok {
		return fmt.Errorf("%w: refund %q of %q (%s)", ErrUnknownPayment, refundID, txnID, d.msg.Envelope.Type)
	}
	if (p.lastCause == d.msgID() && p.lastRefund == refundID) || r.final() {
		return d.refundEffects(p, r)
	}
	ev := decide(p, r)
	if ev == nil {
		return nil
	}
	env, err := d.record(p.id, p.seq+1, refundID, ev)
	if err != nil {
		return err
	}
	return d.refundEffects(p, nextRefund(r, env, ev))
}

func (r *refund) finish(txnID, status, reason, credited string) events.Payload {
	return events.LegacyRefundFinished{TxnID: txnID, RefundID: r.req.RefundID, Status: status, ReasonCode: reason, PayerCredited: credited}
}

// awaitingCredit reports whether the refund waits for the payer bank.
func (r *refund) awaitingCredit() bool {
	return r.run.step == events.RefundStepAwaitCredit || r.run.step == events.RefundStepQueryCredit
}

// decideReply decides on a reply in the refund's current step; a reply
// for another step is stale and changes nothing.
func (r *refund) decideReply(txnID string, p events.Payload, now time.Time, cfg *Config) events.Payload {
	step := r.run.step
	credited := func() events.Payload { return r.finish(txnID, events.StatusSuccess, "", yes) }
	refused := func(reason string) events.Payload {
		if r.req.Method == events.LegacyRefundPrefund {
			return events.LegacyRefundStepChanged{TxnID: txnID, RefundID: r.req.RefundID, Step: events.RefundStepReturnPrefund,
				Cause: "payer.direct_refund_credit_refused", ReasonCode: reason}
		}
		return r.finish(txnID, events.StatusFailure, reason, no)
	}
	switch c := p.(type) {
	case events.PrefundDrawn:
		if step == events.RefundStepAwaitPrefund {
			return events.LegacyRefundStepChanged{TxnID: txnID, RefundID: r.req.RefundID, Step: events.RefundStepAwaitCredit,
				Deadline: now.Add(cfg.LegTimeout), FinalDeadline: now.Add(cfg.FinalTimeout), Cause: c.EventType()}
		}
	case events.PrefundDrawRefused:
		if step == events.RefundStepAwaitPrefund {
			return r.finish(txnID, events.StatusFailure, c.ReasonCode, no)
		}
	case events.PrefundReturned:
		if step == events.RefundStepReturnPrefund {
			return r.finish(txnID, events.StatusFailure, r.reasonCode, no)
		}
	case events.DirectRefundCredited:
		if r.awaitingCredit() {
			return credited()
		}
	case events.DirectRefundCreditRefused:
		if r.awaitingCredit() {
			return refused(c.ReasonCode)
		}
	case events.DirectRefundCreditStatusReported:
		if step != events.RefundStepQueryCredit || c.Attempt != r.run.attempt {
			return nil
		}
		switch c.Status {
		case events.LegDone:
			return credited()
		case events.LegRefused:
			return refused(c.ReasonCode)
		}
	}
	return nil
}

// decideDeadline queries the credit, again every query interval, and
// presumes it succeeded once the final deadline passed.
func (r *refund) decideDeadline(deadline, now time.Time, cfg *Config) events.Payload {
	if !r.awaitingCredit() || !deadline.Equal(r.run.deadline) {
		return nil
	}
	txnID := r.req.TxnID
	if !now.Before(r.run.finalDeadline) {
		return r.finish(txnID, events.StatusPresumedSuccess, events.ReasonPayerCreditUnknown, unknown)
	}
	next := now.Add(cfg.QueryInterval)
	if next.After(r.run.finalDeadline) {
		next = r.run.finalDeadline
	}
	return events.LegacyRefundStepChanged{TxnID: txnID, RefundID: r.req.RefundID, Step: events.RefundStepQueryCredit,
		Attempt: r.run.attempt + 1, Deadline: next, Cause: "deadline"}
}

// refundEffects sends what refund r's state sends: the running step's
// command, or the outcome (and, for an advanced refund the bank paid or is
// presumed to have paid, the debt to the ledger).
func (d *decision) refundEffects(p *payment, r *refund) error {
	id := r.req.RefundID
	if r.run != nil {
		return d.refundCommand(p, r)
	}
	if err := d.outcome(d.refundOutcome(p, r.req, events.DeriveID(id, "outcome"), r.end)); err != nil {
		return err
	}
	if r.req.Method == events.LegacyRefundBankAdvance && (r.end.status == events.StatusSuccess || r.end.status == events.StatusPresumedSuccess) {
		return d.command(d.h.cfg.Topics.DirectInbox, events.LegacyLedgerKey(r.req.ChannelID), events.DeriveID(id, "record_advance"), id,
			r.end.by,
			events.RecordAdvance{RefundID: id, TxnID: p.id, ChannelID: r.req.ChannelID, Amount: r.req.Amount})
	}
	return nil
}

func (d *decision) refundCommand(p *payment, r *refund) error {
	id, run := r.req.RefundID, r.run
	ledgerKey := events.LegacyLedgerKey(r.req.ChannelID)
	switch run.step {
	case events.RefundStepAwaitPrefund:
		return d.command(d.h.cfg.Topics.DirectInbox, ledgerKey, events.DeriveID(id, "draw_prefund"), id, run.entered,
			events.DrawPrefund{RefundID: id, TxnID: p.id, ChannelID: r.req.ChannelID, Amount: r.req.Amount})
	case events.RefundStepReturnPrefund:
		return d.command(d.h.cfg.Topics.DirectInbox, ledgerKey, events.DeriveID(id, "return_prefund"), id, run.entered,
			events.ReturnPrefund{RefundID: id, TxnID: p.id, ChannelID: r.req.ChannelID, Amount: r.req.Amount})
	case events.RefundStepAwaitCredit:
		return d.command(d.h.cfg.Topics.PayerInbox, r.payerKey, events.DeriveID(id, "direct_refund_credit"), id, run.entered,
			events.DirectRefundCredit{RefundID: id, TxnID: p.id, PayerKey: r.payerKey, AgreementNo: r.agreementNo,
				ChannelID: r.req.ChannelID, Funding: r.req.Method, Amount: r.req.Amount})
	case events.RefundStepQueryCredit:
		return d.command(d.h.cfg.Topics.PayerInbox, r.payerKey, events.DeriveID(id, "query_credit", strconv.Itoa(run.attempt)), id, run.entered,
			events.QueryDirectRefundCredit{RefundID: id, TxnID: p.id, PayerKey: r.payerKey, Attempt: run.attempt})
	}
	return fmt.Errorf("directpath: refund %s in unknown step %q", id, run.step)
}

// refundOutcome answers refund request c (p is nil when no payment
// exists).
func (d *decision) refundOutcome(p *payment, c events.StartLegacyRefund, outcomeID string, e end) events.Outcome {
	amount := c.Amount
	o := events.Outcome{
		OutcomeID: outcomeID, RequestType: events.RequestLegacyRefund, ChannelID: c.ChannelID, OrderID: c.OrderID,
		IdempotencyKey: c.IdempotencyKey, Status: e.status, ReasonCode: e.reasonCode, TransactionID: c.TxnID,
		RefundID: c.RefundID, Amount: &amount, Path: events.PathDirect, DecidedAt: e.at.UTC(),
	}
	if p != nil {
		o.RouteVersion = p.req.RouteVersion
	}
	return o
}
