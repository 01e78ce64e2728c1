// Package logscan reads whole topics outside any consumer group: every
// partition from its first offset. The audit, the demo and the tests use it
// to look at the log as it is, without disturbing the processors' groups.
// Every function connects through its *kafkaconn.Connector (nil: plaintext).
package logscan

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Partitions returns the partition IDs of topic.
func Partitions(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) ([]int, error) {
	dialer := c.Dialer()
	dialer.Timeout = 5 * time.Second
	conn, err := dialer.DialContext(ctx, "tcp", brokers[0])
	if err = c.Explain(brokers[0], err); err != nil {
		return nil, fmt.Errorf("logscan: dial %s: %w", brokers[0], err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("logscan: partitions of %s: %w", topic, err)
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	return ids, nil
}

// Scan calls fn for every record of topic that exists when Scan starts,
// partition by partition in offset order. It stops at the first error of
// fn. fn is called from one goroutine at a time.
func Scan(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, fn func(kafka.Message) error) error {
	ids, err := Partitions(ctx, brokers, c, topic)
	if err != nil {
		return err
	}
	for _, p := range ids {
		if err := scanPartition(ctx, brokers, c, topic, p, fn); err != nil {
			return err
		}
	}
	return nil
}

func scanPartition(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, partition int, fn func(kafka.Message) error) error {
	conn, err := c.DialLeader(ctx, brokers[0], topic, partition)
	if err != nil {
		return fmt.Errorf("logscan: leader of %s/%d: %w", topic, partition, err)
	}
	first, last, err := conn.ReadOffsets()
	conn.Close()
	if err != nil {
		return fmt.Errorf("logscan: offsets of %s/%d: %w", topic, partition, err)
	}
	if last <= first {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Dialer: c.Dialer(), Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 10000,
	})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return err
	}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("logscan: read %s/%d: %w", topic, partition, err)
		}
		if err := fn(m); err != nil {
			return err
		}
		if m.Offset >= last-1 {
			return nil
		}
	}
}

// Follow delivers every record of topic, from the first offset of every
// partition and then as they arrive, until ctx ends. Records of one
// partition arrive in order; partitions interleave.
func Follow(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) (<-chan kafka.Message, error) {
	ids, err := Partitions(ctx, brokers, c, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan kafka.Message, 1024)
	var wg sync.WaitGroup
	for _, p := range ids {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: brokers, Dialer: c.Dialer(), Topic: topic, Partition: p,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond,
		})
		if err := r.SetOffset(kafka.FirstOffset); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					// A broker restarting or a leader moving: keep
					// following, a follower that stops silently would
					// look like a system that stopped answering.
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
	go func() { wg.Wait(); close(out) }()
	return out, nil
}
