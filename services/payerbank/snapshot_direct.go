package payerbank

import (
	"encoding/json"
	"fmt"

	"github.com/paycore/paycore/events"
)

// directSnap is the direct link's part of a snapshot: the reply event of
// every direct debit and legacy refund credit, sorted by ID. Each entry is
// rebuilt from its reply alone; balances and daily usage are in the
// accounts and agreements of the snapshot already.
type directSnap struct {
	Debits  []json.RawMessage `json:"debits"`
	Credits []json.RawMessage `json:"credits"`
}

// snapDirect encodes b, nil when it is empty (so snapshots without the
// direct link encode as before).
func snapDirect(b *directBook) (*directSnap, error) {
	if len(b.debits) == 0 && len(b.credits) == 0 {
		return nil, nil
	}
	s := &directSnap{Debits: []json.RawMessage{}, Credits: []json.RawMessage{}}
	for _, id := range sortedKeys(b.debits) {
		r, err := encodeReply(b.debits[id].reply)
		if err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of direct debit %s: %w", id, err)
		}
		s.Debits = append(s.Debits, r)
	}
	for _, id := range sortedKeys(b.credits) {
		r, err := encodeReply(b.credits[id].reply)
		if err != nil {
			return nil, fmt.Errorf("payerbank: snapshot of direct credit %s: %w", id, err)
		}
		s.Credits = append(s.Credits, r)
	}
	return s, nil
}

// restoreDirect rebuilds st.direct from s into st, whose accounts,
// agreements and sequences are restored already, checking each entry is
// what the fold would have built.
func (h *Handler) restoreDirect(st *state, s *directSnap) error {
	if s == nil {
		return nil
	}
	check := func(what string, env events.Envelope) (events.Payload, error) {
		if st.seq[env.AggregateID] < env.Sequence {
			return nil, fmt.Errorf("%s: reply at sequence %d, after payer key %q's %d", what, env.Sequence, env.AggregateID, st.seq[env.AggregateID])
		}
		return h.reg.Decode(env)
	}
	for i, raw := range s.Debits {
		what := fmt.Sprintf("direct debit %d", i)
		env, err := h.decodeReply(what, raw, false, events.DirectDebited{}, events.DirectDebitRefused{})
		if err != nil {
			return err
		}
		p, err := check(what, env)
		if err != nil {
			return err
		}
		var txnID string
		d := &directDebit{payerKey: env.AggregateID, reply: env}
		switch e := p.(type) {
		case events.DirectDebited:
			agr, ok := st.agreements[e.AgreementNo]
			if _, acct := st.accounts[env.AggregateID]; !acct || !ok || agr.payerKey != env.AggregateID || !e.Amount.IsPositive() {
				return fmt.Errorf("%s: %s debited %s under %q of a missing account or agreement", what, e.TxnID, e.Amount, e.AgreementNo)
			}
			txnID, d.agreementNo, d.amount, d.day, d.debited = e.TxnID, e.AgreementNo, e.Amount, e.Day, true
		case events.DirectDebitRefused:
			txnID, d.reasonCode = e.TxnID, e.ReasonCode
		}
		if _, dup := st.direct.debits[txnID]; dup || txnID == "" {
			return fmt.Errorf("%s: transaction %q empty or twice", what, txnID)
		}
		if st.direct.debits == nil {
			st.direct.debits = map[string]*directDebit{}
		}
		st.direct.debits[txnID] = d
	}
	for i, raw := range s.Credits {
		what := fmt.Sprintf("direct credit %d", i)
		env, err := h.decodeReply(what, raw, false, events.DirectRefundCredited{}, events.DirectRefundCreditRefused{})
		if err != nil {
			return err
		}
		p, err := check(what, env)
		if err != nil {
			return err
		}
		var refundID string
		c := &directCredit{payerKey: env.AggregateID, reply: env}
		switch e := p.(type) {
		case events.DirectRefundCredited:
			if _, ok := st.accounts[env.AggregateID]; !ok || !e.Amount.IsPositive() {
				return fmt.Errorf("%s: refund %s credited %s to a missing account", what, e.RefundID, e.Amount)
			}
			refundID, c.txnID, c.amount, c.credited = e.RefundID, e.TxnID, e.Amount, true
		case events.DirectRefundCreditRefused:
			refundID, c.txnID, c.reasonCode = e.RefundID, e.TxnID, e.ReasonCode
		}
		if _, dup := st.direct.credits[refundID]; dup || refundID == "" {
			return fmt.Errorf("%s: refund %q empty or twice", what, refundID)
		}
		if st.direct.credits == nil {
			st.direct.credits = map[string]*directCredit{}
		}
		st.direct.credits[refundID] = c
	}
	return nil
}
