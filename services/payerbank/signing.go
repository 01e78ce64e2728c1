package payerbank

import (
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// signingStatus is where a signing stands at the bank.
type signingStatus int

const (
	signingPending signingStatus = iota + 1 // identity verified, SMS code sent
	signingSigned                           // agreement issued
	signingRefused                          // refused; final
)

// signing is one agreement signing (协议签约) at the bank: the identity
// check, then the SMS code the customer confirms it with. It remembers the
// replies it caused, so a redelivered command is answered, not re-decided.
type signing struct {
	id              string
	payerKey        string
	channelID       string
	perPaymentLimit events.Money
	dailyLimit      events.Money
	codeExpiresAt   time.Time
	status          signingStatus
	failedCount     int
	verifyReply     events.Envelope            // answer to VerifySigning
	finalReply      events.Envelope            // answer once not pending
	attempts        map[string]events.Envelope // SMSCodeRejected by attempt ID
}

// decideVerify checks a VerifySigning against acct (nil when the bank has
// no account under the payer key), in the documented order.
func decideVerify(acct *account, c events.VerifySigning, now time.Time, ttl time.Duration) events.Payload {
	refuse := func(code string) events.Payload {
		return events.SigningRefused{SigningID: c.SigningID, ReasonCode: code}
	}
	switch {
	case acct == nil || !acct.holds(c.PayerAccount):
		return refuse(events.ReasonAccountNotFound)
	case !acct.identityMatches(c.HolderName, c.IDNumber, c.Phone):
		return refuse(events.ReasonIdentityMismatch)
	case acct.hasActiveAgreement(c.ChannelID):
		return refuse(events.ReasonAgreementExists)
	case !limitsValid(c.PerPaymentLimit, c.DailyLimit):
		return refuse(events.ReasonLimitsInvalid)
	}
	return events.SigningVerified{
		SigningID:       c.SigningID,
		ChannelID:       c.ChannelID,
		PayerKey:        c.PayerKey,
		PerPaymentLimit: c.PerPaymentLimit,
		DailyLimit:      c.DailyLimit,
		CodeExpiresAt:   now.Add(ttl).UTC(),
	}
}

// limitsValid: both positive, and one payment may not exceed a day.
// IsPositive comes first because Cmp panics on an unset Money.
func limitsValid(perPayment, daily events.Money) bool {
	return perPayment.IsPositive() && daily.IsPositive() && perPayment.Cmp(daily) <= 0
}

// answered returns the reply a ConfirmAgreement already has: the one its
// attempt caused, or the final answer of a signing no longer pending.
// Either way the submission is not counted again.
func (s *signing) answered(attempt string) (events.Envelope, bool) {
	if r, ok := s.attempts[attempt]; ok {
		return r, true
	}
	if s.status != signingPending {
		return s.finalReply, true
	}
	return events.Envelope{}, false
}

// decideConfirm checks the code of a pending signing, in the documented
// order. wantCode is the code the bank sent; acct is the signing's account.
// The code is valid up to and including codeExpiresAt.
func (s *signing) decideConfirm(c events.ConfirmAgreement, now time.Time, wantCode string, maxAttempts int, acct *account) events.Payload {
	refuse := func(code string) events.Payload {
		return events.SigningRefused{SigningID: s.id, ReasonCode: code}
	}
	switch {
	case now.After(s.codeExpiresAt):
		return refuse(events.ReasonSMSCodeExpired)
	case !codeMatches(c.SMSCode, wantCode):
		if s.failedCount+1 >= maxAttempts {
			return refuse(events.ReasonSMSAttemptsExceeded)
		}
		return events.SMSCodeRejected{SigningID: s.id, Attempt: c.Attempt, FailedCount: s.failedCount + 1}
	case acct.hasActiveAgreement(s.channelID):
		// Another signing of the same channel on this account completed
		// after this one was verified.
		return refuse(events.ReasonAgreementExists)
	}
	return events.AgreementSigned{
		SigningID:       s.id,
		AgreementNo:     payerkey.AgreementNo(s.payerKey, s.id),
		ChannelID:       s.channelID,
		PayerKey:        s.payerKey,
		PerPaymentLimit: s.perPaymentLimit,
		DailyLimit:      s.dailyLimit,
	}
}

// signingVerified folds payer.signing_verified.
func (st *state) signingVerified(env events.Envelope, e events.SigningVerified) {
	if _, ok := st.signings[e.SigningID]; ok {
		impossible(env, "signing %s verified twice", e.SigningID)
	}
	st.signings[e.SigningID] = &signing{
		id:              e.SigningID,
		payerKey:        env.AggregateID,
		channelID:       e.ChannelID,
		perPaymentLimit: e.PerPaymentLimit,
		dailyLimit:      e.DailyLimit,
		codeExpiresAt:   e.CodeExpiresAt,
		status:          signingPending,
		verifyReply:     env,
		attempts:        map[string]events.Envelope{},
	}
}

// signingRefused folds payer.signing_refused: either the identity check
// refused a new signing, or a pending one failed.
func (st *state) signingRefused(env events.Envelope, e events.SigningRefused) {
	s, ok := st.signings[e.SigningID]
	if !ok {
		st.signings[e.SigningID] = &signing{
			id:          e.SigningID,
			payerKey:    env.AggregateID,
			status:      signingRefused,
			verifyReply: env,
			finalReply:  env,
		}
		return
	}
	if s.status != signingPending {
		impossible(env, "signing %s is not pending", e.SigningID)
	}
	s.status = signingRefused
	s.finalReply = env
}

// smsCodeRejected folds payer.sms_code_rejected.
func (st *state) smsCodeRejected(env events.Envelope, e events.SMSCodeRejected) {
	s, ok := st.signings[e.SigningID]
	switch {
	case !ok || s.status != signingPending:
		impossible(env, "signing %s is not pending", e.SigningID)
	case e.FailedCount != s.failedCount+1:
		impossible(env, "failed count %d after %d", e.FailedCount, s.failedCount)
	}
	s.failedCount = e.FailedCount
	s.attempts[e.Attempt] = env
}

// agreementSigned folds payer.agreement_signed: the signing completes and
// the agreement becomes active on its account.
func (st *state) agreementSigned(env events.Envelope, e events.AgreementSigned) {
	s, ok := st.signings[e.SigningID]
	if !ok || s.status != signingPending {
		impossible(env, "signing %s is not pending", e.SigningID)
	}
	acct, ok := st.accounts[env.AggregateID]
	if !ok {
		impossible(env, "no account")
	}
	if _, dup := st.agreements[e.AgreementNo]; dup {
		impossible(env, "agreement %s already exists", e.AgreementNo)
	}
	s.status = signingSigned
	s.finalReply = env
	st.agreements[e.AgreementNo] = newAgreement(env, e)
	acct.bind(env, e.ChannelID, e.AgreementNo)
}
