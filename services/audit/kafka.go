package audit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/topology"
	"github.com/segmentio/kafka-go"
)

// FromKafka reads the topics of top as they are now and checks them,
// connecting through c (nil: plaintext).
func FromKafka(ctx context.Context, brokers []string, c *kafkaconn.Connector, top topology.Topology) (Report, error) {
	l := NewLog()
	reg := events.Catalog()
	// Account and agreement events first: payments refer to them.
	for _, rel := range []string{topology.PayerEvts, topology.ResEvents, topology.SagaEvents} {
		err := logscan.Scan(ctx, brokers, c, top.Name(rel), func(m kafka.Message) error {
			env, err := events.Unmarshal(m.Value)
			if err != nil {
				return fmt.Errorf("%s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
			}
			p, err := reg.Decode(env)
			if err != nil {
				return fmt.Errorf("%s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
			}
			l.AddEvent(env, p)
			return nil
		})
		if err != nil {
			return Report{}, err
		}
	}
	if err := logscan.Scan(ctx, brokers, c, top.Name(topology.Requests), func(m kafka.Message) error {
		l.AddRequest(m.Value)
		return nil
	}); err != nil {
		return Report{}, err
	}
	if err := logscan.Scan(ctx, brokers, c, top.Name(topology.Outcomes), func(m kafka.Message) error {
		var o events.Outcome
		if err := json.Unmarshal(m.Value, &o); err != nil {
			l.violate("outcome %s/%d@%d unreadable: %v", m.Topic, m.Partition, m.Offset, err)
			return nil
		}
		l.AddOutcome(o)
		return nil
	}); err != nil {
		return Report{}, err
	}
	if err := logscan.Scan(ctx, brokers, c, top.Name(topology.Rejects), func(kafka.Message) error {
		l.AddRejected()
		return nil
	}); err != nil {
		return Report{}, err
	}
	return l.Check(), nil
}
