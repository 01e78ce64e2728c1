package payerbank

import "github.com/paycore/paycore/events"

// verifySigning handles payer.verify_signing: check the holder's identity
// and send the SMS code (payer.signing_verified), or refuse
// (payer.signing_refused). A signing already known gets its original
// answer again.
func (d *decision) verifySigning(c events.VerifySigning) error {
	if s, ok := d.st.signings[c.SigningID]; ok {
		d.forward(c.SigningID, s.verifyReply, latencyOnly)
		return nil
	}
	ev, err := d.record(c.PayerKey, decideVerify(d.st.accounts[c.PayerKey], c, d.msg.Time, d.h.cfg.SMSCodeTTL))
	if err != nil {
		return err
	}
	d.forward(c.SigningID, ev, latencyOnly)
	return nil
}
