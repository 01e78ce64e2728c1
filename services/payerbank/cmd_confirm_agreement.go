package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// confirmAgreement handles payer.confirm_agreement: the customer's SMS code
// signs the agreement (payer.agreement_signed), is rejected
// (payer.sms_code_rejected), or fails the signing (payer.signing_refused).
// A submission whose attempt ID was seen, or one for a signing no longer
// pending, is answered with the reply it already has and not counted.
//
// A signing the bank never verified is refused with signing_not_found
// without recording anything: there is no signing to close, and the saga
// sends a code only after the bank's verification, so this is a stray.
func (d *decision) confirmAgreement(c events.ConfirmAgreement) error {
	s, ok := d.st.signings[c.SigningID]
	if !ok || s.payerKey != c.PayerKey {
		return d.answer(c.SigningID, events.SigningRefused{SigningID: c.SigningID, ReasonCode: events.ReasonSigningNotFound}, latencyOnly)
	}
	if r, ok := s.answered(c.Attempt); ok {
		d.forward(c.SigningID, r, latencyOnly)
		return nil
	}
	acct, ok := d.st.accounts[s.payerKey]
	if !ok {
		return fmt.Errorf("payerbank: signing %s is pending on a missing account", s.id)
	}
	want := SMSCode(d.h.cfg.SMSSecret, s.id)
	ev, err := d.record(s.payerKey, s.decideConfirm(c, d.msg.Time, want, d.h.cfg.MaxSMSAttempts, acct))
	if err != nil {
		return err
	}
	d.forward(c.SigningID, ev, latencyOnly)
	return nil
}
