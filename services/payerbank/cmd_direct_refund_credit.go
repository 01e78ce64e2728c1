package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// directRefundCredit handles payer.direct_refund_credit: credit the
// customer for a legacy refund (payer.direct_refund_credited), or refuse
// with account_not_found when the account does not exist at this bank. A
// credit needs no balance check; the money comes from outside paycore's
// customer accounts (see direct.go). A refund seen before gets its
// original reply; a dropped request leaves no trace.
func (d *decision) directRefundCredit(c events.DirectRefundCredit) error {
	if d.h.cfg.Link.Dropped(d.cmdID()) {
		return nil
	}
	if dc, ok := d.st.direct.credit(c.RefundID); ok {
		d.forwardDirect(c.TxnID, dc.reply, lossy)
		return nil
	}
	if !c.Amount.IsPositive() {
		return fmt.Errorf("payerbank: legacy refund %s of %s", c.RefundID, c.Amount)
	}
	var p events.Payload = events.DirectRefundCreditRefused{RefundID: c.RefundID, TxnID: c.TxnID, ReasonCode: events.ReasonAccountNotFound}
	if acct, ok := d.st.accounts[c.PayerKey]; ok {
		after, err := acct.balance.Add(c.Amount)
		if err != nil {
			// Only a balance beyond events.MaxAmount: the bank cannot hold it.
			return fmt.Errorf("payerbank: crediting legacy refund %s: %w", c.RefundID, err)
		}
		p = events.DirectRefundCredited{RefundID: c.RefundID, TxnID: c.TxnID, ChannelID: c.ChannelID, Funding: c.Funding, Amount: c.Amount, BalanceAfter: after}
	}
	ev, err := d.record(c.PayerKey, p)
	if err != nil {
		return err
	}
	d.forwardDirect(c.TxnID, ev, lossy)
	return nil
}

// queryDirectRefundCredit handles payer.query_direct_refund_credit like
// queryDirectDebit: unknown records nothing, an unseen credit is closed as
// not_received_by_bank first.
func (d *decision) queryDirectRefundCredit(c events.QueryDirectRefundCredit) error {
	report := func(status, reason string) error {
		return d.answerDirect(c.TxnID, events.DirectRefundCreditStatusReported{
			RefundID: c.RefundID, TxnID: c.TxnID, Attempt: c.Attempt, Status: status, ReasonCode: reason,
		}, latencyOnly)
	}
	if d.h.cfg.Link.QueryUnknown(d.cmdID()) {
		return report(events.LegUnknown, "")
	}
	if dc, ok := d.st.direct.credit(c.RefundID); ok {
		return report(dc.status(), dc.reasonCode)
	}
	if _, err := d.record(c.PayerKey, events.DirectRefundCreditRefused{RefundID: c.RefundID, TxnID: c.TxnID, ReasonCode: events.ReasonNotReceivedByBank}); err != nil {
		return err
	}
	return report(events.LegRefused, events.ReasonNotReceivedByBank)
}
