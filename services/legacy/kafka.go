package legacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/logscan"
	"github.com/segmentio/kafka-go"
)

// newWriter returns the writer of commands and mappings: keyed records
// partitioned like every paycore producer (murmur2), so a command lands
// on the payer-bank partition that owns its payer key.
func newWriter(brokers []string, c *kafkaconn.Connector, batch int) *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(brokers...), Transport: c.Transport(), Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		BatchSize: batch, BatchTimeout: 2 * time.Millisecond, BatchBytes: 16 << 20,
	}
}

// record encodes env for topic, keyed by its aggregate.
func record(topic string, env events.Envelope) (kafka.Message, error) {
	b, err := events.Marshal(env)
	if err != nil {
		return kafka.Message{}, err
	}
	return kafka.Message{Topic: topic, Key: []byte(env.AggregateID), Value: b}, nil
}

// followFromEnd delivers the records appended to topic after the call,
// until ctx ends: the end offset of every partition is taken first, so a
// command sent afterwards cannot be answered before the follower looks.
func followFromEnd(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) (<-chan kafka.Message, error) {
	ids, err := logscan.Partitions(ctx, brokers, c, topic)
	if err != nil {
		return nil, err
	}
	ends := make([]int64, len(ids))
	for i, p := range ids {
		err := retryTemporary(ctx, func() error {
			conn, err := c.DialLeader(ctx, brokers[0], topic, p)
			if err != nil {
				return fmt.Errorf("legacy: leader of %s/%d: %w", topic, p, err)
			}
			defer conn.Close()
			if ends[i], err = conn.ReadLastOffset(); err != nil {
				return fmt.Errorf("legacy: end of %s/%d: %w", topic, p, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make(chan kafka.Message, 1024)
	for i, p := range ids {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: brokers, Dialer: c.Dialer(), Topic: topic, Partition: p,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond,
		})
		if err := r.SetOffset(ends[i]); err != nil {
			r.Close()
			return nil, err
		}
		go func() {
			defer r.Close()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					// A broker restarting: keep following; the import's
					// wait for answers bounds how long.
					select {
					case <-time.After(200 * time.Millisecond):
						continue
					case <-ctx.Done():
						return
					}
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	return out, nil
}

// temporaryAttempts bounds the retries of retryTemporary; with its linear
// backoff they span about 3 s, what a freshly created topic needs until
// every broker knows its leaders.
const temporaryAttempts = 6

// retryTemporary runs f until it succeeds, fails with an error Kafka does
// not call temporary (not leader, leader not available, ...), or
// temporaryAttempts ran out.
func retryTemporary(ctx context.Context, f func() error) error {
	var err error
	for attempt := 1; attempt <= temporaryAttempts; attempt++ {
		if err = f(); err == nil {
			return nil
		}
		var ke kafka.Error
		if !errors.As(err, &ke) || !ke.Temporary() {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
	return err
}
