package directpath

import (
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// onLedger handles a command of an institution's legacy ledger. A command
// already handled is answered from the state: a draw or return with its
// original reply, a funding, advance or repayment with nothing.
func (d *decision) onLedger(p events.Payload) error {
	channelID := ledgerChannel(p)
	key := events.LegacyLedgerKey(channelID)
	if d.msg.Envelope.AggregateID != key {
		return fmt.Errorf("%w: %s of channel %q keyed %q", ErrInvalidCommand, d.msg.Envelope.Type, channelID, d.msg.Envelope.AggregateID)
	}
	l, ok := d.h.ledgers[key]
	if !ok {
		l = newLedger(key, channelID)
	}
	var ev events.Payload
	switch c := p.(type) {
	case events.ReceivePrefund:
		if l.fundings[c.FundingID] {
			return nil
		}
		if !c.Amount.IsPositive() || c.FundingID == "" {
			return fmt.Errorf("%w: prefund %q of %s", ErrInvalidCommand, c.FundingID, c.Amount)
		}
		after, err := l.prefund.Add(c.Amount)
		if err != nil {
			return fmt.Errorf("%w: prefund %s: %v", ErrInvalidCommand, c.FundingID, err)
		}
		ev = events.PrefundReceived{FundingID: c.FundingID, ChannelID: channelID, Amount: c.Amount, BalanceAfter: after}
	case events.DrawPrefund:
		if dr, ok := l.draws[c.RefundID]; ok {
			d.replyToRefund(c.TxnID, dr.reply)
			return nil
		}
		if l.prefund.Cmp(c.Amount) < 0 {
			ev = events.PrefundDrawRefused{RefundID: c.RefundID, TxnID: c.TxnID, ChannelID: channelID, Amount: c.Amount,
				Balance: l.prefund, ReasonCode: events.ReasonPrefundInsufficient}
		} else {
			ev = events.PrefundDrawn{RefundID: c.RefundID, TxnID: c.TxnID, ChannelID: channelID, Amount: c.Amount, BalanceAfter: sub(l.prefund, c.Amount)}
		}
	case events.ReturnPrefund:
		dr, ok := l.draws[c.RefundID]
		if !ok || !dr.drawn {
			return fmt.Errorf("%w: return of refund %s, which drew nothing", ErrInvalidCommand, c.RefundID)
		}
		if dr.returned {
			d.replyToRefund(c.TxnID, dr.returnReply)
			return nil
		}
		ev = events.PrefundReturned{RefundID: c.RefundID, TxnID: c.TxnID, ChannelID: channelID, Amount: c.Amount, BalanceAfter: add(l.prefund, c.Amount)}
	case events.RecordAdvance:
		if l.advances[c.RefundID] {
			return nil
		}
		after, err := l.outstanding.Add(c.Amount)
		if err != nil {
			return fmt.Errorf("%w: advance of refund %s: %v", ErrInvalidCommand, c.RefundID, err)
		}
		ev = events.RefundAdvanced{RefundID: c.RefundID, TxnID: c.TxnID, ChannelID: channelID, Amount: c.Amount, OutstandingAfter: after}
	case events.RepayAdvance:
		if l.repayments[c.RepaymentID] {
			return nil
		}
		if !c.Amount.IsPositive() || c.RepaymentID == "" {
			return fmt.Errorf("%w: repayment %q of %s", ErrInvalidCommand, c.RepaymentID, c.Amount)
		}
		if c.Amount.Cmp(l.outstanding) > 0 {
			ev = events.RepaymentRefused{RepaymentID: c.RepaymentID, ChannelID: channelID, Amount: c.Amount, Outstanding: l.outstanding,
				ReasonCode: events.ReasonRepaymentExceedsDebt}
		} else {
			ev = events.AdvanceRepaid{RepaymentID: c.RepaymentID, ChannelID: channelID, Amount: c.Amount, OutstandingAfter: sub(l.outstanding, c.Amount)}
		}
	}
	env, err := d.record(key, l.seq+1, d.msg.Envelope.CorrelationID, ev)
	if err != nil {
		return err
	}
	switch e := ev.(type) {
	case events.PrefundDrawn:
		d.replyToRefund(e.TxnID, env)
	case events.PrefundDrawRefused:
		d.replyToRefund(e.TxnID, env)
	case events.PrefundReturned:
		d.replyToRefund(e.TxnID, env)
	}
	return nil
}

// replyToRefund sends the refund of txnID its copy of ledger event ev:
// re-addressed to the payment, with an ID of its own.
func (d *decision) replyToRefund(txnID string, ev events.Envelope) {
	r := ev
	r.ID = events.DeriveID(ev.ID, "reply")
	r.AggregateID = txnID
	d.out.Messages = append(d.out.Messages, processor.EnvelopeTo(d.h.cfg.Topics.DirectInbox, r))
}

// add and sub are for amounts the ledger checked: a return is at most what
// was drawn from the balance, a subtraction never goes below zero.
func add(a, b events.Money) events.Money {
	s, err := a.Add(b)
	if err != nil {
		panic("directpath: " + err.Error())
	}
	return s
}

func sub(a, b events.Money) events.Money {
	s, err := a.Sub(b)
	if err != nil {
		panic("directpath: " + err.Error())
	}
	return s
}
