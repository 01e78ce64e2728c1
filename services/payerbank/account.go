package payerbank

import (
	"github.com/paycore/paycore/events"
)

// account is a customer account at the payer bank: the balance that debits
// and reversals move, the identity a signing must match, and which channels
// hold an active agreement on it (at most one each).
type account struct {
	opened  events.AccountOpened // as recorded, to recognise a repeated OpenAccount
	balance events.Money
	active  map[string]string // channel ID → number of its active agreement
}

// sameOpening reports whether c repeats the command that opened a, which is
// then a redelivery with nothing left to do.
func (a *account) sameOpening(c events.OpenAccount) bool {
	o := openingOf(c)
	return a.opened.Account == o.Account && a.opened.Holder == o.Holder && a.opened.OpeningBalance.Equal(o.OpeningBalance)
}

// holds reports whether accountNo is this account. The payer key already
// derives from it; comparing guards against a deriver with another secret.
func (a *account) holds(accountNo string) bool { return a.opened.Account == accountNo }

// identityMatches reports whether the holder's name, ID number and phone
// are the bank's records, all three exactly. Signings identify the holder
// by resident identity card, so an account held under another document
// never matches, whatever its number.
func (a *account) identityMatches(holder, idNumber, phone string) bool {
	return a.opened.Holder == events.AccountHolder{Name: holder, IDType: events.IDTypeResidentID, IDNumber: idNumber, Phone: phone}
}

// hasActiveAgreement reports whether channelID holds an active agreement
// on the account.
func (a *account) hasActiveAgreement(channelID string) bool {
	_, ok := a.active[channelID]
	return ok
}

// covers reports whether the balance covers amount.
func (a *account) covers(amount events.Money) bool { return a.balance.Cmp(amount) >= 0 }

// accountOpened folds payer.account_opened.
func (st *state) accountOpened(env events.Envelope, e events.AccountOpened) {
	if _, ok := st.accounts[env.AggregateID]; ok {
		impossible(env, "account already open")
	}
	if e.OpeningBalance.IsNegative() {
		impossible(env, "negative opening balance %s", e.OpeningBalance)
	}
	st.accounts[env.AggregateID] = &account{opened: e, balance: e.OpeningBalance, active: map[string]string{}}
}

// debit takes amount from the balance; fold only.
func (a *account) debit(env events.Envelope, amount events.Money) {
	b, err := a.balance.Sub(amount)
	if err != nil || b.IsNegative() {
		impossible(env, "balance %s cannot pay %s", a.balance, amount)
	}
	a.balance = b
}

// credit returns amount to the balance; fold only.
func (a *account) credit(env events.Envelope, amount events.Money) {
	b, err := a.balance.Add(amount)
	if err != nil {
		impossible(env, "crediting %s to %s: %v", amount, a.balance, err)
	}
	a.balance = b
}

// bind records channelID's active agreement; fold only.
func (a *account) bind(env events.Envelope, channelID, agreementNo string) {
	if prev, ok := a.active[channelID]; ok {
		impossible(env, "channel %s already holds active agreement %s", channelID, prev)
	}
	a.active[channelID] = agreementNo
}

// unbind forgets channelID's active agreement agreementNo; fold only.
func (a *account) unbind(env events.Envelope, channelID, agreementNo string) {
	if a.active[channelID] != agreementNo {
		impossible(env, "agreement %s is not channel %s's active agreement", agreementNo, channelID)
	}
	delete(a.active, channelID)
}
