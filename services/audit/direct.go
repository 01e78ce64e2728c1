package audit

import (
	"sort"

	"github.com/paycore/paycore/events"
)

// The legacy direct link (cutover): a direct payment debits the customer at
// the payer bank and the money leaves paycore's model to the institution's
// settlement account at that bank; a legacy refund credits it back from
// outside. The audit replays both on the customer's balance (checked
// against the bank's BalanceAfter, never negative), counts direct debits
// against the agreement's limits like NetsUnion debits (the bank shares
// the daily limit between the paths), keeps the refunds of a direct payment
// within it, and puts both flows into the conservation sum.

// directTxn is one direct payment as the payer bank recorded it.
type directTxn struct {
	debits   int
	debited  events.Money
	refunded events.Money
}

func (l *Log) direct(txn string) *directTxn {
	d, ok := l.directs[txn]
	if !ok {
		d = &directTxn{debited: events.ZeroCNY(), refunded: events.ZeroCNY()}
		l.directs[txn] = d
	}
	return d
}

// addDirectEvent folds the payer bank's direct-link events; it reports
// whether p was one.
func (l *Log) addDirectEvent(env events.Envelope, p events.Payload) bool {
	switch e := p.(type) {
	case events.DirectDebited:
		d := l.direct(e.TxnID)
		d.debits++
		d.debited = add(d.debited, e.Amount)
		l.directOut = add(l.directOut, e.Amount)
		acc, ok := l.accounts[env.AggregateID]
		if !ok {
			l.violate("direct debit %s on unknown account %s", e.TxnID, env.AggregateID)
			return true
		}
		acc.balance = sub(acc.balance, e.Amount)
		if acc.balance.IsNegative() {
			l.violate("account %s below zero (%s) after direct debit %s", env.AggregateID, acc.balance, e.TxnID)
		}
		if !acc.balance.Equal(e.BalanceAfter) {
			l.violate("direct debit %s: bank recorded balance %s, replay gives %s", e.TxnID, e.BalanceAfter, acc.balance)
		}
		l.countAgainstLimits(e.TxnID, e.AgreementNo, e.Day, e.Amount)
	case events.DirectRefundCredited:
		l.direct(e.TxnID).refunded = add(l.direct(e.TxnID).refunded, e.Amount)
		l.directIn = add(l.directIn, e.Amount)
		acc, ok := l.accounts[env.AggregateID]
		if !ok {
			l.violate("legacy refund %s on unknown account %s", e.RefundID, env.AggregateID)
			return true
		}
		acc.balance = add(acc.balance, e.Amount)
		if !acc.balance.Equal(e.BalanceAfter) {
			l.violate("legacy refund %s: bank recorded balance %s, replay gives %s", e.RefundID, e.BalanceAfter, acc.balance)
		}
	default:
		return false
	}
	return true
}

// countAgainstLimits checks a debit against its agreement's per-payment
// and daily limits and adds it to the day's use.
func (l *Log) countAgainstLimits(txn, agreementNo, day string, amount events.Money) {
	ag, ok := l.agreements[agreementNo]
	if !ok {
		l.violate("debit %s under unknown agreement %s", txn, agreementNo)
		return
	}
	if amount.Cmp(ag.perPayment) > 0 {
		l.violate("debit %s of %s above per-payment limit %s", txn, amount, ag.perPayment)
	}
	used, ok := ag.used[day]
	if !ok {
		used = events.ZeroCNY()
	}
	used = add(used, amount)
	ag.used[day] = used
	if used.Cmp(ag.daily) > 0 {
		l.violate("agreement %s: %s debited on %s, daily limit %s", agreementNo, used, day, ag.daily)
	}
}

// checkDirect checks every direct payment: one debit at most, refunds
// never above it.
func (l *Log) checkDirect(r *Report) {
	txns := make([]string, 0, len(l.directs))
	for txn := range l.directs {
		txns = append(txns, txn)
	}
	sort.Strings(txns)
	for _, txn := range txns {
		d := l.directs[txn]
		if d.debits > 1 {
			l.violate("direct payment %s debited %d times", txn, d.debits)
		}
		if d.refunded.Cmp(d.debited) > 0 {
			l.violate("direct payment %s: legacy refunds %s exceed the original %s", txn, d.refunded, d.debited)
		}
	}
	r.DirectPaid, r.DirectRefunded = l.directOut, l.directIn
}
