package reservebank

import (
	"fmt"
	"slices"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// call collects what one Handle call does to a sub-account. Handle must
// not change the state, yet one call may record several events whose
// balances chain (a returned round, then the debits it pays for), so the
// call keeps its own running sequence, balance and queue, starting from
// the folded state.
type call struct {
	b       *Bank
	msg     processor.Message
	s       *subAccount // as folded; read only
	seq     uint64
	balance events.Money
	queue   []string // held debit IDs still undecided in this call
	fresh   *queued  // the debit this call held, not folded yet
	out     processor.Output
}

func (b *Bank) call(msg processor.Message, s *subAccount) *call {
	// Clipped, so that appending in the call never writes into the
	// folded queue's array.
	return &call{b: b, msg: msg, s: s, seq: s.seq, balance: s.balance, queue: slices.Clip(s.queue)}
}

// sub returns the sub-account under key, or an empty one (not stored: only
// Apply adds state).
func (b *Bank) sub(key string) *subAccount {
	if s := b.subs[key]; s != nil {
		return s
	}
	return newSubAccount(key)
}

// checkSub refuses a sub-account key that is malformed, of another
// reserve account, or beyond the configured count: a misrouted or
// misconfigured command, which must stop loudly (poison), not be decided
// by a sub-account outside every borrow ring.
func (b *Bank) checkSub(key, reserveAccount string) error {
	account, index, ok := events.ParseSubAccountKey(key)
	switch {
	case !ok:
		return fmt.Errorf("reservebank: %q is not a sub-account key", key)
	case reserveAccount != "" && account != reserveAccount:
		return fmt.Errorf("reservebank: sub-account %s is not of reserve account %s", key, reserveAccount)
	case index >= b.cfg.SubAccounts:
		return fmt.Errorf("reservebank: sub-account %s beyond the %d configured (SubAccounts must equal the saga's)", key, b.cfg.SubAccounts)
	}
	return nil
}

// record appends p under the sub-account at the call's next sequence.
// Its ID derives from the command, the type and tag (the debit, round or
// share it is about), so one call can record several events of a type and
// a command redelivered before its events were folded records the same.
func (c *call) record(p events.Payload, tag string) (events.Envelope, error) {
	c.seq++
	env, err := c.b.reg.New(c.s.key, c.seq, p, events.Meta{
		ID:            events.DeriveID(c.msg.Envelope.ID, p.EventType(), tag),
		CorrelationID: c.msg.Envelope.CorrelationID,
		CausationID:   c.msg.Envelope.ID,
		OccurredAt:    c.msg.Time,
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("reservebank: recording %s: %w", p.EventType(), err)
	}
	c.out.Events = append(c.out.Events, env)
	c.out.Payloads = append(c.out.Payloads, p)
	return env, nil
}

// reply sends the saga, keyed by txnID, its copy of ev (a decision of the
// sub-account), unless the link loses the reply to command causeID;
// delayed by that command's latency from now. See Bank.reply.
func (c *call) reply(txnID string, ev events.Envelope, causeID string) {
	if c.b.cfg.Link.ReplyLost(causeID) {
		return
	}
	r := ev
	r.ID = events.DeriveID(ev.ID, "reply")
	r.AggregateID = txnID
	r.CausationID = ev.ID
	c.sendSaga(r, causeID)
}

// sendSaga puts env on saga.inbox, delayed by the latency of the link for
// command causeID.
func (c *call) sendSaga(env events.Envelope, causeID string) {
	o := processor.EnvelopeTo(c.b.cfg.Topics.SagaInbox, env)
	if lat := c.b.cfg.Link.Latency(causeID); lat > 0 {
		o.NotBefore = c.msg.Time.Add(lat)
	}
	c.out.Messages = append(c.out.Messages, o)
}

// report answers the saga, keyed by txnID, with p, a status report that
// is not an event of the bank. Its ID derives from the command, so a
// redelivered command reports the same. lossy reports (answers to a
// reversal) meet the link's lost-reply and latency faults; query reports
// meet none, as the bank's credit queries.
func (c *call) report(txnID string, p events.Payload, lossy bool) error {
	env, err := c.b.reg.New(txnID, 1, p, events.Meta{
		ID:            events.DeriveID(c.msg.Envelope.ID, p.EventType()),
		CorrelationID: c.msg.Envelope.CorrelationID,
		CausationID:   c.msg.Envelope.ID,
		OccurredAt:    c.msg.Time,
	})
	if err != nil {
		return fmt.Errorf("reservebank: reporting on %s: %w", txnID, err)
	}
	if !lossy {
		c.out.Messages = append(c.out.Messages, processor.EnvelopeTo(c.b.cfg.Topics.SagaInbox, env))
		return nil
	}
	if c.b.cfg.Link.ReplyLost(c.msg.Envelope.ID) {
		return nil
	}
	c.sendSaga(env, c.msg.Envelope.ID)
	return nil
}
