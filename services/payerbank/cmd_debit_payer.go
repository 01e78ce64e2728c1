package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// debitPayer handles payer.debit_payer: debit the customer
// (payer.payer_debited) or refuse (payer.payer_debit_refused). A dropped
// request never reaches the bank. A transaction already seen, including
// one a status query closed as not received, gets its original answer
// again, so a late or repeated debit never executes twice.
func (d *decision) debitPayer(c events.DebitPayer) error {
	if d.h.cfg.Link.Dropped(d.cmdID()) {
		return nil
	}
	if l, ok := d.st.legs[c.TxnID]; ok {
		d.forward(c.TxnID, l.debitReply, lossy)
		return nil
	}
	agr := d.st.agreements[c.AgreementNo]
	acct := d.st.accounts[c.PayerKey]
	if agr != nil && agr.payerKey == c.PayerKey && acct == nil {
		return fmt.Errorf("payerbank: agreement %s has no account", c.AgreementNo)
	}
	ev, err := d.record(c.PayerKey, decideDebit(agr, acct, c, beijingDay(d.msg.Time)))
	if err != nil {
		return err
	}
	d.forward(c.TxnID, ev, lossy)
	return nil
}
