package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// Apply folds one event of payer.events. An event whose sequence is not
// newer than the last one folded for its payer key is ignored: after a
// rebalance two owners may have written it (with the same ID and content,
// since decisions are deterministic). Apply panics on an event that cannot
// follow the current state (a debit below zero, a second agreement for one
// signing, ...): the log contradicts the rules it was written under, and
// going on would corrupt every balance after it.
func (h *Handler) Apply(env events.Envelope, p events.Payload) {
	st := h.st
	if env.Sequence <= st.seq[env.AggregateID] {
		return
	}
	switch e := p.(type) {
	case events.AccountOpened:
		st.accountOpened(env, e)
	case events.SigningVerified:
		st.signingVerified(env, e)
	case events.SigningRefused:
		st.signingRefused(env, e)
	case events.SMSCodeRejected:
		st.smsCodeRejected(env, e)
	case events.AgreementSigned:
		st.agreementSigned(env, e)
	case events.AgreementTerminated:
		st.agreementTerminated(env, e)
	case events.TerminationRefused:
		st.terminationRefused(env, e)
	case events.PayerDebited:
		st.payerDebited(env, e)
	case events.PayerDebitRefused:
		st.payerDebitRefused(env, e)
	case events.PayerDebitReversed:
		st.payerDebitReversed(env, e)
	case events.PayerCredited:
		st.payerCredited(env, e)
	case events.PayerCreditRefused:
		st.payerCreditRefused(env, e)
	case events.AgreementImported:
		st.agreementImported(env, e)
	case events.DirectDebited, events.DirectDebitRefused, events.DirectRefundCredited, events.DirectRefundCreditRefused:
		st.applyDirect(env, e)
	default:
		panic(fmt.Sprintf("payerbank: %s (%T) is not a payer-bank event", env.Type, p))
	}
	st.seq[env.AggregateID] = env.Sequence
}

// impossible panics for a fold that contradicts the state; see Apply.
func impossible(env events.Envelope, format string, args ...any) {
	panic(fmt.Sprintf("payerbank: cannot fold %s %s (payer key %s, sequence %d): ", env.Type, env.ID, env.AggregateID, env.Sequence) + fmt.Sprintf(format, args...))
}
