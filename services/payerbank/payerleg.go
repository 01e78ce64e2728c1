package payerbank

import (
	"github.com/paycore/paycore/events"
)

// legStatus is where a payer leg stands; wire gives its name in status
// reports.
type legStatus int

const (
	legDone     legStatus = iota + 1 // debited
	legRefused                       // refused, or closed unseen by a query or reversal
	legReversed                      // debited, then given back
)

func (s legStatus) wire() string {
	switch s {
	case legDone:
		return events.LegDone
	case legRefused:
		return events.LegRefused
	case legReversed:
		return events.LegReversed
	}
	panic("payerbank: unset leg status")
}

// payerLeg is the payer-bank leg of one transaction: at most one debit of
// the customer under an agreement, and at most one reversal of it. It
// remembers the replies it caused, so redelivered commands are answered,
// not re-decided.
type payerLeg struct {
	txnID         string
	payerKey      string
	agreementNo   string
	amount        events.Money // set when debited
	day           string       // Beijing day the debit counts against
	status        legStatus
	reasonCode    string          // why it was refused
	debitReply    events.Envelope // PayerDebited or PayerDebitRefused
	reversalReply events.Envelope // PayerDebitReversed
}

// decideDebit checks a DebitPayer for a transaction the bank has not seen,
// in the documented order. agr and acct are nil when absent; day is the
// Beijing date of the command.
func decideDebit(agr *agreement, acct *account, c events.DebitPayer, day string) events.Payload {
	refuse := func(code string) events.Payload {
		return events.PayerDebitRefused{TxnID: c.TxnID, ReasonCode: code}
	}
	if !c.Amount.IsPositive() {
		return refuse(events.CodeAmountNotPositive)
	}
	if agr == nil || agr.payerKey != c.PayerKey {
		return refuse(events.ReasonAgreementNotFound)
	}
	if reason := agr.debitRefusal(c.ChannelID, c.Amount, day); reason != "" {
		return refuse(reason)
	}
	if !acct.covers(c.Amount) {
		return refuse(events.ReasonInsufficientFunds)
	}
	after, err := acct.balance.Sub(c.Amount)
	if err != nil {
		// Both operands are within MaxAmount and the balance covers the
		// amount: unreachable.
		panic("payerbank: " + err.Error())
	}
	return events.PayerDebited{TxnID: c.TxnID, AgreementNo: c.AgreementNo, Amount: c.Amount, BalanceAfter: after, Day: day}
}

// report is what a status query learns about the leg.
func (l *payerLeg) report(txnID string, attempt int) events.DebitStatusReported {
	return events.DebitStatusReported{TxnID: txnID, Attempt: attempt, Status: l.status.wire(), ReasonCode: l.reasonCode}
}

// decideReversal returns the reversal of a debited leg; the account is
// the leg's.
func (l *payerLeg) decideReversal(acct *account) events.PayerDebitReversed {
	after, err := acct.balance.Add(l.amount)
	if err != nil {
		// The balance was at least the amount higher before the debit.
		panic("payerbank: " + err.Error())
	}
	return events.PayerDebitReversed{TxnID: l.txnID, Amount: l.amount, BalanceAfter: after}
}

// payerDebited folds payer.payer_debited: the account pays, and the amount
// counts against the agreement's day.
func (st *state) payerDebited(env events.Envelope, e events.PayerDebited) {
	if _, ok := st.legs[e.TxnID]; ok {
		impossible(env, "transaction %s already has a payer leg", e.TxnID)
	}
	acct, ok := st.accounts[env.AggregateID]
	if !ok {
		impossible(env, "no account")
	}
	agr, ok := st.agreements[e.AgreementNo]
	if !ok {
		impossible(env, "no agreement %s", e.AgreementNo)
	}
	acct.debit(env, e.Amount)
	if !acct.balance.Equal(e.BalanceAfter) {
		impossible(env, "balance after is %s, event says %s", acct.balance, e.BalanceAfter)
	}
	agr.use(env, e.Day, e.Amount)
	st.legs[e.TxnID] = &payerLeg{
		txnID:       e.TxnID,
		payerKey:    env.AggregateID,
		agreementNo: e.AgreementNo,
		amount:      e.Amount,
		day:         e.Day,
		status:      legDone,
		debitReply:  env,
	}
}

// payerDebitRefused folds payer.payer_debit_refused. Nothing moves; the
// transaction is closed, so a debit arriving later is refused too.
func (st *state) payerDebitRefused(env events.Envelope, e events.PayerDebitRefused) {
	if _, ok := st.legs[e.TxnID]; ok {
		impossible(env, "transaction %s already has a payer leg", e.TxnID)
	}
	st.legs[e.TxnID] = &payerLeg{
		txnID:      e.TxnID,
		payerKey:   env.AggregateID,
		status:     legRefused,
		reasonCode: e.ReasonCode,
		debitReply: env,
	}
}

// payerDebitReversed folds payer.payer_debit_reversed: the account gets the
// amount back, and so does the day's usage.
func (st *state) payerDebitReversed(env events.Envelope, e events.PayerDebitReversed) {
	l, ok := st.legs[e.TxnID]
	if !ok || l.status != legDone {
		impossible(env, "transaction %s has no debit to reverse", e.TxnID)
	}
	if !l.amount.Equal(e.Amount) {
		impossible(env, "reversing %s of a %s debit", e.Amount, l.amount)
	}
	acct := st.accounts[l.payerKey]
	acct.credit(env, e.Amount)
	if !acct.balance.Equal(e.BalanceAfter) {
		impossible(env, "balance after is %s, event says %s", acct.balance, e.BalanceAfter)
	}
	st.agreements[l.agreementNo].giveBack(env, l.day, e.Amount)
	l.status = legReversed
	l.reversalReply = env
}
