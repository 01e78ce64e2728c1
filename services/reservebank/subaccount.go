package reservebank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// subAccount is one sub-account (分户) of a reserve account: an aggregate
// keyed events.SubAccountKey(account, index) with a balance of its own.
// Everything in it is folded from its events (see fold), so held debits
// and borrow rounds in flight survive a rebuild.
type subAccount struct {
	key     string
	account string
	index   int
	seq     uint64 // sequence of the latest event folded
	balance events.Money
	debits  map[string]*subDebit // by DebitID
	// queue holds the IDs of the held debits, in arrival order. It is not
	// empty exactly while a borrow round is out (round != nil).
	queue    []string
	round    *borrowRound
	returned map[string]events.Envelope // BorrowReturned by BorrowID
	lent     map[string]events.Envelope // SubAccountLent by BorrowID
	credited map[string]bool            // TransferIDs of the shares credited
}

func newSubAccount(key string) *subAccount {
	account, index, ok := events.ParseSubAccountKey(key)
	if !ok {
		panic("reservebank: " + key + " is not a sub-account key")
	}
	return &subAccount{
		key: key, account: account, index: index, balance: events.ZeroCNY(),
		debits: map[string]*subDebit{}, returned: map[string]events.Envelope{},
		lent: map[string]events.Envelope{}, credited: map[string]bool{},
	}
}

// debitStatus is where a refund debit stands at its sub-account.
type debitStatus int

const (
	debitHeld     debitStatus = iota + 1 // received, waiting for a borrow round
	debitDone                            // debited
	debitRefused                         // refused, or closed unseen by a query or a reversal
	debitReversed                        // debited, then returned
)

// subDebit is one refund debit. The envelopes are the events that
// recorded it; replies are built from them, so a re-sent reply is
// identical to the first.
type subDebit struct {
	id       string
	txnID    string
	refundID string
	amount   events.Money // zero Money for a debit closed unseen
	status   debitStatus
	reason   string
	held     events.Envelope // ReserveDebitHeld, if the debit waited
	decision events.Envelope // ReserveDebited or ReserveDebitRefused
	reversal events.Envelope // ReserveDebitReversed
}

// cause is the ID of the debit command the bank answers: the link's
// faults on the reply are decided by it, whenever the reply is sent.
func (d *subDebit) cause() string {
	if d.held.ID != "" {
		return d.held.CausationID
	}
	return d.decision.CausationID
}

// wire is the status a query reports.
func (d *subDebit) wire() string {
	switch d.status {
	case debitDone:
		return events.LegDone
	case debitRefused:
		return events.LegRefused
	case debitReversed:
		return events.LegReversed
	}
	return events.LegUnknown // held: the bank has not decided yet
}

// borrowRound is the borrow round of a sub-account that is out.
type borrowRound struct {
	start   events.Envelope // BorrowStarted
	id      string
	debitID string // the debit at the head of the queue, the round's priority
	round   int
	need    events.Money
	// robbed: the sub-account lent money to a round of higher priority
	// while its own was out, so its round may come back short although
	// the account as a whole could pay; see settle.
	robbed bool
}

// fold applies one event of the sub-account at the next sequence. It
// panics on an event that cannot follow the state: the log is corrupt.
func (s *subAccount) fold(env events.Envelope, p events.Payload) {
	bad := func(format string, args ...any) {
		panic(fmt.Sprintf("reservebank: cannot fold %s %s of %s at sequence %d: ", env.Type, env.ID, s.key, env.Sequence) +
			fmt.Sprintf(format, args...))
	}
	move := func(amount, after events.Money, credit bool) {
		var next events.Money
		var err error
		if credit {
			next, err = s.balance.Add(amount)
		} else {
			next, err = s.balance.Sub(amount)
		}
		if err != nil || next.IsNegative() || amount.IsNegative() {
			bad("balance %s cannot move %s", s.balance, amount)
		}
		if !next.Equal(after) {
			bad("balance after is %s, event says %s", next, after)
		}
		s.balance = next
	}
	// decide pops the debit at the head of the queue, or checks that a
	// debit decided without waiting is new. Only a debit that moves money
	// must not overtake held ones; closing an unseen debit moves none.
	decide := func(debitID string, moves bool) *subDebit {
		d, ok := s.debits[debitID]
		switch {
		case !ok:
			if moves && len(s.queue) != 0 {
				bad("debit %s decided ahead of %d held debits", debitID, len(s.queue))
			}
			d = &subDebit{id: debitID}
			s.debits[debitID] = d
		case d.status != debitHeld:
			bad("debit %s decided twice", debitID)
		case len(s.queue) == 0 || s.queue[0] != debitID || s.round != nil:
			bad("held debit %s decided out of turn", debitID)
		default:
			s.queue = s.queue[1:]
		}
		return d
	}
	switch e := p.(type) {
	case events.SubAccountCredited:
		if s.credited[e.TransferID] {
			bad("share %s credited twice", e.TransferID)
		}
		move(e.Amount, e.BalanceAfter, true)
		s.credited[e.TransferID] = true
	case events.ReserveDebitHeld:
		if _, ok := s.debits[e.DebitID]; ok {
			bad("debit %s held twice", e.DebitID)
		}
		s.debits[e.DebitID] = &subDebit{id: e.DebitID, txnID: e.TxnID, refundID: e.RefundID, amount: e.Amount, status: debitHeld, held: env}
		s.queue = append(s.queue, e.DebitID)
	case events.BorrowStarted:
		if s.round != nil || len(s.queue) == 0 || s.queue[0] != e.DebitID {
			bad("round %s for debit %s does not start at the head of the queue", e.BorrowID, e.DebitID)
		}
		s.round = &borrowRound{start: env, id: e.BorrowID, debitID: e.DebitID, round: e.Round, need: e.Need}
	case events.SubAccountLent:
		if _, ok := s.lent[e.BorrowID]; ok {
			bad("lent to round %s twice", e.BorrowID)
		}
		move(e.Amount, e.BalanceAfter, false)
		s.lent[e.BorrowID] = env
		if s.round != nil && e.Amount.IsPositive() {
			s.round.robbed = true
		}
	case events.BorrowReturned:
		if s.round == nil || s.round.id != e.BorrowID {
			bad("round %s is not out", e.BorrowID)
		}
		move(e.Amount, e.BalanceAfter, true)
		s.returned[e.BorrowID] = env
		s.round = nil
	case events.ReserveDebited:
		d := decide(e.DebitID, true)
		if d.held.ID != "" && !d.amount.Equal(e.Amount) {
			bad("debit %s held for %s, debited %s", e.DebitID, d.amount, e.Amount)
		}
		move(e.Amount, e.BalanceAfter, false)
		d.txnID, d.refundID, d.amount, d.status, d.decision = e.TxnID, e.RefundID, e.Amount, debitDone, env
	case events.ReserveDebitRefused:
		d := decide(e.DebitID, false)
		d.txnID, d.refundID, d.status, d.reason, d.decision = e.TxnID, e.RefundID, debitRefused, e.ReasonCode, env
	case events.ReserveDebitReversed:
		d, ok := s.debits[e.DebitID]
		if !ok || d.status != debitDone || !d.amount.Equal(e.Amount) {
			bad("debit %s is not a debit of %s to reverse", e.DebitID, e.Amount)
		}
		move(e.Amount, e.BalanceAfter, true)
		d.status, d.reversal = debitReversed, env
	default:
		bad("not a sub-account event")
	}
	s.seq = env.Sequence
}

// subAccountOf returns the sub-account key an event of a sub-account
// names, and false for any other event.
func subAccountOf(p events.Payload) (string, bool) {
	switch e := p.(type) {
	case events.SubAccountCredited:
		return e.SubAccount, true
	case events.ReserveDebitHeld:
		return e.SubAccount, true
	case events.BorrowStarted:
		return e.SubAccount, true
	case events.SubAccountLent:
		return e.SubAccount, true
	case events.BorrowReturned:
		return e.SubAccount, true
	case events.ReserveDebited:
		return e.SubAccount, true
	case events.ReserveDebitReversed:
		return e.SubAccount, true
	case events.ReserveDebitRefused:
		return "", true // names no sub-account: filed under the debit's
	}
	return "", false
}
