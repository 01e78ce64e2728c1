package directpath

import (
	"fmt"
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

// record appends p to direct.events as event seq of aggregate id
// (processor.RecordEvent).
func (d *decision) record(id string, seq uint64, correlation string, p events.Payload) (events.Envelope, error) {
	env, err := processor.RecordEvent(&d.out, d.h.reg, d.msg, id, seq, correlation, p)
	if err != nil {
		return env, fmt.Errorf("directpath: %w", err)
	}
	return env, nil
}

// command sends p to topic keyed by key, caused by the step that sends it
// (processor.SendCommand), so a re-sent command is identical.
func (d *decision) command(topic, key, id, correlation string, step stepRef, p events.Payload) error {
	if err := processor.SendCommand(&d.out, d.h.reg, topic, key, id, correlation, step.id, step.seq, step.at, p); err != nil {
		return fmt.Errorf("directpath: %w", err)
	}
	return nil
}

// outcome answers a channel on the outcomes topic, keyed by its order ID.
func (d *decision) outcome(o events.Outcome) error {
	if err := processor.SendOutcome(&d.out, d.h.cfg.Topics.Outcomes, o); err != nil {
		return fmt.Errorf("directpath: %w", err)
	}
	return nil
}

// reject keeps the message being handled on the rejects topic, verbatim,
// with the reason its request was refused.
func (d *decision) reject(code, channelID, orderID string) error {
	if err := processor.KeepRejected(&d.out, d.h.cfg.Topics.Rejects, d.msg, code, channelID, orderID, d.now().UTC()); err != nil {
		return fmt.Errorf("directpath: %w", err)
	}
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
