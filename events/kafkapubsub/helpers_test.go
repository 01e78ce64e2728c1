package kafkapubsub_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/events/kafkapubsub/internal/kafkaadmin"
	"github.com/segmentio/kafka-go"
)

// testPublisherConfig keeps Publish latency low: a short batch wait and a
// metadata cache that learns of new topics quickly.
func testPublisherConfig(brokers []string) kafkapubsub.PublisherConfig {
	return kafkapubsub.PublisherConfig{
		Brokers:        brokers,
		WriteTimeout:   10 * time.Second,
		BatchTimeout:   time.Millisecond,
		MetadataMaxAge: 250 * time.Millisecond,
	}
}

// testSubscriberConfig shortens every group and fetch interval: kafka-go
// members notice rebalances on their heartbeat, and tests join and leave
// groups all the time. SessionTimeout is the broker's minimum
// (group.min.session.timeout.ms).
func testSubscriberConfig(brokers []string, group string) kafkapubsub.SubscriberConfig {
	return kafkapubsub.SubscriberConfig{
		Brokers:                brokers,
		ConsumerGroup:          group,
		NackResendSleep:        20 * time.Millisecond,
		CommitTimeout:          5 * time.Second,
		MaxWait:                100 * time.Millisecond,
		ReadBackoffMin:         10 * time.Millisecond,
		ReadBackoffMax:         100 * time.Millisecond,
		HeartbeatInterval:      200 * time.Millisecond,
		SessionTimeout:         6 * time.Second,
		RebalanceTimeout:       10 * time.Second,
		JoinGroupBackoff:       100 * time.Millisecond,
		PartitionWatchInterval: time.Second,
	}
}

func newPublisher(t testing.TB, cfg kafkapubsub.PublisherConfig) *kafkapubsub.Publisher {
	t.Helper()
	pub, err := kafkapubsub.NewPublisher(cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub
}

func newSubscriber(t testing.TB, cfg kafkapubsub.SubscriberConfig) *kafkapubsub.Subscriber {
	t.Helper()
	sub, err := kafkapubsub.NewSubscriber(cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func testLogger() watermill.LoggerAdapter {
	if testing.Verbose() {
		return watermill.NewStdLogger(false, false)
	}
	return nil
}

// receiveTimeout is generous: the first message waits for a group join.
const receiveTimeout = 30 * time.Second

// receive returns the next message of ch, failing the test if none comes.
func receive(t testing.TB, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("message channel closed")
		}
		return msg
	case <-time.After(receiveTimeout):
		t.Fatalf("no message within %v", receiveTimeout)
	}
	return nil
}

// readRaw returns every record of topic, partition by partition, read with
// plain partition readers: what is on the broker, independent of the
// Subscriber under test.
func readRaw(t testing.TB, brokers []string, topic string) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	parts, err := kafkaadmin.Partitions(ctx, brokers, nil, 5*time.Second, topic)
	if err != nil {
		t.Fatal(err)
	}
	var all []kafka.Message
	for _, p := range parts {
		conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		first, last, err := conn.ReadOffsets()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if first == last {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p.ID, MaxWait: 100 * time.Millisecond})
		if err := r.SetOffset(first); err != nil {
			t.Fatal(err)
		}
		for range last - first {
			rec, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("reading partition %d of %s: %v", p.ID, topic, err)
			}
			all = append(all, rec)
		}
		r.Close()
	}
	return all
}

func header(rec kafka.Message, key string) (string, bool) {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// deleteTopicsWithPrefix deletes the topics a test created without
// kafkatest.CreateTopic (through SubscribeInitialize).
func deleteTopicsWithPrefix(t *testing.T, brokers []string, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all, err := kafkaadmin.Topics(ctx, brokers, nil, 5*time.Second)
	if err != nil {
		t.Errorf("listing topics for cleanup: %v", err)
		return
	}
	var ours []string
	for _, name := range all {
		if strings.HasPrefix(name, prefix) {
			ours = append(ours, name)
		}
	}
	if err := kafkaadmin.DeleteTopics(ctx, brokers, nil, 5*time.Second, ours...); err != nil {
		t.Errorf("deleting suite topics: %v", err)
	}
}
