package reconcile

import (
	"slices"
	"strings"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
)

// Line is the reconciliation of one transaction.
type Line struct {
	TxnID string
	// Class is events.DiffMatchedNoDiff or a discrepancy class
	// (events.DiffOnlyOurs, ...).
	Class string
	// Ours is our payment (nil for only_theirs); Theirs the bank's row
	// (nil for only_ours).
	Ours   *clearing.Payment
	Theirs *Row
	// Action is the automatic correction, "" when a person must look.
	Action string
}

// Discrepant reports whether the line is a discrepancy.
func (l Line) Discrepant() bool { return l.Class != events.DiffMatchedNoDiff }

// Compare reconciles our batch with a bank's rows and returns one Line per
// transaction of either side, ordered by transaction ID. A transaction
// has one class: a status difference makes its amount moot, so
// amount_differs is reported only when the statuses agree and the bank
// says it moved money (debited, reversed, credited; refused and not_found
// rows carry no amount to compare). bank must be valid.
func Compare(bank string, ours []clearing.Payment, theirs []Row) []Line {
	byTxn := map[string]*Row{}
	for i := range theirs {
		byTxn[theirs[i].TxnID] = &theirs[i]
	}
	lines := make([]Line, 0, max(len(ours), len(theirs)))
	for i := range ours {
		o := &ours[i]
		t, ok := byTxn[o.TxnID]
		if !ok {
			lines = append(lines, Line{TxnID: o.TxnID, Class: events.DiffOnlyOurs, Ours: o})
			continue
		}
		delete(byTxn, o.TxnID)
		lines = append(lines, classify(bank, o, t))
	}
	for _, t := range byTxn {
		lines = append(lines, Line{TxnID: t.TxnID, Class: events.DiffOnlyTheirs, Theirs: t})
	}
	slices.SortFunc(lines, func(a, b Line) int { return strings.Compare(a.TxnID, b.TxnID) })
	return lines
}

// classify compares a transaction both sides have.
func classify(bank string, o *clearing.Payment, t *Row) Line {
	l := Line{TxnID: o.TxnID, Class: events.DiffMatchedNoDiff, Ours: o, Theirs: t}
	switch {
	case o.Settles() != moved(bank, t.Status):
		l.Class = events.DiffStatus
		l.Action = action(bank, o.Status, t.Status)
	case carriesAmount(t.Status) && !t.Amount.Equal(o.Amount):
		l.Class = events.DiffAmount
	}
	return l
}

// moved reports whether the bank's status means the money moved the way
// a successful payment moves it: debited at the payer bank, credited at
// the reserve bank. A reversed debit does not stand.
func moved(bank, status string) bool {
	if bank == events.BankPayer {
		return status == BankDebited
	}
	return status == BankCredited
}

// carriesAmount reports whether a row's amount is money the bank moved.
func carriesAmount(status string) bool {
	return status == BankDebited || status == BankReversed || status == BankCredited
}

// action is the automatic correction of a status difference, or "".
func action(bank, ours, theirs string) string {
	switch {
	case bank == events.BankPayer && theirs == BankDebited &&
		(ours == events.StatusFailure || ours == events.StatusPresumedFailure):
		// The customer paid for a payment that failed: give it back.
		return events.ActionRefundCustomer
	case bank == events.BankReserve && theirs != BankCredited && ours == events.StatusPresumedSuccess:
		// We presumed the credit; the reserve bank never made it.
		return events.ActionCreditReserve
	}
	return ""
}

// Counts tallies lines per class.
func Counts(lines []Line) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		out[l.Class]++
	}
	return out
}
