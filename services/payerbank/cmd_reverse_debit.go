package payerbank

import (
	"fmt"

	"github.com/paycore/paycore/events"
)

// reverseDebit handles payer.reverse_debit, the compensation when the
// reserve leg refused: a debited leg is credited back
// (payer.payer_debit_reversed). A reversal is never refused: a leg already
// reversed gets its original reversal reply again (no money moves), and a
// leg that was refused, or never seen, is answered with its status as a
// payer.debit_status_reported. An unseen leg is closed as not received
// first, like a status query does, so the debit cannot execute after the
// switch gave up on it. Requests may be dropped and replies lost; the saga
// re-sends on its deadline.
func (d *decision) reverseDebit(c events.ReverseDebit) error {
	if d.h.cfg.Link.Dropped(d.cmdID()) {
		return nil
	}
	l, ok := d.st.legs[c.TxnID]
	if !ok || l.status == legRefused {
		return d.reportStatus(c.TxnID, c.PayerKey, c.Attempt, lossy)
	}
	if l.status == legReversed {
		d.forward(c.TxnID, l.reversalReply, lossy)
		return nil
	}
	acct, ok := d.st.accounts[l.payerKey]
	if !ok {
		return fmt.Errorf("payerbank: transaction %s was debited from a missing account", c.TxnID)
	}
	ev, err := d.record(l.payerKey, l.decideReversal(acct))
	if err != nil {
		return err
	}
	d.forward(c.TxnID, ev, lossy)
	return nil
}
