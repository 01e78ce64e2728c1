package payerbank

import (
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// The legacy direct link (直连) during cutover: the direct-path processor
// (services/directpath) debits customers over the old link and credits
// them for legacy refunds. The bank checks and moves the customer's money
// exactly as for NetsUnion (same account, same agreement, same daily
// usage), but the other side of each movement is outside paycore: a direct
// debit goes to the institution's settlement with this bank, and a legacy
// refund credit comes from the bank's own funds (bank_advance, repaid by
// the institution later) or from the institution's prefunded account
// (prefund), both kept by the direct path's ledger, not here. Replies go to
// Topics.DirectInbox keyed by TxnID.

// directBook holds the direct link's debits and refund credits of the
// partition. Its maps are allocated on first use.
type directBook struct {
	debits  map[string]*directDebit  // by TxnID
	credits map[string]*directCredit // by RefundID
}

// directDebit is one debit over the direct link, done or refused, with the
// reply it caused.
type directDebit struct {
	payerKey    string
	agreementNo string
	amount      events.Money // set when debited
	day         string
	debited     bool
	reasonCode  string          // why it was refused
	reply       events.Envelope // DirectDebited or DirectDebitRefused
}

// directCredit is one legacy refund credit, done or refused.
type directCredit struct {
	txnID      string
	payerKey   string
	amount     events.Money // set when credited
	credited   bool
	reasonCode string
	reply      events.Envelope // DirectRefundCredited or DirectRefundCreditRefused
}

func (b *directBook) debit(txnID string) (*directDebit, bool) {
	d, ok := b.debits[txnID]
	return d, ok
}

func (b *directBook) credit(refundID string) (*directCredit, bool) {
	c, ok := b.credits[refundID]
	return c, ok
}

func (b *directBook) putDebit(env events.Envelope, txnID string, d *directDebit) {
	if _, ok := b.debits[txnID]; ok {
		impossible(env, "transaction %s already has a direct debit", txnID)
	}
	if b.debits == nil {
		b.debits = map[string]*directDebit{}
	}
	b.debits[txnID] = d
}

func (b *directBook) putCredit(env events.Envelope, refundID string, c *directCredit) {
	if _, ok := b.credits[refundID]; ok {
		impossible(env, "refund %s already has a direct credit", refundID)
	}
	if b.credits == nil {
		b.credits = map[string]*directCredit{}
	}
	b.credits[refundID] = c
}

// status is the leg status a query reports.
func (d *directDebit) status() string {
	if d.debited {
		return events.LegDone
	}
	return events.LegRefused
}

func (c *directCredit) status() string {
	if c.credited {
		return events.LegDone
	}
	return events.LegRefused
}

// applyDirect folds the direct link's events.
func (st *state) applyDirect(env events.Envelope, p events.Payload) {
	switch e := p.(type) {
	case events.DirectDebited:
		acct, ok := st.accounts[env.AggregateID]
		if !ok {
			impossible(env, "no account")
		}
		agr, ok := st.agreements[e.AgreementNo]
		if !ok || agr.payerKey != env.AggregateID {
			impossible(env, "no agreement %s on the account", e.AgreementNo)
		}
		acct.debit(env, e.Amount)
		if !acct.balance.Equal(e.BalanceAfter) {
			impossible(env, "balance after is %s, event says %s", acct.balance, e.BalanceAfter)
		}
		agr.use(env, e.Day, e.Amount)
		st.direct.putDebit(env, e.TxnID, &directDebit{
			payerKey: env.AggregateID, agreementNo: e.AgreementNo, amount: e.Amount, day: e.Day, debited: true, reply: env,
		})
	case events.DirectDebitRefused:
		st.direct.putDebit(env, e.TxnID, &directDebit{payerKey: env.AggregateID, reasonCode: e.ReasonCode, reply: env})
	case events.DirectRefundCredited:
		acct, ok := st.accounts[env.AggregateID]
		if !ok {
			impossible(env, "no account")
		}
		acct.credit(env, e.Amount)
		if !acct.balance.Equal(e.BalanceAfter) {
			impossible(env, "balance after is %s, event says %s", acct.balance, e.BalanceAfter)
		}
		st.direct.putCredit(env, e.RefundID, &directCredit{
			txnID: e.TxnID, payerKey: env.AggregateID, amount: e.Amount, credited: true, reply: env,
		})
	case events.DirectRefundCreditRefused:
		st.direct.putCredit(env, e.RefundID, &directCredit{txnID: e.TxnID, payerKey: env.AggregateID, reasonCode: e.ReasonCode, reply: env})
	default:
		impossible(env, "not a direct-link event")
	}
}

// toDirect puts a reply on the direct path's inbox under txnID, unless the
// link loses it (lossy replies only), delayed by the link's latency. A
// reply that is an event of the bank is re-addressed like forward does.
func (d *decision) toDirect(txnID string, env events.Envelope, x exposure) {
	link := d.h.cfg.Link
	if x == lossy && link.ReplyLost(d.cmdID()) {
		return
	}
	o := processor.EnvelopeTo(d.h.cfg.Topics.DirectInbox, env)
	o.Key = txnID
	if lat := link.Latency(d.cmdID()); lat > 0 {
		o.NotBefore = d.msg.Time.Add(lat)
	}
	d.out.Messages = append(d.out.Messages, o)
}

// forwardDirect sends the direct path its copy of ev, an event of
// payer.events, with an ID of its own (see forward).
func (d *decision) forwardDirect(txnID string, ev events.Envelope, x exposure) {
	r := ev
	r.ID = events.DeriveID(ev.ID, "reply")
	r.AggregateID = txnID
	d.toDirect(txnID, r, x)
}

// answerDirect sends the direct path a reply that is not an event of the
// bank (a status report), with an ID derived from the command.
func (d *decision) answerDirect(txnID string, p events.Payload, x exposure) error {
	env, err := d.h.reg.New(txnID, 1, p, d.meta(events.DeriveID(d.cmdID(), p.EventType())))
	if err != nil {
		return err
	}
	d.toDirect(txnID, env, x)
	return nil
}
