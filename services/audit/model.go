package audit

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// Log is what the audit reads: every record of the topics it checks, in
// partition order. Feed it with Add* and call Check.
type Log struct {
	seen map[string]bool // event IDs: two owners may write the same event

	accounts   map[string]*account // payer key
	agreements map[string]*agreement
	payments   map[string]*payment // txn ID
	requests   map[string]bool     // channel + order ID of parseable requests
	unparsed   int                 // requests without a readable order ID
	outcomes   map[string]bool     // channel + order ID
	outcomeIDs map[string]bool
	rejected   int
	// summaries are the summarized postings per reserve account, credits
	// the per-transaction credits they must cover.
	summaries map[string]*summary
	credits   map[string]events.Money // reserve account
	refunds   map[string]*refund      // refund ID
	// directs are the payer bank's direct-link payments; directOut and
	// directIn what left to and came back from the direct link.
	directs             map[string]*directTxn
	ledgers             map[string]*reserveLedger // reserve account
	directOut, directIn events.Money
	violations          []string
}

// summary is one reserve account's summarized postings (汇总记账), as
// folded in log order.
type summary struct {
	balance events.Money
	batches map[string]bool
}

type account struct {
	opening events.Money
	balance events.Money
}

type agreement struct {
	perPayment, daily events.Money
	used              map[string]events.Money // Beijing day → net debits
}

type payment struct {
	amount                      events.Money
	agreementNo, payerKey       string
	debitAgreement, debitDay    string
	started, finished           int
	status                      string
	debits, credits, reversals  int
	debited, credited           events.Money
	debitRefused, creditRefused bool
	// correction: the actions its correction_started events named, and its
	// payment.corrected (count, action, what moved).
	correcting      map[string]bool
	corrected       int
	correctedAction string
	correctedAmount events.Money
}

// movedBy reports whether the payment's correction ended with action and
// moved money.
func (p *payment) movedBy(action string) bool {
	return p.corrected == 1 && p.correctedAction == action && p.correctedAmount.IsPositive()
}

// NewLog returns an empty Log.
func NewLog() *Log {
	return &Log{
		seen: map[string]bool{}, accounts: map[string]*account{}, agreements: map[string]*agreement{},
		payments: map[string]*payment{}, requests: map[string]bool{}, outcomes: map[string]bool{}, outcomeIDs: map[string]bool{},
		summaries: map[string]*summary{}, credits: map[string]events.Money{}, refunds: map[string]*refund{},
		directs: map[string]*directTxn{}, ledgers: map[string]*reserveLedger{}, directOut: events.ZeroCNY(), directIn: events.ZeroCNY(),
	}
}

func (l *Log) violate(format string, args ...any) {
	l.violations = append(l.violations, fmt.Sprintf(format, args...))
}

func (l *Log) pay(txn string) *payment {
	p, ok := l.payments[txn]
	if !ok {
		p = &payment{amount: events.ZeroCNY(), debited: events.ZeroCNY(), credited: events.ZeroCNY()}
		l.payments[txn] = p
	}
	return p
}

// first reports whether an event ID is new (and remembers it).
func (l *Log) first(id string) bool {
	if l.seen[id] {
		return false
	}
	l.seen[id] = true
	return true
}

func add(a, b events.Money) events.Money {
	s, err := a.Add(b)
	if err != nil {
		panic(err) // CNY only, within range: the log was validated on decode
	}
	return s
}

func sub(a, b events.Money) events.Money {
	s, err := a.Sub(b)
	if err != nil {
		panic(err)
	}
	return s
}
