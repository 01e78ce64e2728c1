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
	violations []string
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
}

// NewLog returns an empty Log.
func NewLog() *Log {
	return &Log{
		seen: map[string]bool{}, accounts: map[string]*account{}, agreements: map[string]*agreement{},
		payments: map[string]*payment{}, requests: map[string]bool{}, outcomes: map[string]bool{}, outcomeIDs: map[string]bool{},
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
