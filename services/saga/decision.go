package saga

import (
	"fmt"
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

// record appends p to saga.events as event seq of saga sagaID
// (processor.RecordEvent).
func (d *decision) record(sagaID string, seq uint64, correlation string, p events.Payload) (events.Envelope, error) {
	env, err := processor.RecordEvent(&d.out, d.h.reg, d.msg, sagaID, seq, correlation, p)
	if err != nil {
		return env, fmt.Errorf("saga: %w", err)
	}
	return env, nil
}

// command sends p to topic under aggregateID (the topic's partition key),
// caused by the event that entered step (processor.SendCommand).
func (d *decision) command(topic, aggregateID, id, correlation string, step stepRef, p events.Payload) error {
	if err := processor.SendCommand(&d.out, d.h.reg, topic, aggregateID, id, correlation, step.id, step.seq, step.at, p); err != nil {
		return fmt.Errorf("saga: %w", err)
	}
	return nil
}

// outcome answers a channel request on the outcomes topic.
func (d *decision) outcome(o events.Outcome) error {
	if err := processor.SendOutcome(&d.out, d.h.cfg.Topics.Outcomes, o); err != nil {
		return fmt.Errorf("saga: %w", err)
	}
	return nil
}

// reject keeps the message being handled on the rejects topic, verbatim,
// with the reason the saga refused the request it carries.
func (d *decision) reject(code, channelID, orderID string, at time.Time) error {
	if err := processor.KeepRejected(&d.out, d.h.cfg.Topics.Rejects, d.msg, code, channelID, orderID, at); err != nil {
		return fmt.Errorf("saga: %w", err)
	}
	return nil
}
