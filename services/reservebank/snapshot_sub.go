package reservebank

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/paycore/paycore/events"
)

// subSnap is one sub-account. Its records are the events that made them
// (events.Marshal encodings, so re-sent replies and rounds are byte for
// byte the originals); Restore derives the rest from them: the statuses,
// the queue of held debits (in the order they were held), and whether the
// sub-account lent while its round was out. Only the balance and the
// sequence are kept as such, and checked.
type subSnap struct {
	Key      string            `json:"key"`
	Seq      uint64            `json:"seq"`
	Balance  events.Money      `json:"balance"`
	Debits   []subDebitSnap    `json:"debits"`          // by debit ID
	Round    json.RawMessage   `json:"round,omitempty"` // BorrowStarted of the round out
	Lent     []json.RawMessage `json:"lent"`            // SubAccountLent, by borrow ID
	Returned []json.RawMessage `json:"returned"`        // BorrowReturned, by borrow ID
	Credited []string          `json:"credited"`        // transfer IDs of the shares, sorted
}

type subDebitSnap struct {
	DebitID  string          `json:"debit_id"`
	Held     json.RawMessage `json:"held,omitempty"`     // ReserveDebitHeld
	Decision json.RawMessage `json:"decision,omitempty"` // ReserveDebited or ReserveDebitRefused
	Reversal json.RawMessage `json:"reversal,omitempty"` // ReserveDebitReversed
}

func snapSubAccounts(subs map[string]*subAccount) ([]subSnap, error) {
	keys := make([]string, 0, len(subs))
	for key := range subs {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var out []subSnap
	for _, key := range keys {
		s := subs[key]
		ss := subSnap{Key: key, Seq: s.seq, Balance: s.balance, Debits: []subDebitSnap{}, Credited: []string{}}
		var err error
		enc := func(env events.Envelope) json.RawMessage {
			if env.ID == "" || err != nil {
				return nil
			}
			var raw json.RawMessage
			raw, err = events.Marshal(env)
			return raw
		}
		ids := make([]string, 0, len(s.debits))
		for id := range s.debits {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			d := s.debits[id]
			ss.Debits = append(ss.Debits, subDebitSnap{DebitID: id, Held: enc(d.held), Decision: enc(d.decision), Reversal: enc(d.reversal)})
		}
		if s.round != nil {
			ss.Round = enc(s.round.start)
		}
		ss.Lent = encodeByID(s.lent, enc)
		ss.Returned = encodeByID(s.returned, enc)
		for id := range s.credited {
			ss.Credited = append(ss.Credited, id)
		}
		sort.Strings(ss.Credited)
		if err != nil {
			return nil, fmt.Errorf("reservebank: snapshot of %s: %w", key, err)
		}
		out = append(out, ss)
	}
	return out, nil
}

func encodeByID(m map[string]events.Envelope, enc func(events.Envelope) json.RawMessage) []json.RawMessage {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]json.RawMessage, 0, len(ids))
	for _, id := range ids {
		out = append(out, enc(m[id]))
	}
	return out
}

func (b *Bank) restoreSubAccounts(list []subSnap) (map[string]*subAccount, error) {
	subs := make(map[string]*subAccount, len(list))
	for _, ss := range list {
		if _, _, ok := events.ParseSubAccountKey(ss.Key); !ok {
			return nil, fmt.Errorf("sub-account key %q", ss.Key)
		}
		if _, dup := subs[ss.Key]; dup {
			return nil, fmt.Errorf("sub-account %s appears twice", ss.Key)
		}
		s, err := b.restoreSubAccount(ss)
		if err != nil {
			return nil, fmt.Errorf("sub-account %s: %w", ss.Key, err)
		}
		subs[ss.Key] = s
	}
	return subs, nil
}

// restoreSubAccount rebuilds one sub-account and checks it is what the
// fold would have built from its events.
func (b *Bank) restoreSubAccount(ss subSnap) (*subAccount, error) {
	s := newSubAccount(ss.Key)
	if ss.Seq == 0 || !ss.Balance.Currency().IsValid() || ss.Balance.IsNegative() {
		return nil, fmt.Errorf("sequence %d, balance %s", ss.Seq, ss.Balance)
	}
	s.seq, s.balance = ss.Seq, ss.Balance
	decode := func(raw json.RawMessage) (events.Envelope, events.Payload, error) {
		env, p, err := b.decodeEvent(raw, ss.Key, 0)
		if err == nil && env.Sequence > ss.Seq {
			err = fmt.Errorf("event %s at sequence %d, after the sub-account's %d", env.ID, env.Sequence, ss.Seq)
		}
		return env, p, err
	}
	var held []*subDebit
	for _, ds := range ss.Debits {
		if _, dup := s.debits[ds.DebitID]; dup || ds.DebitID == "" {
			return nil, fmt.Errorf("debit %q empty or twice", ds.DebitID)
		}
		d, err := restoreDebit(ds, decode)
		if err != nil {
			return nil, fmt.Errorf("debit %s: %w", ds.DebitID, err)
		}
		s.debits[d.id] = d
		if d.status == debitHeld {
			held = append(held, d)
		}
	}
	sort.Slice(held, func(i, j int) bool { return held[i].held.Sequence < held[j].held.Sequence })
	for _, d := range held {
		s.queue = append(s.queue, d.id)
	}
	for _, raw := range ss.Lent {
		env, p, err := decode(raw)
		e, ok := p.(events.SubAccountLent)
		if err != nil || !ok || e.SubAccount != ss.Key {
			return nil, fmt.Errorf("lent: %v (%s)", err, env.Type)
		}
		if _, dup := s.lent[e.BorrowID]; dup {
			return nil, fmt.Errorf("lent to round %s twice", e.BorrowID)
		}
		s.lent[e.BorrowID] = env
	}
	for _, raw := range ss.Returned {
		env, p, err := decode(raw)
		e, ok := p.(events.BorrowReturned)
		if err != nil || !ok || e.SubAccount != ss.Key {
			return nil, fmt.Errorf("returned: %v (%s)", err, env.Type)
		}
		if _, dup := s.returned[e.BorrowID]; dup {
			return nil, fmt.Errorf("round %s returned twice", e.BorrowID)
		}
		s.returned[e.BorrowID] = env
	}
	if len(ss.Round) != 0 {
		env, p, err := decode(ss.Round)
		e, ok := p.(events.BorrowStarted)
		if err != nil || !ok || e.SubAccount != ss.Key {
			return nil, fmt.Errorf("round: %v (%s)", err, env.Type)
		}
		if _, done := s.returned[e.BorrowID]; done {
			return nil, fmt.Errorf("round %s is out and returned", e.BorrowID)
		}
		r := &borrowRound{start: env, id: e.BorrowID, debitID: e.DebitID, round: e.Round, need: e.Need}
		// The fold marks the round robbed when the sub-account lends
		// while it is out: every positive loan recorded after its start.
		for _, lent := range s.lent {
			p, _ := b.reg.Decode(lent) // decoded above
			if lent.Sequence > env.Sequence && p.(events.SubAccountLent).Amount.IsPositive() {
				r.robbed = true
			}
		}
		s.round = r
	}
	if (s.round == nil) != (len(s.queue) == 0) || (s.round != nil && s.round.debitID != s.queue[0]) {
		return nil, fmt.Errorf("%d held debits, round out %v: a round is out exactly for the first held debit", len(s.queue), s.round != nil)
	}
	for _, id := range ss.Credited {
		if id == "" || s.credited[id] {
			return nil, fmt.Errorf("share %q empty or twice", id)
		}
		s.credited[id] = true
	}
	return s, nil
}

// restoreDebit rebuilds a debit from its events: held and/or decided, and
// reversed only if debited.
func restoreDebit(ds subDebitSnap, decode func(json.RawMessage) (events.Envelope, events.Payload, error)) (*subDebit, error) {
	d := &subDebit{id: ds.DebitID, status: debitHeld}
	if len(ds.Held) != 0 {
		env, p, err := decode(ds.Held)
		e, ok := p.(events.ReserveDebitHeld)
		if err != nil || !ok || e.DebitID != ds.DebitID {
			return nil, fmt.Errorf("held: %v (%s)", err, env.Type)
		}
		d.txnID, d.refundID, d.amount, d.held = e.TxnID, e.RefundID, e.Amount, env
	} else if len(ds.Decision) == 0 {
		return nil, errors.New("neither held nor decided")
	}
	if len(ds.Decision) != 0 {
		env, p, err := decode(ds.Decision)
		if err != nil {
			return nil, fmt.Errorf("decision: %w", err)
		}
		switch e := p.(type) {
		case events.ReserveDebited:
			if e.DebitID != ds.DebitID || (d.held.ID != "" && !d.amount.Equal(e.Amount)) {
				return nil, errors.New("debit differs from its event")
			}
			d.txnID, d.refundID, d.amount, d.status = e.TxnID, e.RefundID, e.Amount, debitDone
		case events.ReserveDebitRefused:
			if e.DebitID != ds.DebitID {
				return nil, errors.New("refusal differs from its event")
			}
			d.txnID, d.refundID, d.status, d.reason = e.TxnID, e.RefundID, debitRefused, e.ReasonCode
		default:
			return nil, fmt.Errorf("decision is a %s", env.Type)
		}
		if d.held.ID != "" && env.Sequence <= d.held.Sequence {
			return nil, errors.New("decided before it was held")
		}
		d.decision = env
	}
	if len(ds.Reversal) != 0 {
		env, p, err := decode(ds.Reversal)
		e, ok := p.(events.ReserveDebitReversed)
		if err != nil || !ok || e.DebitID != ds.DebitID || d.status != debitDone || !e.Amount.Equal(d.amount) ||
			env.Sequence <= d.decision.Sequence {
			return nil, fmt.Errorf("reversal of a debit that was not debited, or differs (%v)", err)
		}
		d.status, d.reversal = debitReversed, env
	}
	return d, nil
}
