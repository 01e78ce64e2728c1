package audit

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/paycore/paycore/events"
)

// AddEvent folds one event of payer.events, reserve.events or saga.events.
func (l *Log) AddEvent(env events.Envelope, p events.Payload) {
	if !l.first(env.ID) {
		return
	}
	switch e := p.(type) {
	case events.AccountOpened:
		if _, dup := l.accounts[e.PayerKey]; dup {
			l.violate("account %s opened twice", e.PayerKey)
			return
		}
		l.accounts[e.PayerKey] = &account{opening: e.OpeningBalance, balance: e.OpeningBalance}
	case events.AgreementSigned:
		l.agreements[e.AgreementNo] = &agreement{perPayment: e.PerPaymentLimit, daily: e.DailyLimit, used: map[string]events.Money{}}
	case events.AgreementImported: // a migrated stock agreement: limits alike
		l.agreements[e.AgreementNo] = &agreement{perPayment: e.PerPaymentLimit, daily: e.DailyLimit, used: map[string]events.Money{}}
	case events.PayerDebited:
		l.debit(env, e)
	case events.PayerDebitReversed:
		l.reverse(env, e)
	case events.PayerDebitRefused:
		l.pay(e.TxnID).debitRefused = true
	case events.ReserveCredited:
		p := l.pay(e.TxnID)
		p.credits++
		p.credited = add(p.credited, e.Amount)
		l.credits[e.ReserveAccount] = add(l.creditsOf(e.ReserveAccount), e.Amount)
	case events.ReserveSummaryPosted:
		l.postSummary(env, e)
	case events.ReserveCreditRefused:
		l.pay(e.TxnID).creditRefused = true
	case events.PaymentStarted:
		p := l.pay(e.Request.TxnID)
		p.started++
		p.amount = e.Request.Amount
		p.agreementNo, p.payerKey = e.Request.AgreementNo, e.Request.PayerKey
	case events.PaymentFinished:
		p := l.pay(e.TxnID)
		p.finished++
		if p.finished > 1 && p.status != e.Status {
			l.violate("payment %s: final status changed from %s to %s", e.TxnID, p.status, e.Status)
		}
		p.status = e.Status
	case events.PaymentCorrectionStarted:
		// saga.events holds a payment's events in order, so its
		// payment.finished, if any, has been folded.
		p := l.pay(e.TxnID)
		if p.finished == 0 {
			l.violate("payment %s: correction %s started before it finished", e.TxnID, e.Action)
		}
		if p.correcting == nil {
			p.correcting = map[string]bool{}
		}
		p.correcting[e.Action] = true
	case events.PaymentCorrected:
		p := l.pay(e.TxnID)
		if p.finished == 0 {
			l.violate("payment %s: payment.corrected before it finished", e.TxnID)
		}
		p.corrected++
		p.correctedAction, p.correctedAmount = e.Action, e.Amount
	default:
		if l.addRefundEvent(env, p) {
			l.ledgerDebit(p)
			return
		}
		if !l.addLedgerEvent(p) {
			l.addDirectEvent(env, p)
		}
	}
}

// postSummary folds a summarized posting of a reserve account: one per
// (account, batch), each BalanceAfter the previous balance plus its
// amount. An account's postings share one partition, so log order is
// posting order.
func (l *Log) postSummary(env events.Envelope, e events.ReserveSummaryPosted) {
	if env.AggregateID != e.ReserveAccount {
		l.violate("summary of %s batch %s filed under %s", e.ReserveAccount, e.BatchID, env.AggregateID)
	}
	s, ok := l.summaries[e.ReserveAccount]
	if !ok {
		s = &summary{balance: events.ZeroCNY(), batches: map[string]bool{}}
		l.summaries[e.ReserveAccount] = s
	}
	if s.batches[e.BatchID] {
		l.violate("reserve account %s: batch %s posted twice", e.ReserveAccount, e.BatchID)
	}
	s.batches[e.BatchID] = true
	if e.Amount.IsNegative() {
		l.violate("reserve account %s: batch %s posted %s", e.ReserveAccount, e.BatchID, e.Amount)
	}
	s.balance = add(s.balance, e.Amount)
	if !s.balance.Equal(e.BalanceAfter) {
		l.violate("reserve account %s: batch %s recorded balance %s, postings add up to %s",
			e.ReserveAccount, e.BatchID, e.BalanceAfter, s.balance)
		s.balance = e.BalanceAfter // report each break once, not every posting after it
	}
}

func (l *Log) creditsOf(account string) events.Money {
	if m, ok := l.credits[account]; ok {
		return m
	}
	return events.ZeroCNY()
}

func (l *Log) debit(env events.Envelope, e events.PayerDebited) {
	p := l.pay(e.TxnID)
	p.debits++
	p.debited = add(p.debited, e.Amount)
	p.debitAgreement, p.debitDay = e.AgreementNo, e.Day
	acc, ok := l.accounts[env.AggregateID]
	if !ok {
		l.violate("debit %s on unknown account %s", e.TxnID, env.AggregateID)
		return
	}
	acc.balance = sub(acc.balance, e.Amount)
	if acc.balance.IsNegative() {
		l.violate("account %s below zero (%s) after debit %s", env.AggregateID, acc.balance, e.TxnID)
	}
	if !acc.balance.Equal(e.BalanceAfter) {
		l.violate("debit %s: bank recorded balance %s, replay gives %s", e.TxnID, e.BalanceAfter, acc.balance)
	}
	l.countAgainstLimits(e.TxnID, e.AgreementNo, e.Day, e.Amount)
}

func (l *Log) reverse(env events.Envelope, e events.PayerDebitReversed) {
	p := l.pay(e.TxnID)
	p.reversals++
	if acc, ok := l.accounts[env.AggregateID]; ok {
		acc.balance = add(acc.balance, e.Amount)
		if !acc.balance.Equal(e.BalanceAfter) {
			l.violate("reversal %s: bank recorded balance %s, replay gives %s", e.TxnID, e.BalanceAfter, acc.balance)
		}
	}
	// The bank gives a reversed amount back to the debit's day.
	if ag, ok := l.agreements[p.debitAgreement]; ok && p.debitDay != "" {
		if used, ok := ag.used[p.debitDay]; ok {
			ag.used[p.debitDay] = sub(used, e.Amount)
		}
	}
}

// AddRequest counts one record of the requests topic.
func (l *Log) AddRequest(value []byte) {
	var r struct {
		ChannelID string `json:"channel_id"`
		OrderID   string `json:"order_id"`
	}
	// Invalid UTF-8 is refused by the intake before it reads any field
	// (encoding/json would quietly repair it), so it counts as unreadable.
	if !utf8.Valid(value) || json.Unmarshal(value, &r) != nil || r.OrderID == "" {
		l.unparsed++
		return
	}
	l.requests[r.ChannelID+"\x00"+r.OrderID] = true
}

// AddOutcome counts one record of the outcomes topic.
func (l *Log) AddOutcome(o events.Outcome) {
	l.outcomeIDs[o.OutcomeID] = true
	l.outcomes[o.ChannelID+"\x00"+o.OrderID] = true
}

// AddRejected counts one record of the rejects topic.
func (l *Log) AddRejected() { l.rejected++ }
