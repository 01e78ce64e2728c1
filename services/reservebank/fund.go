package reservebank

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// ErrFundingConflict: a funding ID already recorded arrives again with
// another amount. The back office sends a funding once; a different body
// under the same ID is a mistake there, never a retry, so it is poison.
var ErrFundingConflict = errors.New("reservebank: funding already recorded with another amount")

// funding is one ReserveFunded of a reserve account.
type funding struct {
	seq    uint64
	amount events.Money
	event  events.Envelope
}

// fundReserve handles reserve.fund_reserve, the back office wiring the
// channel's funds into its reserve account: the first command of a funding
// ID records reserve.reserve_funded under the account and spreads the
// amount over the sub-accounts; a repeat with the same amount records
// nothing and re-sends the same shares; one with another amount fails with
// ErrFundingConflict. Like a summarized posting it is the bank's own
// book-keeping: no reply, no link faults.
func (b *Bank) fundReserve(msg processor.Message, cmd events.FundReserve) (processor.Output, error) {
	if cmd.FundingID == "" {
		return processor.Output{}, fmt.Errorf("reservebank: funding of %s without a funding ID", cmd.ReserveAccount)
	}
	if !cmd.Amount.IsPositive() {
		return processor.Output{}, fmt.Errorf("reservebank: funding %s of %s: amount %s is not positive", cmd.FundingID, cmd.ReserveAccount, cmd.Amount)
	}
	l := b.accounts[cmd.ReserveAccount]
	if l == nil {
		l = newLedger()
	}
	if done, ok := l.fundings[cmd.FundingID]; ok {
		if !done.amount.Equal(cmd.Amount) {
			return processor.Output{}, fmt.Errorf("%w: %s funding %s: recorded %s, now %s",
				ErrFundingConflict, cmd.ReserveAccount, cmd.FundingID, done.amount, cmd.Amount)
		}
		return processor.Output{Messages: b.shares(done.event, events.SubCreditFunding, cmd.FundingID, done.amount)}, nil
	}
	p := events.ReserveFunded{FundingID: cmd.FundingID, ReserveAccount: cmd.ReserveAccount, Amount: cmd.Amount}
	ev, err := b.reg.New(cmd.ReserveAccount, l.seq+1, p, events.Meta{
		ID:            events.DeriveID(msg.Envelope.ID, p.EventType()),
		CorrelationID: msg.Envelope.CorrelationID,
		CausationID:   msg.Envelope.ID,
		OccurredAt:    msg.Time,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: recording %s: %w", p.EventType(), err)
	}
	return processor.Output{
		Events:   []events.Envelope{ev},
		Payloads: []events.Payload{p},
		Messages: b.shares(ev, events.SubCreditFunding, cmd.FundingID, cmd.Amount),
	}, nil
}

// applyFunded folds reserve.reserve_funded into the account's ledger,
// which it shares with the summarized postings (one sequence). It panics
// on a gap, a second funding of an ID, or a funding that is not positive.
func (b *Bank) applyFunded(env events.Envelope, e events.ReserveFunded) {
	if e.ReserveAccount != env.AggregateID {
		panic("reservebank: funding of " + e.ReserveAccount + " filed under aggregate " + env.AggregateID)
	}
	l := b.accounts[e.ReserveAccount]
	if l == nil {
		l = newLedger()
	}
	if env.Sequence <= l.seq {
		return
	}
	if env.Sequence != l.seq+1 {
		panic(fmt.Sprintf("reservebank: funding of %s at sequence %d after %d", e.ReserveAccount, env.Sequence, l.seq))
	}
	if _, dup := l.fundings[e.FundingID]; dup {
		panic("reservebank: second funding " + e.FundingID + " of " + e.ReserveAccount)
	}
	if !e.Amount.IsPositive() {
		panic(fmt.Sprintf("reservebank: funding %s of %s: amount %s", e.FundingID, e.ReserveAccount, e.Amount))
	}
	l.seq = env.Sequence
	l.fundings[e.FundingID] = funding{seq: env.Sequence, amount: e.Amount, event: env}
	b.accounts[e.ReserveAccount] = l
}
