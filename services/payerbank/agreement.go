package payerbank

import (
	"time"

	"github.com/paycore/paycore/events"
)

// AgreementStatus is an agreement's state at the payer bank. Only the
// values below exist.
type AgreementStatus struct{ name string }

// Agreement statuses.
var (
	AgreementActive     = AgreementStatus{"active"}
	AgreementTerminated = AgreementStatus{"terminated"}
)

func (s AgreementStatus) String() string { return s.name }

// usageDaysKept bounds the daily usage an agreement remembers: the day of
// the newest debit and the two before it. Only "today" matters for the
// limit, but Kafka timestamps within a partition are not strictly ordered
// around midnight, and a reversal gives back to its debit's day.
const usageDaysKept = 3

// agreement is a signed agreement (协议): the channel it binds the account
// to, its limits, what was debited under it per Beijing day, and whether it
// was terminated (解约).
type agreement struct {
	no              string
	signingID       string
	channelID       string
	payerKey        string
	perPaymentLimit events.Money
	dailyLimit      events.Money
	status          AgreementStatus
	usage           map[string]events.Money // Beijing day → amount debited
	// An agreement imported from the direct-connect era
	// (cmd_import_agreement.go) has no signingID but these: its legacy
	// number, original signing date and payer.agreement_imported event.
	legacyNo    string
	signedOn    string
	importReply events.Envelope
}

func newAgreement(env events.Envelope, e events.AgreementSigned) *agreement {
	return &agreement{
		no:              e.AgreementNo,
		signingID:       e.SigningID,
		channelID:       e.ChannelID,
		payerKey:        env.AggregateID,
		perPaymentLimit: e.PerPaymentLimit,
		dailyLimit:      e.DailyLimit,
		status:          AgreementActive,
		usage:           map[string]events.Money{},
	}
}

// usedOn returns the amount debited under the agreement on day.
func (a *agreement) usedOn(day string) events.Money {
	if u, ok := a.usage[day]; ok {
		return u
	}
	return events.ZeroCNY()
}

// debitRefusal returns the reason the agreement refuses a debit of amount
// by channelID on day, or "" when it allows it; see the package doc for
// the order. amount must be positive.
func (a *agreement) debitRefusal(channelID string, amount events.Money, day string) string {
	switch {
	case a.channelID != channelID:
		return events.ReasonAgreementOtherChan
	case a.status != AgreementActive:
		return events.ReasonAgreementTerminated
	case amount.Cmp(a.perPaymentLimit) > 0:
		return events.ReasonOverPerPaymentLimit
	}
	total, err := a.usedOn(day).Add(amount)
	// A sum beyond events.MaxAmount is beyond any daily limit too.
	if err != nil || total.Cmp(a.dailyLimit) > 0 {
		return events.ReasonOverDailyLimit
	}
	return ""
}

// use counts amount against day's limit and forgets days too old to
// matter; fold only.
func (a *agreement) use(env events.Envelope, day string, amount events.Money) {
	u, err := a.usedOn(day).Add(amount)
	if err != nil {
		impossible(env, "daily usage of %s on %s: %v", a.no, day, err)
	}
	a.usage[day] = u
	oldest := daysBefore(day, usageDaysKept-1)
	for d := range a.usage {
		if d < oldest { // YYYY-MM-DD orders as text
			delete(a.usage, d)
		}
	}
}

// giveBack returns a reversed amount to day's usage; fold only. A day
// already forgotten has nothing to give back to.
func (a *agreement) giveBack(env events.Envelope, day string, amount events.Money) {
	u, ok := a.usage[day]
	if !ok {
		return
	}
	u, err := u.Sub(amount)
	if err != nil || u.IsNegative() {
		impossible(env, "giving %s back to %s's usage on %s", amount, a.no, day)
	}
	a.usage[day] = u
}

// termination is the bank's answer to one terminate request, kept by
// request ID so a repeat gets the same answer.
type termination struct {
	bodyHash    string
	agreementNo string
	reasonCode  string // "" when the agreement was terminated
	decidedAt   time.Time
}

// decideTerminate checks a TerminateAgreement against agr (nil when the
// partition has no such agreement on the payer key), in the documented
// order.
func decideTerminate(agr *agreement, c events.TerminateAgreement) events.Payload {
	refuse := func(code string) events.Payload {
		return events.TerminationRefused{AgreementNo: c.AgreementNo, RequestID: c.RequestID, BodyHash: c.BodyHash, ReasonCode: code}
	}
	switch {
	case agr == nil || agr.payerKey != c.PayerKey:
		return refuse(events.ReasonAgreementNotFound)
	case agr.channelID != c.ChannelID:
		return refuse(events.ReasonAgreementOtherChan)
	case agr.status != AgreementActive:
		return refuse(events.ReasonAgreementTerminated)
	}
	return events.AgreementTerminated{AgreementNo: c.AgreementNo, RequestID: c.RequestID, BodyHash: c.BodyHash}
}

// agreementTerminated folds payer.agreement_terminated.
func (st *state) agreementTerminated(env events.Envelope, e events.AgreementTerminated) {
	agr, ok := st.agreements[e.AgreementNo]
	if !ok || agr.status != AgreementActive {
		impossible(env, "agreement %s is not active", e.AgreementNo)
	}
	st.recordTermination(env, e.RequestID, termination{bodyHash: e.BodyHash, agreementNo: e.AgreementNo, decidedAt: env.OccurredAt})
	agr.status = AgreementTerminated
	st.accounts[agr.payerKey].unbind(env, agr.channelID, agr.no)
}

// terminationRefused folds payer.termination_refused.
func (st *state) terminationRefused(env events.Envelope, e events.TerminationRefused) {
	st.recordTermination(env, e.RequestID, termination{bodyHash: e.BodyHash, agreementNo: e.AgreementNo, reasonCode: e.ReasonCode, decidedAt: env.OccurredAt})
}

func (st *state) recordTermination(env events.Envelope, requestID string, t termination) {
	if _, ok := st.terminations[requestID]; ok {
		impossible(env, "terminate request %s answered twice", requestID)
	}
	st.terminations[requestID] = &t
}
