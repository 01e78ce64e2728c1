package saga

import (
	"fmt"
	"strconv"

	"github.com/paycore/paycore/events"
)

// refundCommand sends the command of refund f's current step. Like a
// payment's, queries and returns get an ID per attempt (the bank link
// decides a message's fate by its ID); the debit and the credit keep one
// ID, which is also their DebitID / CreditID at the bank.
func (d *decision) refundCommand(p *payment, f *refundFlow) error {
	r, keys := f.run, p.end.refund
	topics := d.h.cfg.Topics
	attempt := strconv.Itoa(r.attempt)
	debitID := events.DeriveID(f.id, "debit_reserve")
	creditID := events.DeriveID(f.id, "credit_payer")
	send := func(topic, key, id string, cmd events.Payload) error {
		return d.command(topic, key, id, r.correlation, r.entered, cmd)
	}
	switch r.step {
	case events.RefundStepAwaitReserve:
		return send(topics.ReserveInbox, r.subAccount, debitID, events.DebitReserve{
			DebitID: debitID, TxnID: p.id, RefundID: f.id, ReserveAccount: keys.reserveAccount,
			SubAccount: r.subAccount, ChannelID: f.req.channelID, Amount: f.amount,
		})
	case events.RefundStepQueryReserve:
		return send(topics.ReserveInbox, r.subAccount, events.DeriveID(f.id, "query_debit", attempt), events.QueryReserveDebit{
			DebitID: debitID, TxnID: p.id, RefundID: f.id, SubAccount: r.subAccount, Attempt: r.attempt,
		})
	case events.RefundStepAwaitPayer:
		return send(topics.PayerInbox, keys.payerKey, creditID, events.CreditPayer{
			CreditID: creditID, TxnID: p.id, RefundID: f.id, PayerKey: keys.payerKey,
			AgreementNo: keys.agreementNo, ChannelID: f.req.channelID, Amount: f.amount,
		})
	case events.RefundStepQueryPayer:
		return send(topics.PayerInbox, keys.payerKey, events.DeriveID(f.id, "query_credit", attempt), events.QueryPayerCredit{
			CreditID: creditID, TxnID: p.id, RefundID: f.id, PayerKey: keys.payerKey, Attempt: r.attempt,
		})
	case events.RefundStepAwaitReversal:
		return send(topics.ReserveInbox, r.subAccount, events.DeriveID(f.id, "reverse_debit", attempt), events.ReverseReserveDebit{
			DebitID: debitID, TxnID: p.id, RefundID: f.id, SubAccount: r.subAccount, Attempt: r.attempt,
		})
	}
	return fmt.Errorf("saga: refund %s of %s in unknown step %q", f.id, p.id, r.step)
}

// refundOutcome sends the one outcome of a finished refund; its ID derives
// from the refund only, so channels see one outcome however often it is
// sent.
func (d *decision) refundOutcome(p *payment, f *refundFlow) error {
	amount := f.amount
	return d.outcome(events.Outcome{
		OutcomeID:      events.DeriveID(f.id, "outcome"),
		RequestType:    events.RequestRefund,
		ChannelID:      f.req.channelID,
		OrderID:        f.req.orderID,
		IdempotencyKey: f.req.idemKey,
		Status:         f.end.status,
		ReasonCode:     f.end.reasonCode,
		TransactionID:  p.id,
		RefundID:       f.id,
		Amount:         &amount,
		DecidedAt:      f.end.at,
	})
}
