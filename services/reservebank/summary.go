package reservebank

import (
	"errors"
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// ErrSummaryConflict: a summary for a (reserve account, batch) already
// posted arrives again with another amount or credit count. Reconciliation
// posts a batch once; a different body under the same key is a bug there,
// never a retry, so it is poison rather than silently ignored.
var ErrSummaryConflict = errors.New("reservebank: batch already posted with another amount")

// ledger is the book of a reserve account kept under the account's own
// aggregate (key = the account): its summarized postings (汇总记账, one
// entry per reconciled batch, and the balance they add up to) and the
// fundings wired in by the channel. Both are recorded on the account's
// reserve.events stream, so seq counts them together. The money itself
// lives in the sub-accounts: each posting and funding is spread over them
// (see spread.go).
type ledger struct {
	seq      uint64             // sequence of the account's latest event
	balance  events.Money       // sum of the summarized postings
	postings map[string]posting // by batch ID
	fundings map[string]funding // by funding ID
}

func newLedger() *ledger {
	return &ledger{balance: events.ZeroCNY(), postings: map[string]posting{}, fundings: map[string]funding{}}
}

// posting is one summarized entry. event is the reserve.summary_posted
// that recorded it, from which its shares are re-sent; it is zero for a
// posting restored from a version 2 snapshot (written before sub-accounts
// existed, so never spread).
type posting struct {
	seq     uint64
	amount  events.Money
	credits int
	event   events.Envelope
}

// postSummary handles reserve.post_summary: the first posting of a
// (reserve account, batch) records reserve.summary_posted with the
// account's new balance and spreads the amount over the sub-accounts
// (reserve.credit_sub_account, one share each); a repeat with the same
// amount and credit count (a redelivery, or reconciliation re-run) records
// nothing and sends the same shares again, which the sub-accounts ignore
// if they have them already; a repeat with another fails with
// ErrSummaryConflict.
//
// No reply is sent, and the bank link's faults do not apply: the posting
// is the bank's own book-keeping once the batch reconciled, not a request
// over the switch's link, and nothing would re-send a lost one.
func (b *Bank) postSummary(msg processor.Message, cmd events.PostReserveSummary) (processor.Output, error) {
	switch {
	case cmd.BatchID == "":
		return processor.Output{}, fmt.Errorf("reservebank: summary for %s without a batch ID", cmd.ReserveAccount)
	case cmd.Amount.IsNegative() || cmd.Credits < 0:
		// A summary adds credits; refunds debit the account by other means.
		return processor.Output{}, fmt.Errorf("reservebank: summary of batch %s for %s: %s over %d credits",
			cmd.BatchID, cmd.ReserveAccount, cmd.Amount, cmd.Credits)
	}
	s := b.accounts[cmd.ReserveAccount]
	if s == nil {
		s = newLedger()
	}
	if done, ok := s.postings[cmd.BatchID]; ok {
		if !done.amount.Equal(cmd.Amount) || done.credits != cmd.Credits {
			return processor.Output{}, fmt.Errorf("%w: %s batch %s: posted %s over %d credits, now %s over %d",
				ErrSummaryConflict, cmd.ReserveAccount, cmd.BatchID, done.amount, done.credits, cmd.Amount, cmd.Credits)
		}
		if done.event.ID == "" {
			return processor.Output{}, nil
		}
		return processor.Output{Messages: b.shares(done.event, events.SubCreditSummary, cmd.BatchID, done.amount)}, nil
	}
	after, err := s.balance.Add(cmd.Amount)
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: summary of batch %s for %s: %w", cmd.BatchID, cmd.ReserveAccount, err)
	}
	p := events.ReserveSummaryPosted{
		ReserveAccount: cmd.ReserveAccount,
		BatchID:        cmd.BatchID,
		Amount:         cmd.Amount,
		Credits:        cmd.Credits,
		BalanceAfter:   after,
	}
	ev, err := b.reg.New(cmd.ReserveAccount, s.seq+1, p, events.Meta{
		ID:            events.DeriveID(msg.Envelope.ID, p.EventType()),
		CorrelationID: msg.Envelope.CorrelationID,
		CausationID:   msg.Envelope.ID,
		OccurredAt:    msg.Time,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("reservebank: recording %s: %w", p.EventType(), err)
	}
	return processor.Output{Events: []events.Envelope{ev}, Payloads: []events.Payload{p},
		Messages: b.shares(ev, events.SubCreditSummary, cmd.BatchID, cmd.Amount)}, nil
}

// applySummary folds reserve.summary_posted. A posting at or below the
// account's sequence is ignored (already folded); it panics on a gap, a
// second posting of a batch, or a balance that does not chain from the
// previous one: the log is corrupt.
func (b *Bank) applySummary(env events.Envelope, e events.ReserveSummaryPosted) {
	if e.ReserveAccount != env.AggregateID {
		panic("reservebank: summary of " + e.ReserveAccount + " filed under aggregate " + env.AggregateID)
	}
	s := b.accounts[e.ReserveAccount]
	if s == nil {
		s = newLedger()
	}
	if env.Sequence <= s.seq {
		return
	}
	if env.Sequence != s.seq+1 {
		panic(fmt.Sprintf("reservebank: summary of %s at sequence %d after %d", e.ReserveAccount, env.Sequence, s.seq))
	}
	if _, dup := s.postings[e.BatchID]; dup {
		panic("reservebank: second summary of batch " + e.BatchID + " for " + e.ReserveAccount)
	}
	want, err := s.balance.Add(e.Amount)
	if err != nil || !want.Equal(e.BalanceAfter) {
		panic(fmt.Sprintf("reservebank: summary of batch %s for %s: balance %s + %s recorded as %s",
			e.BatchID, e.ReserveAccount, s.balance, e.Amount, e.BalanceAfter))
	}
	s.seq, s.balance = env.Sequence, e.BalanceAfter
	s.postings[e.BatchID] = posting{seq: env.Sequence, amount: e.Amount, credits: e.Credits, event: env}
	b.accounts[e.ReserveAccount] = s
}

// SummarizedBalance returns the balance of a reserve account's summarized
// postings: the sum of every batch posted to it (zero if none).
func (b *Bank) SummarizedBalance(reserveAccount string) events.Money {
	if s := b.accounts[reserveAccount]; s != nil {
		return s.balance
	}
	return events.ZeroCNY()
}
