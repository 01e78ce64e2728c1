package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// queryCredit handles payer.query_credit (交易查询 of a refund credit)
// with a payer.credit_status_reported to the saga: done, or refused with
// the reason; unknown when the link makes the query unknown, and then
// nothing is recorded. A credit the bank never saw is first closed with
// payer.payer_credit_refused (not_received_by_bank), so a credit arriving
// later cannot execute after the switch concluded it did not happen. Like
// debit queries, the report may be delayed but is never lost.
func (d *decision) queryCredit(c events.QueryPayerCredit) error {
	if c.CreditID == "" || c.TxnID == "" {
		return fmt.Errorf("payerbank: credit query without a credit or transaction ID (%q, %q)", c.CreditID, c.TxnID)
	}
	report := func(status, reason string) error {
		return d.answer(c.TxnID, events.PayerCreditStatusReported{
			CreditID: c.CreditID, TxnID: c.TxnID, RefundID: c.RefundID, Attempt: c.Attempt, Status: status, ReasonCode: reason,
		}, latencyOnly)
	}
	if d.h.cfg.Link.QueryUnknown(d.cmdID()) {
		return report(events.LegUnknown, "")
	}
	if cr, ok := d.st.credits[c.CreditID]; ok {
		return report(cr.status.wire(), cr.reason)
	}
	if _, err := d.record(c.PayerKey, events.PayerCreditRefused{
		CreditID: c.CreditID, TxnID: c.TxnID, RefundID: c.RefundID, ReasonCode: events.ReasonNotReceivedByBank,
	}); err != nil {
		return err
	}
	return report(events.LegRefused, events.ReasonNotReceivedByBank)
}
