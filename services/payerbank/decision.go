package payerbank

import (
	"encoding/json"
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// decision collects the output of one Handle call. It reads the partition
// state but never changes it: the events it records are folded only when
// the runtime calls Apply.
type decision struct {
	h   *Handler
	st  *state
	msg processor.Message
	out processor.Output
	// seq is the last sequence handed out per payer key in this call, so
	// two events of one decision get consecutive numbers. Allocated on
	// first use: most decisions record one event or none.
	seq map[string]uint64
}

// exposure says which link faults a reply to the saga is exposed to.
type exposure int

const (
	// latencyOnly replies are delayed but never lost.
	latencyOnly exposure = iota
	// lossy replies answer a debit or reversal and are lost when the link
	// says so (banklink.Link.ReplyLost).
	lossy
)

func (h *Handler) decide(msg processor.Message) *decision {
	return &decision{h: h, st: h.st, msg: msg}
}

// cmdID is the command's envelope ID: the seed of every ID the decision
// derives and the key of every link fault.
func (d *decision) cmdID() string { return d.msg.Envelope.ID }

// record appends p to payer.events under payerKey with the key's next
// sequence. Its ID derives from the command and the event type, so a
// command redelivered before its event was folded records the same event.
func (d *decision) record(payerKey string, p events.Payload) (events.Envelope, error) {
	seq, ok := d.seq[payerKey]
	if !ok {
		seq = d.st.seq[payerKey]
	}
	seq++
	env, err := d.h.reg.New(payerKey, seq, p, d.meta(events.DeriveID(d.cmdID(), p.EventType())))
	if err != nil {
		return events.Envelope{}, fmt.Errorf("payerbank: recording %s: %w", p.EventType(), err)
	}
	if d.seq == nil {
		d.seq = map[string]uint64{}
	}
	d.seq[payerKey] = seq
	d.out.Events = append(d.out.Events, env)
	d.out.Payloads = append(d.out.Payloads, p)
	return env, nil
}

func (d *decision) meta(id string) events.Meta {
	return events.Meta{
		ID:            id,
		CorrelationID: d.msg.Envelope.CorrelationID,
		CausationID:   d.msg.Envelope.ID,
		OccurredAt:    d.msg.Time,
	}
}

// forward sends the saga sagaID its copy of ev, an event of payer.events:
// the same envelope re-addressed to the saga's key, with an ID of its own
// so the two records never collide in a store that deduplicates by ID.
// A re-sent reply is built from the stored event and so is identical.
func (d *decision) forward(sagaID string, ev events.Envelope, x exposure) {
	r := ev
	r.ID = events.DeriveID(ev.ID, "reply")
	r.AggregateID = sagaID
	d.send(r, x)
}

// answer sends the saga sagaID a reply that is not an event of the bank
// (a status report, or the refusal of a signing the bank never saw). Its
// ID derives from the command, so a redelivered command answers the same.
// Sequence is 1: saga.inbox is not a stream, and the saga deduplicates by
// ID, but the envelope requires a position.
func (d *decision) answer(sagaID string, p events.Payload, x exposure) error {
	env, err := d.h.reg.New(sagaID, 1, p, d.meta(events.DeriveID(d.cmdID(), p.EventType())))
	if err != nil {
		return fmt.Errorf("payerbank: answering %s: %w", p.EventType(), err)
	}
	d.send(env, x)
	return nil
}

// send puts a reply on saga.inbox, unless the link loses it, delayed by the
// link's latency.
func (d *decision) send(env events.Envelope, x exposure) {
	link := d.h.cfg.Link
	if x == lossy && link.ReplyLost(d.cmdID()) {
		return
	}
	o := processor.EnvelopeTo(d.h.cfg.Topics.SagaInbox, env)
	if lat := link.Latency(d.cmdID()); lat > 0 {
		o.NotBefore = d.msg.Time.Add(lat)
	}
	d.out.Messages = append(d.out.Messages, o)
}

// outcome answers a channel directly on the outcomes topic, keyed by its
// order ID.
func (d *decision) outcome(o events.Outcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("payerbank: encoding outcome %s: %w", o.OutcomeID, err)
	}
	d.out.Messages = append(d.out.Messages, processor.Outbound{Topic: d.h.cfg.Topics.Outcomes, Key: o.OrderID, Value: b})
	return nil
}
