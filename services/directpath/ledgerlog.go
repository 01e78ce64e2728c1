package directpath

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// ReadLedger folds channelID's legacy ledger from the direct path's event
// topic as it is now (through c; nil: plaintext), the way the processor
// folds it, and returns it with its events in log order. It is for
// operators and tests; the processor itself never reads the topic this
// way.
func ReadLedger(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry, channelID string) (Ledger, []events.Envelope, error) {
	h := &Handler{reg: reg, payments: map[string]*payment{}, ledgers: map[string]*ledger{}, timers: map[timerKey]time.Time{}}
	key := events.LegacyLedgerKey(channelID)
	var log []events.Envelope
	err := logscan.Scan(ctx, brokers, c, topic, func(m kafka.Message) error {
		if string(m.Key) != key {
			return nil
		}
		env, err := events.Unmarshal(m.Value)
		if err != nil {
			return fmt.Errorf("directpath: %s offset %d: %w", topic, m.Offset, err)
		}
		p, err := reg.Decode(env)
		if err != nil {
			return fmt.Errorf("directpath: %s offset %d: %w", topic, m.Offset, err)
		}
		h.applyLedger(env, p)
		log = append(log, env)
		return nil
	})
	if err != nil {
		return Ledger{}, nil, err
	}
	return h.Ledger(channelID), log, nil
}
