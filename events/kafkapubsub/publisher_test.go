package kafkapubsub_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/segmentio/kafka-go"
)

func TestPublishRoundTripsMetadataAndKey(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, 3)

	keyed := message.NewMessage(watermill.NewUUID(), []byte(`{"amount":"12.34"}`))
	keyed.Metadata.Set("event_type", "PaymentAccepted")
	keyed.Metadata.Set(kafkapubsub.MetadataPartitionKey, "acct-42")
	unkeyed := message.NewMessage(watermill.NewUUID(), []byte("second"))
	unkeyed.Metadata.Set("empty", "")

	pub := newPublisher(t, testPublisherConfig(brokers))
	if err := pub.Publish(topic, keyed, unkeyed); err != nil {
		t.Fatal(err)
	}

	// On the broker: the partition key is the record key, not a header;
	// the UUID is a header; the unkeyed message is keyed by its UUID.
	raw := readRaw(t, brokers, topic)
	if len(raw) != 2 {
		t.Fatalf("broker holds %d records, want 2", len(raw))
	}
	byUUID := map[string]string{}
	for _, rec := range raw {
		uuid, ok := header(rec, kafkapubsub.HeaderUUID)
		if !ok {
			t.Fatalf("record %s/%d has no %s header", rec.Topic, rec.Offset, kafkapubsub.HeaderUUID)
		}
		if _, ok := header(rec, kafkapubsub.MetadataPartitionKey); ok {
			t.Errorf("partition key travels as a header too")
		}
		byUUID[uuid] = string(rec.Key)
	}
	if byUUID[keyed.UUID] != "acct-42" || byUUID[unkeyed.UUID] != unkeyed.UUID {
		t.Errorf("record keys by UUID = %v", byUUID)
	}

	// Through the Subscriber: UUID, payload and metadata come back, and the
	// record key shows as the partition key.
	sub := newSubscriber(t, testSubscriberConfig(brokers, topic))
	msgs, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*message.Message{keyed.UUID: keyed, unkeyed.UUID: unkeyed}
	wantMetadata := map[string]message.Metadata{
		keyed.UUID:   {"event_type": "PaymentAccepted", kafkapubsub.MetadataPartitionKey: "acct-42"},
		unkeyed.UUID: {"empty": "", kafkapubsub.MetadataPartitionKey: unkeyed.UUID},
	}
	for range 2 {
		got := receive(t, msgs)
		got.Ack()
		sent, ok := want[got.UUID]
		if !ok {
			t.Fatalf("unexpected message %s", got.UUID)
		}
		delete(want, got.UUID)
		if string(got.Payload) != string(sent.Payload) {
			t.Errorf("%s: payload %q, want %q", got.UUID, got.Payload, sent.Payload)
		}
		if !maps.Equal(got.Metadata, wantMetadata[got.UUID]) {
			t.Errorf("%s: metadata %v, want %v", got.UUID, got.Metadata, wantMetadata[got.UUID])
		}
	}
}

// javaMurmur2 holds murmur2 hashes from Apache Kafka's
// UtilsTest.testMurmur2; the Java client puts a key on partition
// toPositive(hash) % partitions.
var javaMurmur2 = map[string]int32{
	"21":                         -973932308,
	"foobar":                     -790332482,
	"a-little-bit-long-string":   -985981536,
	"a-little-bit-longer-string": -1486304829,
	"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
	"abc": 479470107,
}

// TestPartitionKeyPlacement publishes every key twice, in separate calls,
// and checks on the broker that both copies sit on the partition the Java
// client would choose, in publish order.
func TestPartitionKeyPlacement(t *testing.T) {
	t.Parallel()
	const partitions = 12
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, partitions)
	pub := newPublisher(t, testPublisherConfig(brokers))

	for round := range 2 {
		var batch []*message.Message
		for key := range javaMurmur2 {
			msg := message.NewMessage(watermill.NewUUID(), []byte{byte('0' + round)})
			msg.Metadata.Set(kafkapubsub.MetadataPartitionKey, key)
			batch = append(batch, msg)
		}
		if err := pub.Publish(topic, batch...); err != nil {
			t.Fatal(err)
		}
	}

	type placement struct {
		partition int
		rounds    string
	}
	got := map[string]placement{}
	for _, rec := range readRaw(t, brokers, topic) {
		p, seen := got[string(rec.Key)]
		if seen && p.partition != rec.Partition {
			t.Errorf("key %q on partitions %d and %d", rec.Key, p.partition, rec.Partition)
		}
		got[string(rec.Key)] = placement{rec.Partition, p.rounds + string(rec.Value)}
	}
	for key, hash := range javaMurmur2 {
		want := int(uint32(hash)&0x7fffffff) % partitions
		if p := got[key]; p.partition != want || p.rounds != "01" {
			t.Errorf("key %q: partition %d, rounds %q; want partition %d (Java client), rounds \"01\"", key, p.partition, p.rounds, want)
		}
	}
}

func TestPublishToUnreachableBrokerFailsWithinTimeout(t *testing.T) {
	t.Parallel()
	const writeTimeout = 2 * time.Second
	cfg := testPublisherConfig([]string{"127.0.0.1:1"})
	cfg.WriteTimeout = writeTimeout
	cfg.DialTimeout = time.Second
	pub := newPublisher(t, cfg)

	start := time.Now()
	err := pub.Publish("payments", message.NewMessage(watermill.NewUUID(), []byte("x")))
	took := time.Since(start)

	if err == nil {
		t.Fatal("Publish to 127.0.0.1:1 succeeded")
	}
	t.Logf("error after %v: %v", took.Round(time.Millisecond), err)
	if took > writeTimeout+time.Second {
		t.Errorf("Publish took %v, want at most WriteTimeout %v", took, writeTimeout)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), `"payments"`) {
		t.Errorf("error %q names neither broker nor topic", err)
	}
}

func TestPublishToMissingTopicFails(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	cfg := testPublisherConfig(brokers)
	cfg.WriteTimeout = 2 * time.Second
	pub := newPublisher(t, cfg)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub-missing")

	err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("x")))
	if err == nil {
		t.Fatalf("Publish to missing topic %s succeeded (auto-creation?)", topic)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "Unknown Topic Or Partition") {
		t.Errorf("error %q does not say the topic is unknown", err)
	}
}

// TestPublishTooLargeFailsAtOnce: a record over BatchMaxBytes can never be
// written, so Publish reports it instead of retrying until WriteTimeout.
func TestPublishTooLargeFailsAtOnce(t *testing.T) {
	cfg := testPublisherConfig([]string{"127.0.0.1:1"})
	cfg.BatchMaxBytes = 1 << 10
	pub := newPublisher(t, cfg)

	start := time.Now()
	err := pub.Publish("payments", message.NewMessage(watermill.NewUUID(), make([]byte, 2<<10)))
	var tooLarge kafka.MessageTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("Publish of an oversized message = %v, want kafka.MessageTooLargeError", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Publish took %v, want an immediate error", took)
	}
}

func TestPublishAfterClose(t *testing.T) {
	pub := newPublisher(t, testPublisherConfig([]string{"127.0.0.1:1"}))
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("t", message.NewMessage("u", nil)); !errors.Is(err, kafkapubsub.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := pub.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
