package kafkapubsub

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events/kafkapubsub/internal/kafkaadmin"
	"github.com/segmentio/kafka-go"
)

// ErrTopicMissing is returned (wrapped) by Subscribe for a topic the
// cluster does not have.
var ErrTopicMissing = kafkaadmin.ErrTopicMissing

// Subscriber is a watermill message.Subscriber on kafka-go consumer-group
// Readers: each Subscribe call is one member of SubscriberConfig's
// ConsumerGroup. It is safe for concurrent use.
type Subscriber struct {
	cfg    SubscriberConfig
	logger watermill.LoggerAdapter
	dialer *kafka.Dialer

	// poison and poisonCfg are set only with a PoisonTopic.
	poison          *kafka.Writer
	poisonTransport *kafka.Transport
	poisonCfg       PublisherConfig

	// ctx is the parent of every subscription; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // orders wg.Add in Subscribe against Close
	closed bool
	wg     sync.WaitGroup
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

// NewSubscriber validates cfg (after filling defaults) and returns a
// Subscriber. It does not contact the brokers; Subscribe does. A nil
// logger logs nothing.
func NewSubscriber(cfg SubscriberConfig, logger watermill.LoggerAdapter) (*Subscriber, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	logger = logger.With(watermill.LogFields{"consumer_group": cfg.ConsumerGroup})
	s := &Subscriber{
		cfg:    cfg,
		logger: logger,
		dialer: cfg.Connector.SecureDialer(&kafka.Dialer{ClientID: cfg.ClientID, Timeout: cfg.DialTimeout, DualStack: true}),
	}
	if cfg.PoisonTopic != "" {
		s.poisonCfg = PublisherConfig{
			Brokers:      cfg.Brokers,
			Connector:    cfg.Connector,
			ClientID:     cfg.ClientID,
			DialTimeout:  cfg.DialTimeout,
			WriteTimeout: cfg.PoisonWriteTimeout,
		}
		s.poisonCfg.setDefaults()
		if err := s.poisonCfg.Validate(); err != nil {
			return nil, err
		}
		s.poison, s.poisonTransport = newWriter(s.poisonCfg, logger)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Subscribe joins the consumer group for topic and returns the channel of
// its messages. The channel delivers one message at a time: the next one
// comes after the previous was acked, or committed to the poison topic, so
// order within a partition holds. An acked message has its offset
// committed before the next is delivered; a nacked one comes again after
// NackResendSleep (see SubscriberConfig.MaxRedeliveries for the limit).
//
// The topic must exist (see SubscribeInitialize); a missing topic is an
// error here rather than a member that silently never receives anything.
// Canceling ctx, or Close, leaves the group and closes the channel; an
// unacked message is then delivered again later, to this group.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic == s.cfg.PoisonTopic {
		return nil, fmt.Errorf("kafkapubsub: subscribing to %q, the subscriber's own PoisonTopic, would poison messages into the topic they came from", topic)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.wg.Add(1)
	s.mu.Unlock()

	// The subscription ends with ctx or with Close, whichever comes first.
	subCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	end := func() {
		stop()
		cancel()
		s.wg.Done()
	}
	if err := s.checkTopic(subCtx, topic); err != nil {
		end()
		return nil, err
	}

	sub := &subscription{
		cfg:    s.cfg,
		reader: kafka.NewReader(s.readerConfig(topic)),
		out:    make(chan *message.Message),
		logger: s.logger.With(watermill.LogFields{"topic": topic}),
	}
	if s.poison != nil {
		sub.poison = s.poisonTo
	}
	go func() {
		defer end()
		sub.run(subCtx)
	}()
	return sub.out, nil
}

func (s *Subscriber) checkTopic(ctx context.Context, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.MetadataTimeout)
	defer cancel()
	if _, err := kafkaadmin.Partitions(ctx, s.cfg.Brokers, s.cfg.Connector, s.cfg.DialTimeout, topic); err != nil {
		if errors.Is(err, ErrTopicMissing) {
			return fmt.Errorf("kafkapubsub: subscribing to %q: %w (create it with services/topology, or SubscribeInitialize)", topic, err)
		}
		return fmt.Errorf("kafkapubsub: subscribing to %q: %w", topic, err)
	}
	return nil
}

func (s *Subscriber) readerConfig(topic string) kafka.ReaderConfig {
	c := s.cfg
	return kafka.ReaderConfig{
		Brokers:           c.Brokers,
		GroupID:           c.ConsumerGroup,
		Topic:             topic,
		Dialer:            s.dialer,
		QueueCapacity:     c.PrefetchMaxMessages,
		MinBytes:          1,
		MaxBytes:          c.FetchMaxBytes,
		MaxWait:           c.MaxWait,
		ReadBackoffMin:    c.ReadBackoffMin,
		ReadBackoffMax:    c.ReadBackoffMax,
		HeartbeatInterval: c.HeartbeatInterval,
		SessionTimeout:    c.SessionTimeout,
		RebalanceTimeout:  c.RebalanceTimeout,
		JoinGroupBackoff:  c.JoinGroupBackoff,
		StartOffset:       c.StartOffset,
		// Without watching, partitions added to a topic are consumed only
		// after the next rebalance, which may be days away.
		WatchPartitionChanges:  true,
		PartitionWatchInterval: c.PartitionWatchInterval,
		// Zero: CommitMessages is synchronous, so an ack is durable in the
		// group before the next message of the partition is delivered.
		CommitInterval: 0,
		// Records of aborted transactions (other producers may use them)
		// never reach a handler.
		IsolationLevel: kafka.ReadCommitted,
		ErrorLogger:    kafkaLogger(s.logger, "kafka-go reader"),
	}
}

// SubscribeInitialize creates topic, and the PoisonTopic if configured,
// with InitializePartitions partitions when missing, and waits until their
// partitions have leaders. Existing topics are left as they are.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.MetadataTimeout)
	defer cancel()
	topics := []string{topic}
	if s.cfg.PoisonTopic != "" {
		topics = append(topics, s.cfg.PoisonTopic)
	}
	for _, t := range topics {
		_, err := kafkaadmin.CreateTopic(ctx, s.cfg.Brokers, s.cfg.Connector, s.cfg.DialTimeout, t, s.cfg.InitializePartitions, s.cfg.InitializeReplicationFactor)
		if err != nil {
			return fmt.Errorf("kafkapubsub: initializing topic: %w", err)
		}
	}
	return nil
}

// Close stops every subscription, waits until each left its group and
// closed its channel, then closes the poison writer. Offsets of messages
// acked before Close are committed (within CommitTimeout).
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.cancel()
	s.wg.Wait()
	if s.poison == nil {
		return nil
	}
	err := s.poison.Close()
	s.poisonTransport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafkapubsub: closing poison writer: %w", err)
	}
	return nil
}
