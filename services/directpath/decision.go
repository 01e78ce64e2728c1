package directpath

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// decision collects the output of one Handle call. It reads the state but
// never changes it: the effects of a new event are computed on the state
// as it will be once the event is folded (see recordPayment), the very
// function a redelivery uses later, so both send identical records.
type decision struct {
	h   *Handler
	msg processor.Message
	out processor.Output
}

func (d *decision) now() time.Time { return d.msg.Time }
func (d *decision) msgID() string  { return d.msg.Envelope.ID }

// record appends p to direct.events as event seq of aggregate id. Its ID
// derives from the message, type and sequence.
func (d *decision) record(id string, seq uint64, correlation string, p events.Payload) (events.Envelope, error) {
	env, err := d.h.reg.New(id, seq, p, events.Meta{
		ID:            events.DeriveID(d.msgID(), p.EventType(), strconv.FormatUint(seq, 10)),
		CorrelationID: correlation,
		CausationID:   d.msgID(),
		OccurredAt:    d.now(),
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("directpath: recording %s for %s: %w", p.EventType(), id, err)
	}
	d.out.Events = append(d.out.Events, env)
	d.out.Payloads = append(d.out.Payloads, p)
	return env, nil
}

// command sends p to topic keyed by key. Everything in the envelope comes
// from the state (the step that sends it), never from the message being
// handled, so a re-sent command is identical.
func (d *decision) command(topic, key, id, correlation string, step stepRef, p events.Payload) error {
	env, err := d.h.reg.New(key, step.seq, p, events.Meta{ID: id, CorrelationID: correlation, CausationID: step.id, OccurredAt: step.at})
	if err != nil {
		return fmt.Errorf("directpath: building %s: %w", p.EventType(), err)
	}
	d.out.Messages = append(d.out.Messages, processor.EnvelopeTo(topic, env))
	return nil
}

// outcome answers a channel on the outcomes topic, keyed by its order ID.
func (d *decision) outcome(o events.Outcome) error {
	if o.ReasonCode != "" {
		o.Reason = events.Reasons[o.ReasonCode]
	}
	b, err := events.EncodeJSON(o)
	if err != nil {
		return fmt.Errorf("directpath: encoding outcome %s: %w", o.OutcomeID, err)
	}
	d.out.Messages = append(d.out.Messages, processor.Outbound{Topic: d.h.cfg.Topics.Outcomes, Key: o.OrderID, Value: b})
	return nil
}

// reject keeps the message being handled on the rejects topic, verbatim,
// with the reason its request was refused.
func (d *decision) reject(code, channelID, orderID string) error {
	raw := d.msg.Value
	if len(raw) == 0 {
		var err error
		if raw, err = events.Marshal(d.msg.Envelope); err != nil {
			return fmt.Errorf("directpath: encoding rejected %s: %w", d.msg.Envelope.Type, err)
		}
	}
	b, err := events.EncodeJSON(events.Rejected{
		ReasonCode: code, Reason: events.Reasons[code], Topic: d.msg.Topic, Partition: d.msg.Partition, Offset: d.msg.Offset,
		Key: string(d.msg.Key), ChannelID: channelID, OrderID: orderID, Raw: raw, RejectedAt: d.now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("directpath: encoding reject: %w", err)
	}
	d.out.Messages = append(d.out.Messages, processor.Outbound{Topic: d.h.cfg.Topics.Rejects, Key: orderID, Value: b})
	return nil
}

// fireDeadline routes a deadline to its payment or refund; a deadline that
// is no longer the current one changes nothing.
func (d *decision) fireDeadline(c events.FireDirectDeadline) error {
	if c.RefundID == "" {
		return d.onPayment(c.TxnID, func(p *payment) events.Payload { return p.decideDeadline(c.Deadline, d.now(), &d.h.cfg) })
	}
	return d.onRefund(c.TxnID, c.RefundID, func(p *payment, r *refund) events.Payload {
		return r.decideDeadline(c.Deadline, d.now(), &d.h.cfg)
	})
}
