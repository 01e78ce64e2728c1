package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// reverseDebit handles reserve.reverse_debit, the compensation when the
// payer bank refused the customer's credit: a debited refund debit goes
// back to the sub-account it came from (reserve.reserve_debit_reversed).
// A reversal is never refused: one already reversed gets its reversal
// reply again (no money moves); a debit refused, held or never seen is
// answered with its status as a reserve.debit_status_reported, an unseen
// one being closed as not received first, like a query does. As for the
// payer bank's reversals, the request may be dropped and the reply lost
// or delayed; the saga re-sends on its deadline.
func (b *Bank) reverseDebit(msg processor.Message, cmd events.ReverseReserveDebit) (processor.Output, error) {
	if err := b.checkSub(cmd.SubAccount, ""); err != nil {
		return processor.Output{}, err
	}
	if cmd.DebitID == "" || cmd.TxnID == "" {
		return processor.Output{}, fmt.Errorf("reservebank: reversal at %s without a debit or transaction ID", cmd.SubAccount)
	}
	if b.cfg.Link.Dropped(msg.Envelope.ID) {
		return processor.Output{}, nil
	}
	s := b.sub(cmd.SubAccount)
	c := b.call(msg, s)
	report := func(status, reason string) (processor.Output, error) {
		err := c.report(cmd.TxnID, events.ReserveDebitStatusReported{
			DebitID: cmd.DebitID, TxnID: cmd.TxnID, RefundID: cmd.RefundID, Attempt: cmd.Attempt, Status: status, ReasonCode: reason,
		}, true)
		return c.out, err
	}
	d, ok := s.debits[cmd.DebitID]
	switch {
	case !ok:
		if err := c.closeUnseen(cmd.DebitID, cmd.TxnID, cmd.RefundID); err != nil {
			return processor.Output{}, err
		}
		return report(events.LegRefused, events.ReasonNotReceivedByBank)
	case d.status == debitReversed:
		c.reply(d.txnID, d.reversal, msg.Envelope.ID)
		return c.out, nil
	case d.status != debitDone:
		return report(d.wire(), d.reason)
	}
	after, err := c.balance.Add(d.amount)
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: reversing %s at %s: %w", d.id, s.key, err)
	}
	ev, err := c.record(events.ReserveDebitReversed{
		DebitID: d.id, TxnID: d.txnID, RefundID: d.refundID, SubAccount: s.key, Amount: d.amount, BalanceAfter: after,
	}, d.id)
	if err != nil {
		return processor.Output{}, err
	}
	c.reply(d.txnID, ev, msg.Envelope.ID)
	return c.out, nil
}
