package payerbank

import "github.com/paycore/paycore/events"

// queryDebit handles payer.query_debit (交易查询) with a
// payer.debit_status_reported to the saga. When the link makes the query
// unknown, the bank has not looked, so nothing is recorded. A transaction
// the bank never saw is first closed with payer.payer_debit_refused
// (not_received_by_bank): the switch is about to conclude the debit did not
// happen, so a debit arriving later must not execute.
func (d *decision) queryDebit(c events.QueryDebit) error {
	if d.h.cfg.Link.QueryUnknown(d.cmdID()) {
		return d.answer(c.TxnID, events.DebitStatusReported{TxnID: c.TxnID, Attempt: c.Attempt, Status: events.LegUnknown}, latencyOnly)
	}
	return d.reportStatus(c.TxnID, c.PayerKey, c.Attempt, latencyOnly)
}

// reportStatus answers with the leg's status, closing an unseen
// transaction first (see queryDebit).
func (d *decision) reportStatus(txnID, payerKey string, attempt int, x exposure) error {
	if l, ok := d.st.legs[txnID]; ok {
		return d.answer(txnID, l.report(txnID, attempt), x)
	}
	if _, err := d.record(payerKey, events.PayerDebitRefused{TxnID: txnID, ReasonCode: events.ReasonNotReceivedByBank}); err != nil {
		return err
	}
	return d.answer(txnID, events.DebitStatusReported{TxnID: txnID, Attempt: attempt, Status: events.LegRefused, ReasonCode: events.ReasonNotReceivedByBank}, x)
}
