package payerbank

import "github.com/paycore/paycore/events"

// The read-only views below are for tests and audits: they copy out of
// the state and never change it.

// Balance returns the balance of the account under payerKey.
func (h *Handler) Balance(payerKey string) (events.Money, bool) {
	a, ok := h.st.accounts[payerKey]
	if !ok {
		return events.Money{}, false
	}
	return a.balance, true
}

// AgreementView describes an agreement at the payer bank.
type AgreementView struct {
	No              string
	SigningID       string
	ChannelID       string
	PayerKey        string
	Status          AgreementStatus
	PerPaymentLimit events.Money
	DailyLimit      events.Money
	// LegacyNo is the direct-connect number of an imported agreement,
	// which has no SigningID.
	LegacyNo string
}

// Agreement returns the agreement numbered no.
func (h *Handler) Agreement(no string) (AgreementView, bool) {
	a, ok := h.st.agreements[no]
	if !ok {
		return AgreementView{}, false
	}
	return AgreementView{
		No:              a.no,
		SigningID:       a.signingID,
		ChannelID:       a.channelID,
		PayerKey:        a.payerKey,
		Status:          a.status,
		PerPaymentLimit: a.perPaymentLimit,
		DailyLimit:      a.dailyLimit,
		LegacyNo:        a.legacyNo,
	}, true
}

// DailyUsage returns what was debited under agreement no on the Beijing
// day (YYYY-MM-DD), net of reversals; zero for a day with no debits or an
// unknown agreement.
func (h *Handler) DailyUsage(no, day string) events.Money {
	a, ok := h.st.agreements[no]
	if !ok {
		return events.ZeroCNY()
	}
	return a.usedOn(day)
}

// LegView describes the payer leg of a transaction.
type LegView struct {
	TxnID       string
	PayerKey    string
	AgreementNo string // empty when refused
	// Status is events.LegDone, LegRefused or LegReversed.
	Status     string
	ReasonCode string       // set when refused
	Amount     events.Money // set when debited
	Day        string       // set when debited
}

// Leg returns the payer leg of transaction txnID.
func (h *Handler) Leg(txnID string) (LegView, bool) {
	l, ok := h.st.legs[txnID]
	if !ok {
		return LegView{}, false
	}
	return LegView{
		TxnID:       l.txnID,
		PayerKey:    l.payerKey,
		AgreementNo: l.agreementNo,
		Status:      l.status.wire(),
		ReasonCode:  l.reasonCode,
		Amount:      l.amount,
		Day:         l.day,
	}, true
}

// CreditView describes a refund credit at the payer bank.
type CreditView struct {
	CreditID string
	TxnID    string
	PayerKey string
	// Status is events.LegDone (credited) or LegRefused.
	Status     string
	ReasonCode string       // set when refused
	Amount     events.Money // set when credited
}

// Credit returns the refund credit creditID.
func (h *Handler) Credit(creditID string) (CreditView, bool) {
	c, ok := h.st.credits[creditID]
	if !ok {
		return CreditView{}, false
	}
	return CreditView{CreditID: c.creditID, TxnID: c.txnID, PayerKey: c.payerKey, Status: c.status.wire(), ReasonCode: c.reason, Amount: c.amount}, true
}
