package kafkapubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("kafkapubsub: closed")

// Publisher is a watermill message.Publisher on a kafka-go Writer. It is
// safe for concurrent use; concurrent Publish calls share batches.
type Publisher struct {
	cfg       PublisherConfig
	logger    watermill.LoggerAdapter
	writer    *kafka.Writer
	transport *kafka.Transport

	// mu orders Publish against Close: Close waits for publishes in flight
	// instead of failing them half-written.
	mu     sync.RWMutex
	closed bool
}

var _ message.Publisher = (*Publisher)(nil)

// NewPublisher validates cfg (after filling defaults) and returns a
// Publisher. It does not contact the brokers; the first Publish does.
// A nil logger logs nothing.
func NewPublisher(cfg PublisherConfig, logger watermill.LoggerAdapter) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	writer, transport := newWriter(cfg, logger)
	return &Publisher{cfg: cfg, logger: logger, writer: writer, transport: transport}, nil
}

// Publish writes msgs to topic in one WriteMessages call and returns once
// every partition leader has them replicated to all in-sync replicas
// (acks=all), or with an error after at most WriteTimeout.
//
// Records of one call that share a partition key keep their order, and so
// do sequential calls. A call is not atomic across partitions: on error
// some records may be written. A timeout leaves the outcome unknown (kafka-go
// may still deliver the batch), and kafka-go has no idempotent producer,
// so a retry may duplicate: consumers deduplicate by UUID, as at-least-once
// delivery requires anyway. A later call's records may overtake a failed
// call's retried ones, so publish the next event of a key only after the
// previous Publish returned nil.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if len(msgs) == 0 {
		return nil
	}

	records := make([]kafka.Message, len(msgs))
	for i, msg := range msgs {
		records[i] = toKafka(topic, msg)
	}

	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.WriteTimeout)
	defer cancel()
	if err := writeRecords(ctx, p.writer, p.cfg, records); err != nil {
		return fmt.Errorf("kafkapubsub: publishing %d message(s) to topic %q via %v: %w", len(msgs), topic, p.cfg.Brokers, err)
	}
	p.logger.Trace("published", watermill.LogFields{"topic": topic, "messages": len(msgs)})
	return nil
}

// Close flushes pending batches, waits for Publish calls in flight and
// releases connections. Publish after Close returns ErrClosed.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.writer.Close()
	p.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafkapubsub: closing publisher: %w", err)
	}
	return nil
}
