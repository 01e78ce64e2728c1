package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// queryDebit handles reserve.query_debit (交易查询) with a
// reserve.debit_status_reported to the saga: done, refused (with the
// reason), reversed, or unknown, either because the link fault strikes or
// because the debit is held, waiting for a borrow round (the bank has not
// decided; the saga asks again).
//
// A query about a debit the sub-account never received first records
// reserve.reserve_debit_refused with not_received_by_bank, so the debit
// cannot execute if it arrives later. Like the credit queries, query
// reports are never dropped, lost or delayed; an unknown answer records
// nothing.
func (b *Bank) queryDebit(msg processor.Message, cmd events.QueryReserveDebit) (processor.Output, error) {
	if err := b.checkSub(cmd.SubAccount, ""); err != nil {
		return processor.Output{}, err
	}
	if cmd.DebitID == "" || cmd.TxnID == "" {
		return processor.Output{}, fmt.Errorf("reservebank: query of %s without a debit or transaction ID", cmd.SubAccount)
	}
	s := b.sub(cmd.SubAccount)
	c := b.call(msg, s)
	report := func(status, reason string) (processor.Output, error) {
		err := c.report(cmd.TxnID, events.ReserveDebitStatusReported{
			DebitID: cmd.DebitID, TxnID: cmd.TxnID, RefundID: cmd.RefundID, Attempt: cmd.Attempt, Status: status, ReasonCode: reason,
		}, false)
		return c.out, err
	}
	if b.cfg.Link.QueryUnknown(msg.Envelope.ID) {
		return report(events.LegUnknown, "")
	}
	if d, ok := s.debits[cmd.DebitID]; ok {
		return report(d.wire(), d.reason)
	}
	if err := c.closeUnseen(cmd.DebitID, cmd.TxnID, cmd.RefundID); err != nil {
		return processor.Output{}, err
	}
	return report(events.LegRefused, events.ReasonNotReceivedByBank)
}

// closeUnseen records that the sub-account refuses debit id, which it
// never received: the switch is about to conclude it failed.
func (c *call) closeUnseen(id, txnID, refundID string) error {
	_, err := c.record(events.ReserveDebitRefused{DebitID: id, TxnID: txnID, RefundID: refundID, ReasonCode: events.ReasonNotReceivedByBank}, id)
	return err
}
