package cutover

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// rulesAggregate is the aggregate ID of every rules version on
// cutover.rules; the version is its sequence.
const rulesAggregate = "cutover-rules"

// decodeRules returns the rules version in record value, or an error for a
// record that is not one.
func decodeRules(reg *events.Registry, value []byte) (events.CutoverRulesPublished, error) {
	env, err := events.Unmarshal(value)
	if err != nil {
		return events.CutoverRulesPublished{}, err
	}
	p, err := reg.Decode(env)
	if err != nil {
		return events.CutoverRulesPublished{}, err
	}
	rp, ok := p.(events.CutoverRulesPublished)
	if !ok {
		return events.CutoverRulesPublished{}, fmt.Errorf("%s is not %s", env.Type, events.CutoverRulesPublished{}.EventType())
	}
	return rp, nil
}

// Load reads, through c (nil: plaintext), every rules version on topic into a Book. A record that is
// not a valid, increasing version is skipped and reported through skipped
// (nil: ignore), exactly as a Follower skips it, so Load and every running
// intake agree on what is in force.
func Load(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry, skipped func(offset int64, err error)) (*Book, error) {
	b := &Book{}
	err := logscan.Scan(ctx, brokers, c, topic, func(m kafka.Message) error {
		if err := addRecord(b, reg, m.Value); err != nil && skipped != nil {
			skipped(m.Offset, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func addRecord(b *Book, reg *events.Registry, value []byte) error {
	p, err := decodeRules(reg, value)
	if err != nil {
		return err
	}
	return b.Add(p)
}

// Publish appends rules version p to topic after checking it: valid, and
// above the latest version on the topic. The check and the append are not
// atomic: of two operators publishing the same version at once, the first
// on the log wins and readers skip the other (ErrVersionNotIncreasing).
// The envelope's ID derives from the version, so re-running the same
// publish after a timeout writes a record readers skip as a repeat.
func Publish(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry, p events.CutoverRulesPublished, at time.Time) error {
	if _, err := New(p); err != nil {
		return err
	}
	b, err := Load(ctx, brokers, c, topic, reg, nil)
	if err != nil {
		return err
	}
	if latest := b.Latest(); latest != nil && p.Version <= latest.Version() {
		return fmt.Errorf("%w: version %d, but version %d is in force (publish version %d or higher)",
			ErrVersionNotIncreasing, p.Version, latest.Version(), latest.Version()+1)
	}
	id := events.DeriveID("cutover.rules", fmt.Sprint(p.Version))
	env, err := reg.New(rulesAggregate, uint64(p.Version), p, events.Meta{ID: id, CorrelationID: id, CausationID: id, OccurredAt: at})
	if err != nil {
		return err
	}
	value, err := events.Marshal(env)
	if err != nil {
		return err
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond, WriteTimeout: 30 * time.Second,
	}
	err = w.WriteMessages(ctx, kafka.Message{Key: []byte(rulesAggregate), Value: value})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cutover: publishing rules version %d: %w", p.Version, err)
	}
	return nil
}
