package audit

import (
	"sort"

	"github.com/paycore/paycore/events"
)

// The reserve sub-accounts (分户) that refunds debit. Money enters a reserve
// account by fundings and summarized postings, each split into shares
// credited to its sub-accounts; refunds debit a sub-account (reversed when
// the customer's bank refuses the credit); short sub-accounts borrow from
// their siblings (lent, then returned to the borrower). The audit replays
// every sub-account's balance from these events and checks:
//   - each BalanceAfter the bank recorded equals the replay, and no
//     sub-account ever goes below zero;
//   - no share is credited twice, no debit made twice, and every reversal
//     returns a debit of the same amount to the same sub-account;
//   - at rest, per reserve account: everything lent was returned to a
//     borrower, the shares credited add up to the fundings plus the
//     postings, and the sub-accounts hold exactly funded + posted −
//     debited + reversed.

// reserveLedger is one reserve account's sub-account ledger.
type reserveLedger struct {
	balances                   map[string]events.Money // sub-account key
	funded, shares             events.Money
	debited, reversed          events.Money
	lent, returned             events.Money
	transfers                  map[string]bool
	debits                     map[string]subDebit // DebitID
	reversedDebits             map[string]bool
	fundingsSeen, borrowsTaken int
}

type subDebit struct {
	subAccount string
	amount     events.Money
}

func (l *Log) ledger(account string) *reserveLedger {
	r, ok := l.ledgers[account]
	if !ok {
		z := events.ZeroCNY()
		r = &reserveLedger{balances: map[string]events.Money{}, funded: z, shares: z, debited: z, reversed: z, lent: z, returned: z,
			transfers: map[string]bool{}, debits: map[string]subDebit{}, reversedDebits: map[string]bool{}}
		l.ledgers[account] = r
	}
	return r
}

// move applies delta to a sub-account's replayed balance and checks the
// bank's record of it.
func (l *Log) move(r *reserveLedger, sub string, delta events.Money, recorded events.Money, what string) {
	b, ok := r.balances[sub]
	if !ok {
		b = events.ZeroCNY()
	}
	b = add(b, delta)
	r.balances[sub] = b
	if b.IsNegative() {
		l.violate("reserve sub-account %s below zero (%s) after %s", sub, b, what)
	}
	if !b.Equal(recorded) {
		l.violate("reserve sub-account %s: %s recorded balance %s, replay gives %s", sub, what, recorded, b)
		r.balances[sub] = recorded // report each break once
	}
}

// addLedgerEvent folds the reserve bank's sub-account events; it reports
// whether p was one. Refund debits and reversals are folded by
// addRefundEvent too (their refund's side); this is their account's side.
func (l *Log) addLedgerEvent(p events.Payload) bool {
	switch e := p.(type) {
	case events.ReserveFunded:
		r := l.ledger(e.ReserveAccount)
		r.funded = add(r.funded, e.Amount)
		r.fundingsSeen++
	case events.SubAccountCredited:
		r := l.ledger(e.ReserveAccount)
		if r.transfers[e.TransferID] {
			l.violate("reserve account %s: share %s credited twice", e.ReserveAccount, e.TransferID)
		}
		r.transfers[e.TransferID] = true
		r.shares = add(r.shares, e.Amount)
		l.move(r, e.SubAccount, e.Amount, e.BalanceAfter, "share "+e.TransferID)
	case events.SubAccountLent:
		r := l.ledger(e.ReserveAccount)
		r.lent = add(r.lent, e.Amount)
		l.move(r, e.SubAccount, e.Amount.Neg(), e.BalanceAfter, "lending to "+e.Requester)
	case events.BorrowReturned:
		r := l.ledger(e.ReserveAccount)
		r.returned = add(r.returned, e.Amount)
		r.borrowsTaken++
		l.move(r, e.SubAccount, e.Amount, e.BalanceAfter, "borrow "+e.BorrowID)
	default:
		return false
	}
	return true
}

// ledgerDebit folds the account side of a refund debit or its reversal.
func (l *Log) ledgerDebit(p events.Payload) {
	switch e := p.(type) {
	case events.ReserveDebited:
		r := l.ledger(e.ReserveAccount)
		if _, dup := r.debits[e.DebitID]; dup {
			l.violate("reserve debit %s made twice", e.DebitID)
		}
		r.debits[e.DebitID] = subDebit{e.SubAccount, e.Amount}
		r.debited = add(r.debited, e.Amount)
		l.move(r, e.SubAccount, e.Amount.Neg(), e.BalanceAfter, "debit "+e.DebitID)
	case events.ReserveDebitReversed:
		account, _, ok := events.ParseSubAccountKey(e.SubAccount)
		if !ok {
			l.violate("reserve debit %s reversed to %q, not a sub-account", e.DebitID, e.SubAccount)
			return
		}
		r := l.ledger(account)
		d, ok := r.debits[e.DebitID]
		switch {
		case !ok:
			l.violate("reserve debit %s reversed but never made", e.DebitID)
		case r.reversedDebits[e.DebitID]:
			l.violate("reserve debit %s reversed twice", e.DebitID)
		case d.subAccount != e.SubAccount || !d.amount.Equal(e.Amount):
			l.violate("reserve debit %s of %s on %s reversed as %s on %s", e.DebitID, d.amount, d.subAccount, e.Amount, e.SubAccount)
		}
		r.reversedDebits[e.DebitID] = true
		r.reversed = add(r.reversed, e.Amount)
		l.move(r, e.SubAccount, e.Amount, e.BalanceAfter, "reversal of "+e.DebitID)
	}
}

// checkLedgers checks every reserve account's sub-accounts at rest.
func (l *Log) checkLedgers(r *Report) {
	accounts := make([]string, 0, len(l.ledgers))
	for a := range l.ledgers {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	r.ReserveHeld = events.ZeroCNY()
	for _, a := range accounts {
		g := l.ledgers[a]
		if !g.lent.Equal(g.returned) {
			l.violate("reserve account %s: %s lent between sub-accounts, %s returned to borrowers", a, g.lent, g.returned)
		}
		posted := events.ZeroCNY()
		if s, ok := l.summaries[a]; ok {
			posted = s.balance
		}
		in := add(g.funded, posted)
		if !g.shares.Equal(in) {
			l.violate("reserve account %s: shares credited %s, fundings %s + postings %s", a, g.shares, g.funded, posted)
		}
		held := events.ZeroCNY()
		for _, b := range g.balances {
			held = add(held, b)
		}
		if want := add(sub(in, g.debited), g.reversed); !held.Equal(want) {
			l.violate("reserve account %s: sub-accounts hold %s, funded + posted − debited + reversed is %s", a, held, want)
		}
		r.ReserveHeld = add(r.ReserveHeld, held)
		r.ReserveFunded = add(r.ReserveFunded, g.funded)
	}
}
