// Package baseline measures what the bare parts can do on this machine, so
// that every paycore throughput figure is quoted as a ratio against a
// baseline measured in the same run on the same broker.
package baseline

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/loadtest/internal/topics"
	"github.com/segmentio/kafka-go"
)

// RawKafkaConfig describes one raw produce+consume run.
type RawKafkaConfig struct {
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector    *kafkaconn.Connector
	Topic        string // created with Partitions partitions if missing
	Partitions   int
	Messages     int // total messages produced and consumed
	MessageBytes int // payload size, ~1 KB for an event envelope
	// ProduceBatch is the number of messages per WriteMessages call; the
	// writer itself batches per partition up to this size.
	ProduceBatch int
	// Producers is the number of concurrent producing goroutines.
	Producers int
}

// RawKafkaResult is the outcome of one run. Elapsed runs from the first
// produce call to the moment the last message was consumed.
type RawKafkaResult struct {
	Partitions int
	Messages   int
	Bytes      int64
	Elapsed    time.Duration
}

// MessagesPerSecond is the end-to-end rate.
func (r RawKafkaResult) MessagesPerSecond() float64 {
	return float64(r.Messages) / r.Elapsed.Seconds()
}

// MBPerSecond is the end-to-end payload rate in MB/s (10^6 bytes).
func (r RawKafkaResult) MBPerSecond() float64 {
	return float64(r.Bytes) / 1e6 / r.Elapsed.Seconds()
}

// RunRawKafka produces cfg.Messages messages of cfg.MessageBytes with
// kafka-go (RequiredAcks all, hash-keyed, batched) while one reader per
// partition consumes them, and times the whole flow. This is the ceiling a
// Kafka-backed processor on the same broker can approach: paycore does the
// same I/O plus decisions, state and more topics.
func RunRawKafka(ctx context.Context, cfg RawKafkaConfig) (RawKafkaResult, error) {
	if cfg.ProduceBatch == 0 {
		cfg.ProduceBatch = 1000
	}
	if cfg.Producers == 0 {
		cfg.Producers = 2
	}
	if err := createTopic(ctx, cfg.Brokers, cfg.Connector, cfg.Topic, cfg.Partitions); err != nil {
		return RawKafkaResult{}, err
	}
	defer func() { _ = topics.Delete(context.WithoutCancel(ctx), cfg.Brokers, cfg.Connector, cfg.Topic) }()
	payload := make([]byte, cfg.MessageBytes)
	_, _ = rand.Read(payload)

	var consumed atomic.Int64
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Partitions+cfg.Producers)
	for p := 0; p < cfg.Partitions; p++ {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: cfg.Brokers, Dialer: cfg.Connector.Dialer(), Topic: cfg.Topic, Partition: p,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond,
			QueueCapacity: 1000,
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				if _, err := r.ReadMessage(ctx); err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				if consumed.Add(1) == int64(cfg.Messages) {
					close(done)
				}
			}
		}()
	}

	w := &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...), Transport: cfg.Connector.Transport(), Topic: cfg.Topic,
		Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll,
		BatchSize: cfg.ProduceBatch, BatchBytes: 16 << 20, BatchTimeout: 5 * time.Millisecond,
	}
	defer w.Close()
	start := time.Now()
	per := cfg.Messages / cfg.Producers
	for g := 0; g < cfg.Producers; g++ {
		n := per
		if g == cfg.Producers-1 {
			n = cfg.Messages - per*(cfg.Producers-1)
		}
		wg.Add(1)
		go func(g, n int) {
			defer wg.Done()
			batch := make([]kafka.Message, 0, cfg.ProduceBatch)
			for i := 0; i < n; i++ {
				batch = append(batch, kafka.Message{Key: fmt.Appendf(nil, "k-%d-%d", g, i), Value: payload})
				if len(batch) == cfg.ProduceBatch || i == n-1 {
					if err := w.WriteMessages(ctx, batch...); err != nil {
						errs <- err
						return
					}
					batch = batch[:0]
				}
			}
		}(g, n)
	}
	select {
	case <-done:
	case err := <-errs:
		return RawKafkaResult{}, err
	case <-ctx.Done():
		return RawKafkaResult{}, ctx.Err()
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	return RawKafkaResult{
		Partitions: cfg.Partitions, Messages: cfg.Messages,
		Bytes: int64(cfg.Messages) * int64(cfg.MessageBytes), Elapsed: elapsed,
	}, nil
}

func createTopic(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, partitions int) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: c.Transport()}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: 1,
	}}})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) { // kafka-go wraps the code with the broker's message
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) == partitions {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("topic %s not ready after creation", topic)
}

// Median returns the median of xs (the mean of the two middle values for
// an even count). Benchmarks on shared machines quote medians, not means.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
