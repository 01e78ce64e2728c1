// Package kafkaadmin holds the few administrative calls kafkapubsub and its
// test helpers share: read a topic's partitions without asking the broker
// to auto-create it, create a topic through the controller, delete topics.
package kafkaadmin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// ErrTopicMissing is returned (wrapped) by Partitions for a topic the
// cluster does not have.
var ErrTopicMissing = errors.New("topic does not exist")

// pollInterval spaces metadata reads while a new topic's partitions get
// their leaders.
const pollInterval = 50 * time.Millisecond

// Partitions returns the partitions of topic, each with its leader.
//
// It uses a throwaway Transport: kafka-go's Transport serves metadata from
// a cache that would hide a topic created a moment ago, and Conn's
// metadata request sets allow_auto_topic_creation, which would create the
// topic on a broker that permits it instead of reporting it missing.
func Partitions(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration, topic string) ([]kafka.Partition, error) {
	transport := c.SecureTransport(&kafka.Transport{DialTimeout: dialTimeout, MetadataTopics: []string{topic}})
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: transport}

	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata request to %v: %w", brokers, c.Explain(strings.Join(brokers, ","), err))
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
			return nil, fmt.Errorf("%q: %w", topic, ErrTopicMissing)
		}
		if t.Error != nil {
			return nil, fmt.Errorf("metadata of %q: %w", topic, t.Error)
		}
		return t.Partitions, nil
	}
	return nil, fmt.Errorf("%q: %w", topic, ErrTopicMissing)
}

// Ready reports whether every partition has a leader, that is whether
// produce and fetch requests can succeed.
func Ready(partitions []kafka.Partition) bool {
	if len(partitions) == 0 {
		return false
	}
	for _, p := range partitions {
		// A partition without a leader reports the zero Broker (Host "").
		if p.Error != nil || p.Leader.Host == "" {
			return false
		}
	}
	return true
}

// WaitReady polls until topic exists and all its partitions have leaders:
// creation is asynchronous, and a producer racing it gets
// UnknownTopicOrPartition or LeaderNotAvailable.
func WaitReady(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration, topic string) ([]kafka.Partition, error) {
	for {
		partitions, err := Partitions(ctx, brokers, c, dialTimeout, topic)
		if err == nil && Ready(partitions) {
			return partitions, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("partitions without leader")
			}
			return nil, fmt.Errorf("topic %q not ready: %w (last: %v)", topic, ctx.Err(), err)
		case <-time.After(pollInterval):
		}
	}
}

// CreateTopic creates topic with the given partition count and replication
// factor unless it exists (whatever its partition count: the declared
// topology, not this call, owns existing topics), then waits until it is
// ready. It returns the topic's partitions.
func CreateTopic(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration, topic string, partitions, replicationFactor int) ([]kafka.Partition, error) {
	if _, err := Partitions(ctx, brokers, c, dialTimeout, topic); err == nil {
		return WaitReady(ctx, brokers, c, dialTimeout, topic)
	} else if !errors.Is(err, ErrTopicMissing) {
		return nil, err
	}

	conn, err := dialController(ctx, brokers, c, dialTimeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// kafka-go's CreateTopics treats TopicAlreadyExists as success, so two
	// callers racing to create the same topic both succeed.
	err = conn.CreateTopics(kafka.TopicConfig{
		Topic:             topic,
		NumPartitions:     partitions,
		ReplicationFactor: replicationFactor,
	})
	if err != nil {
		return nil, fmt.Errorf("creating topic %q (%d partitions, replication %d): %w", topic, partitions, replicationFactor, err)
	}
	return WaitReady(ctx, brokers, c, dialTimeout, topic)
}

// DeleteTopics deletes topics through the controller. Missing topics are
// not an error.
func DeleteTopics(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	conn, err := dialController(ctx, brokers, c, dialTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.DeleteTopics(topics...); err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
		return fmt.Errorf("deleting topics %v: %w", topics, err)
	}
	return nil
}

// Topics lists the names of the cluster's topics.
func Topics(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration) ([]string, error) {
	transport := c.SecureTransport(&kafka.Transport{DialTimeout: dialTimeout})
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: transport}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("metadata request to %v: %w", brokers, err)
	}
	names := make([]string, 0, len(md.Topics))
	for _, t := range md.Topics {
		names = append(names, t.Name)
	}
	return names, nil
}

// dialController connects to the cluster's controller, where topic
// creation and deletion must be sent; in KRaft mode the metadata names a
// broker that forwards them to the active controller. The connection's
// deadline is ctx's, so no request on it outlives the caller's bound.
func dialController(ctx context.Context, brokers []string, c *kafkaconn.Connector, dialTimeout time.Duration) (*kafka.Conn, error) {
	dialer := c.Dialer()
	dialer.Timeout = dialTimeout
	deadline, _ := ctx.Deadline() // zero: no deadline
	var errs []error
	for _, addr := range brokers {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			errs = append(errs, c.Explain(addr, err))
			continue
		}
		_ = conn.SetDeadline(deadline)
		controller, err := conn.Controller()
		conn.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("asking %s for the controller: %w", addr, err))
			continue
		}
		address := net.JoinHostPort(controller.Host, fmt.Sprint(controller.Port))
		cc, err := dialer.DialContext(ctx, "tcp", address)
		if err != nil {
			errs = append(errs, fmt.Errorf("dialing controller %s: %w", address, err))
			continue
		}
		_ = cc.SetDeadline(deadline)
		return cc, nil
	}
	return nil, fmt.Errorf("no broker of %v reachable: %w", brokers, errors.Join(errs...))
}
