package audit

import (
	"sort"

	"github.com/paycore/paycore/events"
)

// Refunds (退款), checked from the sagas' refund events and the banks'
// refund legs:
//   - a refund starts at most once, only for a payment that ended success
//     or presumed_success, and ends in exactly one final status that agrees
//     with what its legs did (presumed statuses may be wrong, as for
//     payments);
//   - at most one reserve debit, one return of it and one customer credit
//     per refund, each of the refund's amount;
//   - the refunds of a payment never exceed it: neither the amounts the
//     sagas claim went back (success, presumed_success) nor the money the
//     payer bank really credited;
//   - money: a refund debit stands (debited, not returned) against the
//     reserve credits, a customer credit adds to the customer's replayed
//     balance (checked against the bank's BalanceAfter), and what moved on
//     one side only is refund suspense, part of the conservation sum.

// refund is one refund as folded from the logs.
type refund struct {
	txnID                string
	amount               events.Money
	started, finished    int
	status               string
	debits, returns      int
	credits              int
	debited, credited    events.Money
	debitRef, creditRef  string // the bank's refusal reasons, if any
	startedOnRefundable  bool
	startedPaymentStatus string
}

func (l *Log) refund(id string) *refund {
	f, ok := l.refunds[id]
	if !ok {
		f = &refund{amount: events.ZeroCNY(), debited: events.ZeroCNY(), credited: events.ZeroCNY()}
		l.refunds[id] = f
	}
	return f
}

// addRefundEvent folds the refund events of every log; it reports whether
// p was one.
func (l *Log) addRefundEvent(env events.Envelope, p events.Payload) bool {
	switch e := p.(type) {
	case events.RefundStarted:
		f := l.refund(e.Request.RefundID)
		f.started++
		f.txnID, f.amount = e.Request.TxnID, e.Request.Amount
		// saga.events holds a payment's events in order: its
		// payment.finished has been folded before any refund of it.
		f.startedPaymentStatus = l.pay(e.Request.TxnID).status
	case events.RefundFinished:
		f := l.refund(e.RefundID)
		f.finished++
		if f.finished > 1 && f.status != e.Status {
			l.violate("refund %s: final status changed from %s to %s", e.RefundID, f.status, e.Status)
		}
		f.status = e.Status
	case events.ReserveDebited:
		f := l.refund(e.RefundID)
		f.debits++
		f.debited = add(f.debited, e.Amount)
		if f.txnID == "" {
			f.txnID = e.TxnID
		}
	case events.ReserveDebitReversed:
		l.refund(e.RefundID).returns++
	case events.ReserveDebitRefused:
		l.refund(e.RefundID).debitRef = e.ReasonCode
	case events.PayerCredited:
		f := l.refund(e.RefundID)
		f.credits++
		f.credited = add(f.credited, e.Amount)
		if f.txnID == "" {
			f.txnID = e.TxnID
		}
		acc, ok := l.accounts[env.AggregateID]
		if !ok {
			l.violate("refund credit %s on unknown account %s", e.RefundID, env.AggregateID)
			return true
		}
		acc.balance = add(acc.balance, e.Amount)
		if !acc.balance.Equal(e.BalanceAfter) {
			l.violate("refund credit %s: bank recorded balance %s, replay gives %s", e.RefundID, e.BalanceAfter, acc.balance)
		}
	case events.PayerCreditRefused:
		l.refund(e.RefundID).creditRef = e.ReasonCode
	default:
		return false
	}
	return true
}

// checkRefunds checks every refund and the refunds of every payment, and
// returns what the refunds took out of the reserve accounts (debits that
// stand) and their suspense (money that moved on one side only).
func (l *Log) checkRefunds(r *Report) (reserveOut, suspense events.Money) {
	reserveOut, suspense = events.ZeroCNY(), events.ZeroCNY()
	ids := make([]string, 0, len(l.refunds))
	for id := range l.refunds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	claimed := map[string]events.Money{}  // per payment: success + presumed_success
	credited := map[string]events.Money{} // per payment: what customers got back
	for _, id := range ids {
		f := l.refunds[id]
		if f.started == 0 {
			if f.debits > 0 || f.credits > 0 {
				l.violate("refund %s: bank legs without a started refund", id)
			}
			continue
		}
		r.Refunds++
		r.RefundStatuses[f.status]++
		switch {
		case f.started > 1:
			l.violate("refund %s started %d times", id, f.started)
		case f.finished == 0:
			l.violate("refund %s never reached a final status", id)
		case f.finished > 1:
			l.violate("refund %s finished %d times", id, f.finished)
		case f.debits > 1, f.returns > 1, f.credits > 1:
			l.violate("refund %s: %d reserve debits, %d returns, %d customer credits (at most one each)", id, f.debits, f.returns, f.credits)
		}
		if s := f.startedPaymentStatus; s != events.StatusSuccess && s != events.StatusPresumedSuccess {
			l.violate("refund %s of payment %s that was %q when it started", id, f.txnID, s)
		}
		if f.debits == 1 && !f.debited.Equal(f.amount) {
			l.violate("refund %s: reserve debited %s, refund amount %s", id, f.debited, f.amount)
		}
		if f.credits == 1 && !f.credited.Equal(f.amount) {
			l.violate("refund %s: customer credited %s, refund amount %s", id, f.credited, f.amount)
		}
		if f.returns > 0 && f.debits == 0 {
			l.violate("refund %s: reserve debit returned without a debit", id)
		}
		debitStands := f.debits == 1 && f.returns == 0
		isCredited := f.credits == 1
		switch f.status {
		case events.StatusSuccess:
			if !debitStands || !isCredited {
				l.violate("refund %s success but reserve debit stands=%v customer credited=%v", id, debitStands, isCredited)
			}
		case events.StatusFailure:
			if debitStands || isCredited {
				l.violate("refund %s failure but reserve debit stands=%v customer credited=%v", id, debitStands, isCredited)
			}
		case events.StatusPresumedSuccess:
			if !debitStands {
				l.violate("refund %s presumed_success without a standing reserve debit", id)
			}
		case events.StatusPresumedFailure:
			if isCredited {
				l.violate("refund %s presumed_failure but the customer was credited", id)
			}
		}
		if debitStands {
			reserveOut = add(reserveOut, f.debited)
		}
		switch {
		case debitStands && !isCredited:
			suspense = add(suspense, f.debited)
		case isCredited && !debitStands:
			suspense = sub(suspense, f.credited)
		}
		if f.status == events.StatusSuccess || f.status == events.StatusPresumedSuccess {
			claimed[f.txnID] = add(moneyOr(claimed, f.txnID), f.amount)
		}
		if isCredited {
			credited[f.txnID] = add(moneyOr(credited, f.txnID), f.credited)
		}
	}
	for _, m := range []struct {
		what string
		sums map[string]events.Money
	}{{"claimed refunded", claimed}, {"credited back to the customer", credited}} {
		txns := make([]string, 0, len(m.sums))
		for txn := range m.sums {
			txns = append(txns, txn)
		}
		sort.Strings(txns)
		for _, txn := range txns {
			if p := l.payments[txn]; p == nil || m.sums[txn].Cmp(p.amount) > 0 {
				amount := events.ZeroCNY()
				if p != nil {
					amount = p.amount
				}
				l.violate("payment %s: %s %s exceeds the original %s", txn, m.what, m.sums[txn], amount)
			}
		}
	}
	r.RefundedTotal = reserveOut
	return reserveOut, suspense
}

func moneyOr(m map[string]events.Money, k string) events.Money {
	if v, ok := m[k]; ok {
		return v
	}
	return events.ZeroCNY()
}
