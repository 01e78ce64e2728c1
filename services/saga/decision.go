package saga

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// decision collects the output of one Handle call. It reads the partition
// state but never changes it: what a new event sends is computed on a copy
// of the saga with the event folded in, the very function a redelivery
// uses on the real saga later, so both send identical records.
type decision struct {
	h   *Handler
	msg processor.Message
	out processor.Output
}

// now is the decision's clock: the message's timestamp.
func (d *decision) now() time.Time { return d.msg.Time }

// msgID is the inbox message's envelope ID.
func (d *decision) msgID() string { return d.msg.Envelope.ID }

// cause is what a step change names as its cause: the reply's type.
func (d *decision) cause() string { return d.msg.Envelope.Type }

// causeDeadline is the Cause of a step change made by a deadline.
const causeDeadline = "deadline"

// record appends p to saga.events as event seq of saga sagaID. Its ID
// derives from the inbox message, the event type and the sequence: the
// same message deciding on the same state records the very same event, and
// two events never share an ID.
func (d *decision) record(sagaID string, seq uint64, correlation string, p events.Payload) (events.Envelope, error) {
	env, err := d.h.reg.New(sagaID, seq, p, events.Meta{
		ID:            events.DeriveID(d.msgID(), p.EventType(), strconv.FormatUint(seq, 10)),
		CorrelationID: correlation,
		CausationID:   d.msgID(),
		OccurredAt:    d.now(),
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("saga: recording %s for %s: %w", p.EventType(), sagaID, err)
	}
	d.out.Events = append(d.out.Events, env)
	d.out.Payloads = append(d.out.Payloads, p)
	return env, nil
}

// command sends p to topic under aggregateID (the topic's partition key).
// Everything in the envelope comes from the saga's state, never from the
// message being handled, so a re-sent command is identical.
func (d *decision) command(topic, aggregateID, id, correlation string, step stepRef, p events.Payload) error {
	env, err := d.h.reg.New(aggregateID, step.seq, p, events.Meta{
		ID: id, CorrelationID: correlation, CausationID: step.id, OccurredAt: step.at,
	})
	if err != nil {
		return fmt.Errorf("saga: building %s: %w", p.EventType(), err)
	}
	d.out.Messages = append(d.out.Messages, processor.EnvelopeTo(topic, env))
	return nil
}

// outcome answers a channel request on the outcomes topic, keyed by its
// order ID. Reason is filled from the reason code.
func (d *decision) outcome(o events.Outcome) error {
	if o.ReasonCode != "" {
		o.Reason = events.Reasons[o.ReasonCode]
	}
	b, err := events.EncodeJSON(o)
	if err != nil {
		return fmt.Errorf("saga: encoding outcome %s: %w", o.OutcomeID, err)
	}
	d.out.Messages = append(d.out.Messages, processor.Outbound{Topic: d.h.cfg.Topics.Outcomes, Key: o.OrderID, Value: b})
	return nil
}

// reject keeps the message being handled on the rejects topic, verbatim,
// with the reason the saga refused the request it carries. Keyed by order
// ID, like the outcome that answers it.
func (d *decision) reject(code, channelID, orderID string, at time.Time) error {
	raw := d.msg.Value
	if len(raw) == 0 {
		// Handed a decoded message only (tests, tools): keep the envelope.
		var err error
		if raw, err = events.Marshal(d.msg.Envelope); err != nil {
			return fmt.Errorf("saga: encoding rejected %s: %w", d.msg.Envelope.Type, err)
		}
	}
	b, err := events.EncodeJSON(events.Rejected{
		ReasonCode: code,
		Reason:     events.Reasons[code],
		Topic:      d.msg.Topic,
		Partition:  d.msg.Partition,
		Offset:     d.msg.Offset,
		Key:        string(d.msg.Key),
		ChannelID:  channelID,
		OrderID:    orderID,
		Raw:        raw,
		RejectedAt: at,
	})
	if err != nil {
		return fmt.Errorf("saga: encoding reject: %w", err)
	}
	d.out.Messages = append(d.out.Messages, processor.Outbound{Topic: d.h.cfg.Topics.Rejects, Key: orderID, Value: b})
	return nil
}
