package processor

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
)

// Builders shared by the deciding Handlers (the sagas, the direct path):
// each appends one record to out, derived so that deciding the same
// message on the same state again gives the very same bytes.

// RecordEvent appends p to out as event seq of aggregate, caused by msg.
// Its ID derives from the message, the event type and the sequence: the
// same message deciding on the same state records the same event, and two
// events never share an ID.
func RecordEvent(out *Output, reg *events.Registry, msg Message, aggregate string, seq uint64, correlation string, p events.Payload) (events.Envelope, error) {
	env, err := reg.New(aggregate, seq, p, events.Meta{
		ID:            events.DeriveID(msg.Envelope.ID, p.EventType(), strconv.FormatUint(seq, 10)),
		CorrelationID: correlation,
		CausationID:   msg.Envelope.ID,
		OccurredAt:    msg.Time,
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("recording %s for %s: %w", p.EventType(), aggregate, err)
	}
	out.Events = append(out.Events, env)
	out.Payloads = append(out.Payloads, p)
	return env, nil
}

// SendCommand appends command p to topic, keyed by key, as caused by the
// event (causationID, seq, at) that entered the sender's current step.
// Nothing comes from the message being handled, so a re-sent command is
// identical to the first.
func SendCommand(out *Output, reg *events.Registry, topic, key, id, correlation, causationID string, seq uint64, at time.Time, p events.Payload) error {
	env, err := reg.New(key, seq, p, events.Meta{ID: id, CorrelationID: correlation, CausationID: causationID, OccurredAt: at})
	if err != nil {
		return fmt.Errorf("building %s: %w", p.EventType(), err)
	}
	out.Messages = append(out.Messages, EnvelopeTo(topic, env))
	return nil
}

// SendOutcome appends the answer to a channel request to topic, keyed by
// its order ID, with the reason text filled from the reason code.
func SendOutcome(out *Output, topic string, o events.Outcome) error {
	if o.ReasonCode != "" {
		o.Reason = events.Reasons[o.ReasonCode]
	}
	b, err := events.EncodeJSON(o)
	if err != nil {
		return fmt.Errorf("encoding outcome %s: %w", o.OutcomeID, err)
	}
	out.Messages = append(out.Messages, Outbound{Topic: topic, Key: o.OrderID, Value: b})
	return nil
}

// KeepRejected appends msg, verbatim, to the rejects topic with the reason
// its request was refused, keyed by order ID like the outcome answering it.
func KeepRejected(out *Output, topic string, msg Message, code, channelID, orderID string, at time.Time) error {
	raw := msg.Value
	if len(raw) == 0 {
		// Handed a decoded message only (tests, tools): keep the envelope.
		var err error
		if raw, err = events.Marshal(msg.Envelope); err != nil {
			return fmt.Errorf("encoding rejected %s: %w", msg.Envelope.Type, err)
		}
	}
	b, err := events.EncodeJSON(events.Rejected{
		ReasonCode: code, Reason: events.Reasons[code], Topic: msg.Topic, Partition: msg.Partition, Offset: msg.Offset,
		Key: string(msg.Key), ChannelID: channelID, OrderID: orderID, Raw: raw, RejectedAt: at,
	})
	if err != nil {
		return fmt.Errorf("encoding reject: %w", err)
	}
	out.Messages = append(out.Messages, Outbound{Topic: topic, Key: orderID, Value: b})
	return nil
}
