// Package audit recomputes DOMAIN.md's invariants from the Kafka log alone
// and reports every violation. It trusts no processor state: it folds the
// banks' and the sagas' event logs itself and cross-checks them, so a bug
// in a processor shows up as a difference, not as a silently wrong balance.
//
// Checked (after the system went quiet):
//  1. money: every balance the payer bank recorded equals the replay of its
//     account's events, no balance is ever negative, and each leg moved the
//     payment's amount; total money is conserved across customers, reserve
//     credits and suspense (debits neither credited nor reversed, which
//     reconciliation must resolve);
//  2. one final status per payment, consistent with what the legs did;
//  3. at most one start, one debit, one credit, one reversal per transaction,
//     and at most one correction, recorded only after the payment finished,
//     of an action its final status allows (refund_customer for failure and
//     presumed_failure, credit_reserve for presumed_success, which turns into
//     refund_customer if the reserve refuses), with the money moving as the
//     correction says: a correction's reversal or credit is the one reversal
//     or credit of its transaction;
//  4. per-payment and daily limits of every agreement;
//  5. nothing lost: every request has an outcome or a kept rejection, and
//     every started payment finished;
//  6. summarized postings (汇总记账): one per reserve account and batch,
//     each BalanceAfter the previous one plus its amount, and an account's
//     postings never more than the credits recorded for it;
//  7. refunds (refund.go): of refundable payments only, one final status
//     each agreeing with their legs, never more than the original, and their
//     money in the conservation sum;
//  8. reserve sub-accounts (reserve_ledger.go): balances replayed and
//     never below zero, lending between sub-accounts returned, every share,
//     debit and reversal once;
//  9. the legacy direct link (direct.go): its debits and refunds in the
//     customers' balances, limits and the conservation sum.
package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/paycore/paycore/events"
)

// Report is the result of an audit.
type Report struct {
	Violations []string
	// Figures an operator wants to see next to "clean".
	Payments        int
	FinalStatuses   map[string]int
	Requests        int
	Outcomes        int
	Rejected        int
	OpeningTotal    events.Money
	CustomerTotal   events.Money
	ReserveTotal    events.Money
	SuspenseTotal   events.Money
	ReversedTotal   events.Money
	AccountsChecked int
	// Corrections counts payments corrected by error handling;
	// SummarizedTotal sums every reserve account's summarized postings.
	Corrections     int
	SummarizedTotal events.Money
	// Refunds counts started refunds by final status; RefundedTotal sums
	// the reserve debits of refunds that stand (ReserveTotal is net of it).
	Refunds        int
	RefundStatuses map[string]int
	RefundedTotal  events.Money
	// DirectPaid and DirectRefunded are what the legacy direct link took
	// from customers and gave back (cutover).
	DirectPaid, DirectRefunded events.Money
	// ReserveFunded sums the fundings of reserve accounts; ReserveHeld
	// what their sub-accounts hold for refunds (funded + posted − refunds).
	ReserveFunded, ReserveHeld events.Money
}

// Clean reports whether no invariant was violated.
func (r Report) Clean() bool { return len(r.Violations) == 0 }

// String renders the report for a terminal.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "requests %d, outcomes %d, rejected %d, payments %d\n", r.Requests, r.Outcomes, r.Rejected, r.Payments)
	keys := make([]string, 0, len(r.FinalStatuses))
	for k := range r.FinalStatuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-17s %d\n", k, r.FinalStatuses[k])
	}
	fmt.Fprintf(&b, "money (CNY): opening %s = customers %s + reserve credits net of refunds %s + suspense %s  (%d accounts; reversed %s)\n",
		r.OpeningTotal, r.CustomerTotal, r.ReserveTotal, r.SuspenseTotal, r.AccountsChecked, r.ReversedTotal)
	fmt.Fprintf(&b, "corrections %d; summarized postings %s\n", r.Corrections, r.SummarizedTotal)
	if r.ReserveFunded.IsPositive() || r.ReserveHeld.IsPositive() {
		fmt.Fprintf(&b, "reserve sub-accounts: funded %s, holding %s for refunds\n", r.ReserveFunded, r.ReserveHeld)
	}
	if r.DirectPaid.IsPositive() {
		fmt.Fprintf(&b, "legacy direct link: paid %s, refunded %s\n", r.DirectPaid, r.DirectRefunded)
	}
	if r.Refunds > 0 {
		fmt.Fprintf(&b, "refunds %d, reserve debits standing %s:", r.Refunds, r.RefundedTotal)
		statuses := make([]string, 0, len(r.RefundStatuses))
		for k := range r.RefundStatuses {
			statuses = append(statuses, k)
		}
		sort.Strings(statuses)
		for _, k := range statuses {
			fmt.Fprintf(&b, " %s %d", k, r.RefundStatuses[k])
		}
		b.WriteString("\n")
	}
	if r.Clean() {
		b.WriteString("audit: clean\n")
		return b.String()
	}
	fmt.Fprintf(&b, "audit: %d violation(s)\n", len(r.Violations))
	for i, v := range r.Violations {
		if i == 50 {
			fmt.Fprintf(&b, "  ... %d more\n", len(r.Violations)-50)
			break
		}
		fmt.Fprintf(&b, "  - %s\n", v)
	}
	return b.String()
}
