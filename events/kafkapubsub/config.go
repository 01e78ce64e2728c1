package kafkapubsub

import (
	"errors"
	"fmt"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// PublisherConfig configures a Publisher. NewPublisher fills zero fields
// with the defaults named on each field, then validates.
type PublisherConfig struct {
	// Brokers are bootstrap addresses, host:port. Required.
	Brokers []string

	// Connector authenticates and encrypts the connections (SASL, TLS).
	// Default nil: plaintext.
	Connector *kafkaconn.Connector

	// ClientID names the producer in broker logs and quotas. Default "paycore".
	ClientID string

	// WriteTimeout bounds one Publish call end to end: waiting for topic
	// metadata, batching, every produce attempt and the acks=all round trip.
	// A broker that is down or a wrong address makes Publish fail after at
	// most this long. Default 10s.
	WriteTimeout time.Duration

	// DialTimeout bounds opening one connection to a broker. Default 5s.
	DialTimeout time.Duration

	// MaxWriteAttempts is how often one batch is sent before Publish gives
	// up on it. Default 5.
	MaxWriteAttempts int

	// WriteBackoffMin and WriteBackoffMax bound the pause between attempts,
	// and between waits for a topic's metadata. Defaults 100ms and 1s.
	WriteBackoffMin time.Duration
	WriteBackoffMax time.Duration

	// BatchTimeout is how long a partly filled batch waits for messages of
	// concurrent Publish calls before it is sent; every Publish waits at
	// least this long. Default 2ms.
	BatchTimeout time.Duration

	// BatchMaxMessages and BatchMaxBytes cap one produce request per
	// partition. BatchMaxBytes must not exceed the broker's
	// message.max.bytes; a larger message fails its Publish. Defaults 100
	// messages and 1 MiB.
	BatchMaxMessages int
	BatchMaxBytes    int64

	// MetadataMaxAge bounds how stale the cached cluster metadata gets
	// (Java's metadata.max.age.ms): a topic created after the publisher
	// last looked becomes publishable within this long, and Publish waits
	// for that within WriteTimeout. Default 5s.
	MetadataMaxAge time.Duration
}

const (
	defaultClientID         = "paycore"
	defaultWriteTimeout     = 10 * time.Second
	defaultDialTimeout      = 5 * time.Second
	defaultMaxWriteAttempts = 5
	defaultWriteBackoffMin  = 100 * time.Millisecond
	defaultWriteBackoffMax  = time.Second
	defaultBatchTimeout     = 2 * time.Millisecond
	defaultBatchMaxMessages = 100
	defaultBatchMaxBytes    = 1 << 20
	defaultMetadataMaxAge   = 5 * time.Second
)

func (c *PublisherConfig) setDefaults() {
	setDefault(&c.ClientID, defaultClientID)
	setDefault(&c.WriteTimeout, defaultWriteTimeout)
	setDefault(&c.DialTimeout, defaultDialTimeout)
	setDefault(&c.MaxWriteAttempts, defaultMaxWriteAttempts)
	setDefault(&c.WriteBackoffMin, defaultWriteBackoffMin)
	setDefault(&c.WriteBackoffMax, defaultWriteBackoffMax)
	setDefault(&c.BatchTimeout, defaultBatchTimeout)
	setDefault(&c.BatchMaxMessages, defaultBatchMaxMessages)
	setDefault(&c.BatchMaxBytes, defaultBatchMaxBytes)
	setDefault(&c.MetadataMaxAge, defaultMetadataMaxAge)
}

// Validate reports every invalid field at once.
func (c PublisherConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("Brokers is empty"))
	}
	errs = appendPositive(errs, "WriteTimeout", c.WriteTimeout)
	errs = appendPositive(errs, "DialTimeout", c.DialTimeout)
	errs = appendPositive(errs, "MaxWriteAttempts", c.MaxWriteAttempts)
	errs = appendPositive(errs, "WriteBackoffMin", c.WriteBackoffMin)
	errs = appendPositive(errs, "BatchTimeout", c.BatchTimeout)
	errs = appendPositive(errs, "BatchMaxMessages", c.BatchMaxMessages)
	errs = appendPositive(errs, "BatchMaxBytes", c.BatchMaxBytes)
	errs = appendPositive(errs, "MetadataMaxAge", c.MetadataMaxAge)
	if c.WriteBackoffMax < c.WriteBackoffMin {
		errs = append(errs, fmt.Errorf("WriteBackoffMax %v is below WriteBackoffMin %v", c.WriteBackoffMax, c.WriteBackoffMin))
	}
	if c.BatchTimeout >= c.WriteTimeout {
		errs = append(errs, fmt.Errorf("BatchTimeout %v must be below WriteTimeout %v", c.BatchTimeout, c.WriteTimeout))
	}
	return configError("publisher", errs)
}

// SubscriberConfig configures a Subscriber. NewSubscriber fills zero
// fields with the defaults named on each field, then validates.
type SubscriberConfig struct {
	// Brokers are bootstrap addresses, host:port. Required.
	Brokers []string

	// Connector authenticates and encrypts the connections (SASL, TLS).
	// Default nil: plaintext.
	Connector *kafkaconn.Connector

	// ConsumerGroup is the Kafka consumer group every subscription of this
	// Subscriber joins. Required: offsets are committed to the group, which
	// is how a restarted consumer resumes after the last acked message.
	ConsumerGroup string

	// ClientID names the consumer in broker logs and quotas. Default "paycore".
	ClientID string

	// StartOffset is where a group starts on a partition it never committed
	// on: kafka.FirstOffset (default; a new group reads the whole retained
	// log, so nothing is skipped) or kafka.LastOffset.
	StartOffset int64

	// NackResendSleep is the pause before a nacked message is delivered
	// again. Default 1s.
	NackResendSleep time.Duration

	// MaxRedeliveries is how often a nacked message is delivered again
	// before it goes to PoisonTopic. Without a PoisonTopic it is not
	// consulted: the message is redelivered until acked, because dropping a
	// payment event is never an option. Default 10.
	MaxRedeliveries int

	// PoisonTopic, when set, receives a message nacked more than
	// MaxRedeliveries times, with its key, value and headers plus the
	// Header* poison headers; its offset is committed once the poison topic
	// acknowledged it. The topic must exist; SubscribeInitialize creates it.
	PoisonTopic string

	// PoisonWriteTimeout bounds publishing one message to PoisonTopic.
	// Default 10s.
	PoisonWriteTimeout time.Duration

	// CommitTimeout bounds committing the offset of one acked message. It
	// is not cut short by Close, so an ack right before shutdown still
	// commits. Default 10s.
	CommitTimeout time.Duration

	// DialTimeout bounds opening one connection to a broker. Default 5s.
	DialTimeout time.Duration

	// MetadataTimeout bounds the topic lookup in Subscribe and the topic
	// creation in SubscribeInitialize. Default 10s.
	MetadataTimeout time.Duration

	// MaxWait is how long the broker holds a fetch open waiting for new
	// records (Java's fetch.max.wait.ms); it is also about how long stopping
	// a subscription waits for an outstanding fetch. Default 500ms.
	MaxWait time.Duration

	// ReadBackoffMin and ReadBackoffMax bound the pause between fetches
	// after errors. Defaults 100ms and 1s.
	ReadBackoffMin time.Duration
	ReadBackoffMax time.Duration

	// FetchMaxBytes caps one fetch response per partition; keep it at least
	// the broker's message.max.bytes. Default 8 MiB.
	FetchMaxBytes int

	// PrefetchMaxMessages is how many fetched records a subscription
	// buffers ahead of delivery. Default 100.
	PrefetchMaxMessages int

	// HeartbeatInterval is how often a member heartbeats to the group
	// coordinator, and so how quickly it notices a rebalance. Default 3s.
	HeartbeatInterval time.Duration

	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it evicts a member and moves its partitions; the broker allows
	// 6s to 30m by default. Default 30s.
	SessionTimeout time.Duration

	// RebalanceTimeout is how long the coordinator waits for all members to
	// rejoin during a rebalance. Default 30s.
	RebalanceTimeout time.Duration

	// JoinGroupBackoff is the pause before joining the group again after a
	// failed join. Default 1s.
	JoinGroupBackoff time.Duration

	// PartitionWatchInterval is how often a subscription looks for added
	// partitions, which a rebalance then assigns. Default 5s.
	PartitionWatchInterval time.Duration

	// InitializePartitions and InitializeReplicationFactor shape topics
	// SubscribeInitialize creates. Production topics are declared and
	// created by services/topology; these matter for tests and local runs.
	// Defaults 1 and 1.
	InitializePartitions        int
	InitializeReplicationFactor int
}

const (
	defaultNackResendSleep        = time.Second
	defaultMaxRedeliveries        = 10
	defaultPoisonWriteTimeout     = 10 * time.Second
	defaultCommitTimeout          = 10 * time.Second
	defaultMetadataTimeout        = 10 * time.Second
	defaultMaxWait                = 500 * time.Millisecond
	defaultReadBackoffMin         = 100 * time.Millisecond
	defaultReadBackoffMax         = time.Second
	defaultFetchMaxBytes          = 8 << 20
	defaultPrefetchMaxMessages    = 100
	defaultHeartbeatInterval      = 3 * time.Second
	defaultSessionTimeout         = 30 * time.Second
	defaultRebalanceTimeout       = 30 * time.Second
	defaultJoinGroupBackoff       = time.Second
	defaultPartitionWatchInterval = 5 * time.Second
)

func (c *SubscriberConfig) setDefaults() {
	setDefault(&c.ClientID, defaultClientID)
	setDefault(&c.StartOffset, kafka.FirstOffset)
	setDefault(&c.NackResendSleep, defaultNackResendSleep)
	setDefault(&c.MaxRedeliveries, defaultMaxRedeliveries)
	setDefault(&c.PoisonWriteTimeout, defaultPoisonWriteTimeout)
	setDefault(&c.CommitTimeout, defaultCommitTimeout)
	setDefault(&c.DialTimeout, defaultDialTimeout)
	setDefault(&c.MetadataTimeout, defaultMetadataTimeout)
	setDefault(&c.MaxWait, defaultMaxWait)
	setDefault(&c.ReadBackoffMin, defaultReadBackoffMin)
	setDefault(&c.ReadBackoffMax, defaultReadBackoffMax)
	setDefault(&c.FetchMaxBytes, defaultFetchMaxBytes)
	setDefault(&c.PrefetchMaxMessages, defaultPrefetchMaxMessages)
	setDefault(&c.HeartbeatInterval, defaultHeartbeatInterval)
	setDefault(&c.SessionTimeout, defaultSessionTimeout)
	setDefault(&c.RebalanceTimeout, defaultRebalanceTimeout)
	setDefault(&c.JoinGroupBackoff, defaultJoinGroupBackoff)
	setDefault(&c.PartitionWatchInterval, defaultPartitionWatchInterval)
	setDefault(&c.InitializePartitions, 1)
	setDefault(&c.InitializeReplicationFactor, 1)
}

// Validate reports every invalid field at once.
func (c SubscriberConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("Brokers is empty"))
	}
	if c.ConsumerGroup == "" {
		errs = append(errs, errors.New("ConsumerGroup is empty: offsets are committed to a group"))
	}
	if c.StartOffset != kafka.FirstOffset && c.StartOffset != kafka.LastOffset {
		errs = append(errs, fmt.Errorf("StartOffset %d is neither kafka.FirstOffset nor kafka.LastOffset", c.StartOffset))
	}
	errs = appendPositive(errs, "NackResendSleep", c.NackResendSleep)
	errs = appendPositive(errs, "MaxRedeliveries", c.MaxRedeliveries)
	errs = appendPositive(errs, "PoisonWriteTimeout", c.PoisonWriteTimeout)
	errs = appendPositive(errs, "CommitTimeout", c.CommitTimeout)
	errs = appendPositive(errs, "DialTimeout", c.DialTimeout)
	errs = appendPositive(errs, "MetadataTimeout", c.MetadataTimeout)
	errs = appendPositive(errs, "MaxWait", c.MaxWait)
	errs = appendPositive(errs, "ReadBackoffMin", c.ReadBackoffMin)
	errs = appendPositive(errs, "FetchMaxBytes", c.FetchMaxBytes)
	errs = appendPositive(errs, "PrefetchMaxMessages", c.PrefetchMaxMessages)
	errs = appendPositive(errs, "HeartbeatInterval", c.HeartbeatInterval)
	errs = appendPositive(errs, "SessionTimeout", c.SessionTimeout)
	errs = appendPositive(errs, "RebalanceTimeout", c.RebalanceTimeout)
	errs = appendPositive(errs, "JoinGroupBackoff", c.JoinGroupBackoff)
	errs = appendPositive(errs, "PartitionWatchInterval", c.PartitionWatchInterval)
	errs = appendPositive(errs, "InitializePartitions", c.InitializePartitions)
	errs = appendPositive(errs, "InitializeReplicationFactor", c.InitializeReplicationFactor)
	if c.ReadBackoffMax < c.ReadBackoffMin {
		errs = append(errs, fmt.Errorf("ReadBackoffMax %v is below ReadBackoffMin %v", c.ReadBackoffMax, c.ReadBackoffMin))
	}
	if c.HeartbeatInterval >= c.SessionTimeout {
		errs = append(errs, fmt.Errorf("HeartbeatInterval %v must be below SessionTimeout %v (a third or less is usual)", c.HeartbeatInterval, c.SessionTimeout))
	}
	return configError("subscriber", errs)
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

func appendPositive[T int | int64 | time.Duration](errs []error, name string, v T) []error {
	if v <= 0 {
		return append(errs, fmt.Errorf("%s must be positive, got %v", name, v))
	}
	return errs
}

func configError(kind string, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("kafkapubsub: invalid %s config: %w", kind, errors.Join(errs...))
}
