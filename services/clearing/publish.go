package clearing

import (
	"context"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/processor"
	"github.com/segmentio/kafka-go"
)

// maxPublish bounds one Publish call (records held in memory at once).
const maxPublish = 100_000

// Publish writes records to their topics, keyed, acknowledged by all
// in-sync replicas. Records of one call for one partition are appended in
// the order given: the writer sends a partition's batches one after the
// other. That is what makes a batch's last record (BatchClosed,
// BatchReconciled) mean that the ones before it are on the log.
func Publish(ctx context.Context, brokers []string, c *kafkaconn.Connector, records []processor.Outbound) error {
	if len(records) == 0 {
		return nil
	}
	if len(records) > maxPublish {
		return fmt.Errorf("clearing: %d records in one publish, at most %d", len(records), maxPublish)
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(),
		// Murmur2 is the partitioner of the processors' own writers: a
		// command keyed by a transaction ID reaches the partition that
		// owns the transaction.
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    maxPublish,
		BatchBytes:   1 << 20, // under the brokers' default message.max.bytes
		BatchTimeout: 2 * time.Millisecond,
		WriteTimeout: 30 * time.Second,
	}
	msgs := make([]kafka.Message, len(records))
	for i, r := range records {
		msgs[i] = kafka.Message{Topic: r.Topic, Key: []byte(r.Key), Value: r.Value}
	}
	err := w.WriteMessages(ctx, msgs...)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("clearing: publishing %d records: %w", len(records), err)
	}
	return nil
}

// To returns envs as records on topic, keyed by their aggregate.
func To(topic string, envs ...events.Envelope) []processor.Outbound {
	out := make([]processor.Outbound, len(envs))
	for i, env := range envs {
		out[i] = processor.EnvelopeTo(topic, env)
	}
	return out
}
