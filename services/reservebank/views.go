package reservebank

import "github.com/paycore/paycore/events"

// The read-only views below are for tests and audits: they copy out of
// the state and never change it.

// SubAccountBalance returns the balance of the sub-account under key
// (events.SubAccountKey), zero for one this partition has no events of.
func (b *Bank) SubAccountBalance(key string) events.Money {
	if s := b.subs[key]; s != nil {
		return s.balance
	}
	return events.ZeroCNY()
}

// Balances returns the balance of every sub-account of this partition, by
// sub-account key.
func (b *Bank) Balances() map[string]events.Money {
	out := make(map[string]events.Money, len(b.subs))
	for key, s := range b.subs {
		out[key] = s.balance
	}
	return out
}

// HeldDebits returns the IDs of the debits the sub-account under key holds,
// in arrival order (the order they will be decided in).
func (b *Bank) HeldDebits(key string) []string {
	s := b.subs[key]
	if s == nil {
		return nil
	}
	return append([]string(nil), s.queue...)
}

// Funded returns the sum of the fundings of a reserve account (zero if
// none). It panics if the sum exceeds events.MaxAmount, which no real
// reserve account approaches.
func (b *Bank) Funded(reserveAccount string) events.Money {
	total := events.ZeroCNY()
	l := b.accounts[reserveAccount]
	if l == nil {
		return total
	}
	for id, f := range l.fundings {
		sum, err := total.Add(f.amount)
		if err != nil {
			panic("reservebank: fundings of " + reserveAccount + " at " + id + ": " + err.Error())
		}
		total = sum
	}
	return total
}

// DebitView describes a refund debit at its sub-account.
type DebitView struct {
	DebitID    string
	TxnID      string
	RefundID   string
	SubAccount string
	// Status is events.LegDone, LegRefused or LegReversed, or LegUnknown
	// while the debit is held.
	Status     string
	ReasonCode string       // set when refused
	Amount     events.Money // unset for a debit closed unseen
}

// Debit returns the refund debit debitID of the sub-account under key.
func (b *Bank) Debit(key, debitID string) (DebitView, bool) {
	s := b.subs[key]
	if s == nil {
		return DebitView{}, false
	}
	d, ok := s.debits[debitID]
	if !ok {
		return DebitView{}, false
	}
	return DebitView{
		DebitID: d.id, TxnID: d.txnID, RefundID: d.refundID, SubAccount: key,
		Status: d.wire(), ReasonCode: d.reason, Amount: d.amount,
	}, true
}
