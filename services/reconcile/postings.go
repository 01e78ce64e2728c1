package reconcile

import (
	"fmt"
	"maps"
	"slices"

	"github.com/paycore/paycore/events"
)

// Held is a reserve account whose summarized posting waits: some of its
// transactions have discrepancies no correction has resolved yet.
type Held struct {
	ReserveAccount string
	Unresolved     int
}

// ReservePostings decides, from the reserve bank's lines of a batch, which
// reserve accounts get their summarized posting (汇总记账) now.
//
// corrected maps a transaction to the action of its completed correction
// (payment.corrected, as projected). A discrepancy is resolved when it
// ordered an automatic correction and that correction completed; any
// other discrepancy of an account holds its posting until a later
// reconciliation finds the account clean (a corrected statement from the
// bank, or corrections projected by then). A transaction only the bank
// has (only_theirs) belongs to no account of ours and holds none.
//
// An account that is not held is posted the sum of its transactions whose
// credit stands: those we settled (success, presumed_success), except
// ones whose correction ended in a refund to the customer instead of the
// missing credit. With nothing to post, an account gets no posting.
// Results are ordered by account.
func ReservePostings(batchID string, lines []Line, corrected map[string]string) ([]events.PostReserveSummary, []Held, error) {
	type account struct {
		sum        events.Money
		credits    int
		unresolved int
	}
	accounts := map[string]*account{}
	for _, l := range lines {
		if l.Ours == nil {
			continue
		}
		a := accounts[l.Ours.ReserveAccount]
		if a == nil {
			a = &account{sum: events.ZeroCNY()}
			accounts[l.Ours.ReserveAccount] = a
		}
		done, isCorrected := corrected[l.TxnID]
		if l.Discrepant() && (l.Action == "" || !isCorrected) {
			a.unresolved++
		}
		if !l.Ours.Settles() || done == events.ActionRefundCustomer {
			continue
		}
		var err error
		if a.sum, err = a.sum.Add(l.Ours.Amount); err != nil {
			return nil, nil, fmt.Errorf("reconcile: batch %s, account %s: %w", batchID, l.Ours.ReserveAccount, err)
		}
		a.credits++
	}
	var posts []events.PostReserveSummary
	var held []Held
	for _, name := range slices.Sorted(maps.Keys(accounts)) {
		a := accounts[name]
		switch {
		case a.unresolved > 0:
			held = append(held, Held{ReserveAccount: name, Unresolved: a.unresolved})
		case a.credits > 0:
			posts = append(posts, events.PostReserveSummary{ReserveAccount: name, BatchID: batchID, Amount: a.sum, Credits: a.credits})
		}
	}
	return posts, held, nil
}
