package payerbank

import (
	"encoding/json"
	"fmt"

	"github.com/paycore/paycore/events"
)

// payerCredit is the payer-bank side of one refund: at most one credit of
// the customer's account. It remembers the reply it caused, so a
// redelivered credit is answered, not re-decided.
type payerCredit struct {
	creditID string
	txnID    string
	payerKey string
	amount   events.Money // set when credited
	status   legStatus    // legDone (credited) or legRefused
	reason   string       // why it was refused
	reply    events.Envelope
}

// creditPayer handles payer.credit_payer, the customer's side of a refund:
// the account is credited (payer.payer_credited) with no balance check and
// no agreement limits (a refund is owed even under a terminated
// agreement); it is refused (payer.payer_credit_refused,
// account_not_found) only when the partition holds no account under the
// payer key. A credit already seen, including one a status query closed as
// not received, gets its original answer again. The link faults are the
// debit's: a dropped request never reaches the bank, a reply may be lost
// or late.
//
// A non-positive amount, or a credit that would take the balance beyond
// events.MaxAmount, is poison: the saga sends validated refund amounts.
func (d *decision) creditPayer(c events.CreditPayer) error {
	if d.h.cfg.Link.Dropped(d.cmdID()) {
		return nil
	}
	if cr, ok := d.st.credits[c.CreditID]; ok {
		d.forward(cr.txnID, cr.reply, lossy)
		return nil
	}
	if c.CreditID == "" || c.TxnID == "" {
		return fmt.Errorf("payerbank: credit without a credit or transaction ID (%q, %q)", c.CreditID, c.TxnID)
	}
	if !c.Amount.IsPositive() {
		return fmt.Errorf("payerbank: credit %s of %s is not positive", c.CreditID, c.Amount)
	}
	var p events.Payload = events.PayerCreditRefused{CreditID: c.CreditID, TxnID: c.TxnID, RefundID: c.RefundID, ReasonCode: events.ReasonAccountNotFound}
	if acct, ok := d.st.accounts[c.PayerKey]; ok {
		after, err := acct.balance.Add(c.Amount)
		if err != nil {
			return fmt.Errorf("payerbank: credit %s: %w", c.CreditID, err)
		}
		p = events.PayerCredited{CreditID: c.CreditID, TxnID: c.TxnID, RefundID: c.RefundID, AgreementNo: c.AgreementNo, Amount: c.Amount, BalanceAfter: after}
	}
	ev, err := d.record(c.PayerKey, p)
	if err != nil {
		return err
	}
	d.forward(c.TxnID, ev, lossy)
	return nil
}

// payerCredited folds payer.payer_credited: the account gets the refund.
func (st *state) payerCredited(env events.Envelope, e events.PayerCredited) {
	if _, ok := st.credits[e.CreditID]; ok {
		impossible(env, "credit %s already decided", e.CreditID)
	}
	acct, ok := st.accounts[env.AggregateID]
	if !ok {
		impossible(env, "no account")
	}
	if !e.Amount.IsPositive() {
		impossible(env, "credit of %s", e.Amount)
	}
	acct.credit(env, e.Amount)
	if !acct.balance.Equal(e.BalanceAfter) {
		impossible(env, "balance after is %s, event says %s", acct.balance, e.BalanceAfter)
	}
	st.credits[e.CreditID] = &payerCredit{creditID: e.CreditID, txnID: e.TxnID, payerKey: env.AggregateID, amount: e.Amount, status: legDone, reply: env}
}

// payerCreditRefused folds payer.payer_credit_refused. Nothing moves; the
// credit is closed, so one arriving later is refused too.
func (st *state) payerCreditRefused(env events.Envelope, e events.PayerCreditRefused) {
	if _, ok := st.credits[e.CreditID]; ok {
		impossible(env, "credit %s already decided", e.CreditID)
	}
	st.credits[e.CreditID] = &payerCredit{creditID: e.CreditID, txnID: e.TxnID, payerKey: env.AggregateID, status: legRefused, reason: e.ReasonCode, reply: env}
}

// creditSnap is a refund credit in the snapshot: its reply event, from
// which Restore rebuilds it.
type creditSnap struct {
	CreditID string          `json:"credit_id"`
	Reply    json.RawMessage `json:"reply"`
}

// snapCredits lists the credits by credit ID; nil when there are none, so
// a state without refunds encodes as before they existed.
func snapCredits(st *state) ([]creditSnap, error) {
	var out []creditSnap
	for _, id := range sortedKeys(st.credits) {
		r, err := encodeReply(st.credits[id].reply)
		if err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of credit %s: %w", id, err)
		}
		out = append(out, creditSnap{CreditID: id, Reply: r})
	}
	return out, nil
}

// restoreCredits rebuilds the credits from their replies into st, whose
// accounts and sequences are restored already, checking each is what the
// fold would have built.
func (h *Handler) restoreCredits(st *state, list []creditSnap) error {
	for _, cs := range list {
		what := "credit " + cs.CreditID
		if _, dup := st.credits[cs.CreditID]; dup || cs.CreditID == "" {
			return fmt.Errorf("%s empty or twice", what)
		}
		env, err := h.decodeReply(what+" reply", cs.Reply, false, events.PayerCredited{}, events.PayerCreditRefused{})
		if err != nil {
			return err
		}
		if st.seq[env.AggregateID] < env.Sequence {
			return fmt.Errorf("%s: reply at sequence %d, after payer key %q's %d", what, env.Sequence, env.AggregateID, st.seq[env.AggregateID])
		}
		p, err := h.reg.Decode(env)
		if err != nil {
			return fmt.Errorf("%s reply: %w", what, err)
		}
		cr := &payerCredit{creditID: cs.CreditID, payerKey: env.AggregateID, reply: env}
		switch e := p.(type) {
		case events.PayerCredited:
			if _, ok := st.accounts[env.AggregateID]; !ok || !e.Amount.IsPositive() {
				return fmt.Errorf("%s: credited %s to missing account %q", what, e.Amount, env.AggregateID)
			}
			cr.txnID, cr.amount, cr.status = e.TxnID, e.Amount, legDone
			if e.CreditID != cs.CreditID {
				return fmt.Errorf("%s: reply is of credit %s", what, e.CreditID)
			}
		case events.PayerCreditRefused:
			cr.txnID, cr.status, cr.reason = e.TxnID, legRefused, e.ReasonCode
			if e.CreditID != cs.CreditID {
				return fmt.Errorf("%s: reply is of credit %s", what, e.CreditID)
			}
		}
		st.credits[cs.CreditID] = cr
	}
	return nil
}
