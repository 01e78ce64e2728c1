package audit

import (
	"sort"

	"github.com/paycore/paycore/events"
)

// Check evaluates every invariant over what was added and returns the
// report. Call it when the system is quiet (all requests answered).
func (l *Log) Check() Report {
	r := Report{
		FinalStatuses: map[string]int{}, OpeningTotal: events.ZeroCNY(), CustomerTotal: events.ZeroCNY(),
		ReserveTotal: events.ZeroCNY(), SuspenseTotal: events.ZeroCNY(), ReversedTotal: events.ZeroCNY(),
		SummarizedTotal: events.ZeroCNY(), RefundStatuses: map[string]int{}, RefundedTotal: events.ZeroCNY(),
		DirectPaid: events.ZeroCNY(), DirectRefunded: events.ZeroCNY(), ReserveFunded: events.ZeroCNY(),
	}
	for _, a := range l.accounts {
		r.OpeningTotal = add(r.OpeningTotal, a.opening)
		r.CustomerTotal = add(r.CustomerTotal, a.balance)
		r.AccountsChecked++
	}
	txns := make([]string, 0, len(l.payments))
	for id := range l.payments {
		txns = append(txns, id)
	}
	sort.Strings(txns)
	for _, id := range txns {
		l.checkPayment(id, l.payments[id], &r)
	}
	l.checkSummaries(&r)
	// Refund debits that stand took money out of the reserve credits and
	// gave it back to customers; what moved on one side only is suspense.
	refunded, refundSuspense := l.checkRefunds(&r)
	r.ReserveTotal = sub(r.ReserveTotal, refunded)
	r.SuspenseTotal = add(r.SuspenseTotal, refundSuspense)
	l.checkDirect(&r)
	l.checkLedgers(&r)
	// Conservation: what left customers is in reserve accounts, in
	// suspense, or (net) paid out over the legacy direct link, never
	// anywhere else.
	inFlight := add(add(r.CustomerTotal, r.ReserveTotal), r.SuspenseTotal)
	inFlight = sub(add(inFlight, r.DirectPaid), r.DirectRefunded)
	if !inFlight.Equal(r.OpeningTotal) {
		l.violate("money not conserved: opening %s, customers+reserve+suspense+direct net %s", r.OpeningTotal, inFlight)
	}
	for key := range l.requests {
		if !l.outcomes[key] {
			l.violate("request %q has no outcome", key)
		}
	}
	r.Requests = len(l.requests) + l.unparsed
	r.Outcomes = len(l.outcomeIDs)
	r.Rejected = l.rejected
	if l.unparsed > l.rejected {
		l.violate("%d unreadable requests but only %d kept rejections", l.unparsed, l.rejected)
	}
	r.Violations = l.violations
	return r
}

func (l *Log) checkPayment(id string, p *payment, r *Report) {
	if p.started == 0 {
		// Legs without a saga: a bank executed something the switch never
		// asked for.
		if p.debits > 0 || p.credits > 0 {
			l.violate("txn %s: bank legs without a started payment", id)
		}
		return
	}
	r.Payments++
	r.FinalStatuses[p.status]++
	switch {
	case p.started > 1:
		l.violate("txn %s started %d times (idempotency key processed twice)", id, p.started)
	case p.finished == 0:
		l.violate("txn %s never reached a final status", id)
	case p.debits > 1, p.credits > 1, p.reversals > 1:
		l.violate("txn %s: %d debits, %d credits, %d reversals (at most one each)", id, p.debits, p.credits, p.reversals)
	}
	if p.finished > 1 {
		l.violate("txn %s finished %d times (one final status, recorded once)", id, p.finished)
	}
	debitStands := p.debits == 1 && p.reversals == 0
	credited := p.credits == 1
	if p.debits == 1 && !p.debited.Equal(p.amount) {
		l.violate("txn %s: debited %s, payment amount %s", id, p.debited, p.amount)
	}
	if credited && !p.credited.Equal(p.amount) {
		l.violate("txn %s: credited %s, payment amount %s", id, p.credited, p.amount)
	}
	if p.reversals > 0 && p.debits == 0 {
		l.violate("txn %s reversed without a debit", id)
	}
	if p.reversals > 0 {
		r.ReversedTotal = add(r.ReversedTotal, p.debited)
	}
	if credited {
		r.ReserveTotal = add(r.ReserveTotal, p.credited)
	}
	switch {
	case debitStands && !credited:
		r.SuspenseTotal = add(r.SuspenseTotal, p.debited)
	case credited && !debitStands:
		// The reserve was credited for money never taken from a customer.
		r.SuspenseTotal = sub(r.SuspenseTotal, p.credited)
	}
	// The final status must agree with what the legs did, except where a
	// presumption is allowed to be wrong (reconciliation corrects it).
	switch p.status {
	case events.StatusSuccess:
		if !debitStands || !credited {
			l.violate("txn %s success but debit stands=%v credited=%v", id, debitStands, credited)
		}
	case events.StatusFailure:
		if debitStands || credited {
			l.violate("txn %s failure but debit stands=%v credited=%v", id, debitStands, credited)
		}
	case events.StatusPresumedSuccess:
		// A reserve that refused the correction's credit turns it into a
		// refund: then no debit stands, and rightly so.
		if !debitStands && !p.movedBy(events.ActionRefundCustomer) {
			l.violate("txn %s presumed_success without a standing debit", id)
		}
	case events.StatusPresumedFailure:
		if credited {
			l.violate("txn %s presumed_failure but the reserve was credited", id)
		}
	}
	l.checkCorrection(id, p, r)
}

// checkCorrection checks a payment's error-handling correction: one at
// most, of an action its final status allows, and money that moved as the
// correction says. Presumed payments never reverse in their own flow, so
// a reversal of one is a correction's, and must have been recorded as
// moving money.
func (l *Log) checkCorrection(id string, p *payment, r *Report) {
	if p.corrected > 0 {
		r.Corrections++
	}
	presumed := p.status == events.StatusPresumedFailure || p.status == events.StatusPresumedSuccess
	if presumed && p.reversals > 0 && !p.movedBy(events.ActionRefundCustomer) {
		l.violate("txn %s %s reversed without a refund correction that moved it", id, p.status)
	}
	switch {
	case p.corrected == 0:
		return
	case p.corrected > 1:
		l.violate("txn %s corrected %d times (at most one correction)", id, p.corrected)
		return
	case !p.correcting[p.correctedAction]:
		l.violate("txn %s corrected by %s, which no correction_started began", id, p.correctedAction)
	}
	var fits bool
	switch p.correctedAction {
	case events.ActionRefundCustomer:
		fits = p.status == events.StatusFailure || p.status == events.StatusPresumedFailure ||
			p.status == events.StatusPresumedSuccess && p.correcting[events.ActionCreditReserve]
	case events.ActionCreditReserve:
		fits = p.status == events.StatusPresumedSuccess
	}
	if !fits {
		l.violate("txn %s: correction %s of a %s payment", id, p.correctedAction, p.status)
	}
	if !p.correctedAmount.IsZero() && !p.correctedAmount.Equal(p.amount) {
		l.violate("txn %s: correction moved %s of a payment of %s", id, p.correctedAmount, p.amount)
	}
	switch {
	case p.movedBy(events.ActionRefundCustomer) && p.reversals != 1:
		l.violate("txn %s: refund correction moved %s, but %d reversals", id, p.correctedAmount, p.reversals)
	case p.movedBy(events.ActionCreditReserve) && p.credits != 1:
		l.violate("txn %s: credit correction moved %s, but %d credits", id, p.correctedAmount, p.credits)
	}
}

// checkSummaries checks that no reserve account's summarized postings
// exceed the credits recorded for it: a summary posts credits that
// happened, never more.
func (l *Log) checkSummaries(r *Report) {
	accounts := make([]string, 0, len(l.summaries))
	for account := range l.summaries {
		accounts = append(accounts, account)
	}
	sort.Strings(accounts)
	for _, account := range accounts {
		posted := l.summaries[account].balance
		r.SummarizedTotal = add(r.SummarizedTotal, posted)
		if credits := l.creditsOf(account); posted.Cmp(credits) > 0 {
			l.violate("reserve account %s: summarized postings %s exceed its credits %s", account, posted, credits)
		}
	}
}
