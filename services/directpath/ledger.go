package directpath

import (
	"github.com/paycore/paycore/events"
)

// ledger is one institution's legacy ledger (keyed by
// events.LegacyLedgerKey): the balance it prefunded for legacy refunds and
// the refunds the bank advanced for it, still to be repaid. It is paycore's
// record of money that sits outside its accounts (the designated account,
// the bank's advances), so each movement is an event with the balance
// after it.
type ledger struct {
	key         string
	channelID   string
	seq         uint64
	lastCause   string
	prefund     events.Money
	outstanding events.Money
	// draws remembers each refund's draw and return with the replies they
	// caused, so a repeat is answered, not decided again.
	draws map[string]*draw
	// advances, fundings and repayments make the other commands
	// idempotent.
	advances   map[string]bool
	fundings   map[string]bool
	repayments map[string]bool
}

type draw struct {
	drawn       bool
	reply       events.Envelope // PrefundDrawn or PrefundDrawRefused
	returned    bool
	returnReply events.Envelope // PrefundReturned
}

func newLedger(key, channelID string) *ledger {
	return &ledger{
		key: key, channelID: channelID, prefund: events.ZeroCNY(), outstanding: events.ZeroCNY(),
		draws: map[string]*draw{}, advances: map[string]bool{}, fundings: map[string]bool{}, repayments: map[string]bool{},
	}
}

// Ledger is a read-only view of an institution's legacy ledger.
type Ledger struct {
	ChannelID   string
	Prefund     events.Money // prefunded and not yet drawn
	Outstanding events.Money // advanced by the bank and not yet repaid
}

// applyLedger folds an event of ledger env.AggregateID.
func (h *Handler) applyLedger(env events.Envelope, p events.Payload) {
	l, ok := h.ledgers[env.AggregateID]
	if ok && env.Sequence <= l.seq {
		return
	}
	if !ok {
		if env.Sequence != 1 {
			impossible(env, "a ledger starts at sequence 1")
		}
		l = newLedger(env.AggregateID, ledgerChannel(p))
		h.ledgers[env.AggregateID] = l
	} else if env.Sequence != l.seq+1 {
		impossible(env, "sequence gap after %d", l.seq)
	}
	if ledgerChannel(p) != l.channelID || events.LegacyLedgerKey(l.channelID) != env.AggregateID {
		impossible(env, "event of channel %s in ledger %s", ledgerChannel(p), env.AggregateID)
	}
	l.seq, l.lastCause = env.Sequence, env.CausationID
	switch e := p.(type) {
	case events.PrefundReceived:
		l.fundings[e.FundingID] = true
		l.prefund = l.after(env, l.prefund.Add, e.Amount, e.BalanceAfter)
	case events.PrefundDrawn:
		l.newDraw(env, e.RefundID, &draw{drawn: true, reply: env})
		l.prefund = l.after(env, l.prefund.Sub, e.Amount, e.BalanceAfter)
	case events.PrefundDrawRefused:
		l.newDraw(env, e.RefundID, &draw{reply: env})
	case events.PrefundReturned:
		d, ok := l.draws[e.RefundID]
		if !ok || !d.drawn || d.returned {
			impossible(env, "refund %s has no draw to return", e.RefundID)
		}
		d.returned, d.returnReply = true, env
		l.prefund = l.after(env, l.prefund.Add, e.Amount, e.BalanceAfter)
	case events.RefundAdvanced:
		l.advances[e.RefundID] = true
		l.outstanding = l.after(env, l.outstanding.Add, e.Amount, e.OutstandingAfter)
	case events.AdvanceRepaid:
		l.repayments[e.RepaymentID] = true
		l.outstanding = l.after(env, l.outstanding.Sub, e.Amount, e.OutstandingAfter)
	case events.RepaymentRefused:
		l.repayments[e.RepaymentID] = true
	default:
		impossible(env, "not a ledger event")
	}
}

func (l *ledger) newDraw(env events.Envelope, refundID string, d *draw) {
	if _, dup := l.draws[refundID]; dup {
		impossible(env, "refund %s drawn twice", refundID)
	}
	l.draws[refundID] = d
}

// after applies op(amount) and checks the event's balance: a ledger never
// goes below zero, and a replay must reproduce every balance.
func (l *ledger) after(env events.Envelope, op func(events.Money) (events.Money, error), amount, recorded events.Money) events.Money {
	b, err := op(amount)
	if err != nil || b.IsNegative() {
		impossible(env, "ledger %s cannot move %s", l.key, amount)
	}
	if !b.Equal(recorded) {
		impossible(env, "ledger %s: balance after is %s, event says %s", l.key, b, recorded)
	}
	return b
}

// ledgerChannel returns the channel a ledger event or command names ("" for
// anything else).
func ledgerChannel(p events.Payload) string {
	switch e := p.(type) {
	case events.PrefundReceived:
		return e.ChannelID
	case events.PrefundDrawn:
		return e.ChannelID
	case events.PrefundDrawRefused:
		return e.ChannelID
	case events.PrefundReturned:
		return e.ChannelID
	case events.RefundAdvanced:
		return e.ChannelID
	case events.AdvanceRepaid:
		return e.ChannelID
	case events.RepaymentRefused:
		return e.ChannelID
	case events.ReceivePrefund:
		return e.ChannelID
	case events.DrawPrefund:
		return e.ChannelID
	case events.ReturnPrefund:
		return e.ChannelID
	case events.RecordAdvance:
		return e.ChannelID
	case events.RepayAdvance:
		return e.ChannelID
	}
	return ""
}
