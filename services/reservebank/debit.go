package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// debitReserve handles reserve.debit_reserve, a refund debit of a
// sub-account. A debit is decided once, in the order debits arrive at the
// sub-account:
//
//   - nothing held ahead and the balance covers it: reserve.reserve_debited
//     at once;
//   - otherwise it is held (reserve.reserve_debit_held) behind the debits
//     already waiting, and if none was, a borrow round starts
//     (reserve.borrow_started) to collect the shortfall from the siblings;
//     the debit is decided when a round returns (see settle);
//   - with a single sub-account there is nobody to borrow from: a debit the
//     balance does not cover is refused with insufficient_reserve_funds.
//
// A debit already seen gets the reply to its decision again (the first
// one, even after a reversal), or, while held, nothing but the borrow
// round it started, re-sent. A dropped debit never reaches the bank.
func (b *Bank) debitReserve(msg processor.Message, cmd events.DebitReserve) (processor.Output, error) {
	if err := b.checkSub(cmd.SubAccount, cmd.ReserveAccount); err != nil {
		return processor.Output{}, err
	}
	if cmd.DebitID == "" || cmd.TxnID == "" {
		return processor.Output{}, fmt.Errorf("reservebank: debit of %s without a debit or transaction ID", cmd.SubAccount)
	}
	if !cmd.Amount.IsPositive() {
		// The saga only sends validated, positive amounts.
		return processor.Output{}, fmt.Errorf("reservebank: debit %s of %s is not positive", cmd.DebitID, cmd.Amount)
	}
	if b.cfg.Link.Dropped(msg.Envelope.ID) {
		return processor.Output{}, nil
	}
	s := b.sub(cmd.SubAccount)
	c := b.call(msg, s)
	if d, ok := s.debits[cmd.DebitID]; ok {
		if d.status != debitHeld {
			c.reply(d.txnID, d.decision, msg.Envelope.ID)
		} else if s.round != nil && s.round.start.CausationID == msg.Envelope.ID {
			c.out.Messages = append(c.out.Messages, b.firstHop(s, s.round))
		}
		return c.out, nil
	}
	q := queued{id: cmd.DebitID, txnID: cmd.TxnID, refundID: cmd.RefundID, amount: cmd.Amount, cause: msg.Envelope.ID}
	switch {
	case len(c.queue) == 0 && c.balance.Cmp(cmd.Amount) >= 0:
		return c.out, c.debit(q)
	case b.cfg.SubAccounts == 1:
		return c.out, c.refuse(q, events.ReasonReserveInsufficient)
	}
	if _, err := c.record(events.ReserveDebitHeld{
		DebitID: cmd.DebitID, TxnID: cmd.TxnID, RefundID: cmd.RefundID, ReserveAccount: cmd.ReserveAccount,
		SubAccount: cmd.SubAccount, ChannelID: cmd.ChannelID, Amount: cmd.Amount,
	}, cmd.DebitID); err != nil {
		return processor.Output{}, err
	}
	c.fresh = &q
	c.queue = append(c.queue, q.id)
	if s.round == nil {
		if err := c.startRound(q.id, 1); err != nil {
			return processor.Output{}, err
		}
	}
	return c.out, nil
}

// queued is a debit waiting to be decided, as the call needs it.
type queued struct {
	id, txnID, refundID string
	amount              events.Money
	cause               string // the debit command's ID (link faults on the reply)
}

// queuedDebit returns the held debit id: folded, or held by this call.
func (c *call) queuedDebit(id string) queued {
	if c.fresh != nil && c.fresh.id == id {
		return *c.fresh
	}
	d := c.s.debits[id]
	return queued{id: d.id, txnID: d.txnID, refundID: d.refundID, amount: d.amount, cause: d.cause()}
}

// debit records reserve.reserve_debited for q and replies.
func (c *call) debit(q queued) error {
	after, err := c.balance.Sub(q.amount)
	if err != nil || after.IsNegative() {
		panic(fmt.Sprintf("reservebank: debit %s of %s from %s", q.id, q.amount, c.balance)) // callers check the balance
	}
	ev, err := c.record(events.ReserveDebited{
		DebitID: q.id, TxnID: q.txnID, RefundID: q.refundID, ReserveAccount: c.s.account,
		SubAccount: c.s.key, Amount: q.amount, BalanceAfter: after,
	}, q.id)
	if err != nil {
		return err
	}
	c.balance = after
	c.reply(q.txnID, ev, q.cause)
	return nil
}

// refuse records reserve.reserve_debit_refused for q and replies.
func (c *call) refuse(q queued, reason string) error {
	ev, err := c.record(events.ReserveDebitRefused{DebitID: q.id, TxnID: q.txnID, RefundID: q.refundID, ReasonCode: reason}, q.id)
	if err != nil {
		return err
	}
	c.reply(q.txnID, ev, q.cause)
	return nil
}

// settle decides the held debits, in arrival order, after a borrow round
// (last) returned: each one the balance covers is debited; at the first
// one it does not cover, either another round starts for it, or, if last
// was already its round, it is refused with insufficient_reserve_funds.
// Its round is repeated instead (up to MaxBorrowRounds) when the round
// was contended: it met a sibling with a round of its own, or this
// sub-account lent to another round meanwhile, so money may have been
// moving between siblings behind the round's back.
func (c *call) settle(last *borrowRound, contended bool) error {
	for len(c.queue) > 0 {
		q := c.queuedDebit(c.queue[0])
		if c.balance.Cmp(q.amount) >= 0 {
			if err := c.debit(q); err != nil {
				return err
			}
			c.queue = c.queue[1:]
			continue
		}
		if last == nil || last.debitID != q.id {
			return c.startRound(q.id, 1)
		}
		if contended && last.round < c.b.cfg.MaxBorrowRounds {
			return c.startRound(q.id, last.round+1)
		}
		if err := c.refuse(q, events.ReasonReserveInsufficient); err != nil {
			return err
		}
		c.queue = c.queue[1:]
		last = nil
	}
	return nil
}
