package intake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Handler is the intake's processor.Handler. It keeps no state, so one
// Handler serves every partition and is safe for concurrent use.
type Handler struct {
	cfg Config
	reg *events.Registry
}

var _ processor.Handler = (*Handler)(nil)

// NewFactory applies defaults to cfg, validates it, and returns the factory
// of the intake processor on the requests topic. reg must know the command
// types the intake emits (events.Catalog does).
func NewFactory(cfg Config, reg *events.Registry) (processor.Factory, error) {
	h, err := newHandler(cfg, reg)
	if err != nil {
		return nil, err
	}
	return func(int) processor.Handler { return h }, nil
}

func newHandler(cfg Config, reg *events.Registry) (*Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if reg == nil {
		return nil, errors.New("intake: nil registry")
	}
	for _, p := range []events.Payload{events.StartPayment{}, events.StartSigning{}, events.SubmitSMSCode{}, events.TerminateAgreement{}} {
		if _, ok := reg.Lookup(events.Kind{Type: p.EventType(), Version: p.EventVersion()}); !ok {
			return nil, fmt.Errorf("intake: registry lacks %s v%d", p.EventType(), p.EventVersion())
		}
	}
	// Copy the map so a caller changing it later cannot change routing
	// under a running processor.
	accounts := make(map[string]string, len(cfg.ReserveAccounts))
	for channel, account := range cfg.ReserveAccounts {
		accounts[channel] = account
	}
	cfg.ReserveAccounts = accounts
	return &Handler{cfg: cfg, reg: reg}, nil
}

// Apply does nothing: the intake has no event log.
func (*Handler) Apply(events.Envelope, events.Payload) {}

// Due returns nil: the intake has no deadlines.
func (*Handler) Due(time.Time) []processor.Outbound { return nil }

// Handle turns one request record into exactly one command, or into one
// outcome plus one kept reject. Bad input of any kind is a rejection, never
// an error: errors are reserved for states that cannot happen (a record
// without a timestamp, a registry that refuses a command the intake built).
func (h *Handler) Handle(msg processor.Message) (processor.Output, error) {
	if msg.Time.IsZero() {
		return processor.Output{}, errors.New("intake: record has no timestamp")
	}
	req, id, rej := h.parseRequest(msg.Value)
	if rej != nil {
		return h.rejected(msg, id, rej)
	}
	cmd, rej, err := bodies[req.Type](h, req)
	if err != nil {
		return processor.Output{}, err
	}
	if rej != nil {
		return h.rejected(msg, id, rej)
	}
	env, err := h.reg.New(cmd.key, 1, cmd.payload, events.Meta{
		ID:            cmd.id,
		CorrelationID: cmd.correlationID,
		// The request has no ID of its own; the saga or request ID stands
		// for it as the cause.
		CausationID: cmd.correlationID,
		OccurredAt:  msg.Time,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("intake: building %s: %w", cmd.payload.EventType(), err)
	}
	return processor.Output{Messages: []processor.Outbound{processor.EnvelopeTo(cmd.topic, env)}}, nil
}

// rejected answers the channel with a rejected outcome and keeps the record
// verbatim on the rejects topic. Both are keyed by the order ID when it
// could be read, so the channel finds its outcome; otherwise by the
// record's own key. The outcome ID derives from the record's position, so
// a redelivered record produces the same outcome.
func (h *Handler) rejected(msg processor.Message, id identity, r *rejection) (processor.Output, error) {
	key := id.orderID
	if key == "" {
		key = string(msg.Key)
	}
	at := msg.Time.UTC()
	outcome, err := json.Marshal(events.Outcome{
		OutcomeID:      events.DeriveID(msg.Topic, strconv.Itoa(msg.Partition), strconv.FormatInt(msg.Offset, 10), "rejected"),
		RequestType:    id.requestType,
		ChannelID:      id.channelID,
		OrderID:        id.orderID,
		IdempotencyKey: id.idempotencyKey,
		Status:         events.StatusRejected,
		ReasonCode:     r.code,
		Reason:         r.reason(),
		DecidedAt:      at,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("intake: encoding outcome: %w", err)
	}
	raw := msg.Value
	if raw == nil {
		raw = []byte{} // "" rather than null: the record was empty, not absent
	}
	kept, err := json.Marshal(events.Rejected{
		ReasonCode: r.code,
		Reason:     r.reason(),
		Topic:      msg.Topic,
		Partition:  msg.Partition,
		Offset:     msg.Offset,
		Key:        string(msg.Key),
		ChannelID:  id.channelID,
		OrderID:    id.orderID,
		Raw:        raw,
		RejectedAt: at,
	})
	if err != nil {
		return processor.Output{}, fmt.Errorf("intake: encoding reject: %w", err)
	}
	return processor.Output{Messages: []processor.Outbound{
		{Topic: h.cfg.Topics.Outcomes, Key: key, Value: outcome},
		{Topic: h.cfg.Topics.Rejects, Key: key, Value: kept},
	}}, nil
}
