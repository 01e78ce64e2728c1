package kafkapubsub_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
)

func publish(t testing.TB, pub message.Publisher, topic string, payloads ...string) []*message.Message {
	t.Helper()
	msgs := make([]*message.Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = message.NewMessage(watermill.NewUUID(), []byte(p))
		msgs[i].Metadata.Set(kafkapubsub.MetadataPartitionKey, "acct-1")
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func subscribe(t testing.TB, sub message.Subscriber, topic string) <-chan *message.Message {
	t.Helper()
	msgs, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestNackRedeliversThenPoisons(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	poisonTopic := topic + "-poison"
	group := topic

	// Registered first, so it runs after the subscribers closed.
	t.Cleanup(func() { deleteTopicsWithPrefix(t, brokers, topic) })

	cfg := testSubscriberConfig(brokers, group)
	cfg.MaxRedeliveries = 2
	cfg.NackResendSleep = 200 * time.Millisecond
	cfg.PoisonTopic = poisonTopic
	sub := newSubscriber(t, cfg)
	// SubscribeInitialize creates the topic and its poison topic.
	if err := sub.SubscribeInitialize(topic); err != nil {
		t.Fatal(err)
	}

	pub := newPublisher(t, testPublisherConfig(brokers))
	sent := publish(t, pub, topic, "bad", "good")
	msgs := subscribe(t, sub, topic)

	// 1 delivery + MaxRedeliveries redeliveries of "bad", each after
	// NackResendSleep, before "good" may come.
	var nacked time.Time
	for delivery := 1; delivery <= 1+cfg.MaxRedeliveries; delivery++ {
		msg := receive(t, msgs)
		if msg.UUID != sent[0].UUID {
			t.Fatalf("delivery %d: got %s (%q), want the nacked message again", delivery, msg.UUID, msg.Payload)
		}
		if delivery > 1 {
			if gap := time.Since(nacked); gap < cfg.NackResendSleep {
				t.Errorf("redelivered after %v, want at least NackResendSleep %v", gap, cfg.NackResendSleep)
			}
		}
		if delivery == 1+cfg.MaxRedeliveries {
			msg.Metadata.Set(kafkapubsub.MetadataNackReason, "ledger: unknown account")
		}
		nacked = time.Now()
		msg.Nack()
	}
	if msg := receive(t, msgs); msg.UUID != sent[1].UUID {
		t.Fatalf("after poisoning got %s (%q), want the next message", msg.UUID, msg.Payload)
	} else {
		msg.Ack()
	}

	poisoned := readRaw(t, brokers, poisonTopic)
	if len(poisoned) != 1 {
		t.Fatalf("poison topic holds %d records, want 1", len(poisoned))
	}
	rec := poisoned[0]
	if string(rec.Value) != "bad" || string(rec.Key) != "acct-1" {
		t.Errorf("poison record key %q value %q, want the original's", rec.Key, rec.Value)
	}
	for key, want := range map[string]string{
		kafkapubsub.HeaderUUID:                sent[0].UUID,
		kafkapubsub.HeaderPoisonTopic:         topic,
		kafkapubsub.HeaderPoisonPartition:     "0",
		kafkapubsub.HeaderPoisonOffset:        "0",
		kafkapubsub.HeaderPoisonConsumerGroup: group,
		kafkapubsub.HeaderPoisonReason:        "ledger: unknown account (nacked 3 times, MaxRedeliveries is 2)",
	} {
		if got, _ := header(rec, key); got != want {
			t.Errorf("poison header %s = %q, want %q", key, got, want)
		}
	}

	// Both offsets are committed: a new member of the group starts after
	// them.
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	marker := publish(t, pub, topic, "marker")
	again := subscribe(t, newSubscriber(t, cfg), topic)
	if msg := receive(t, again); msg.UUID != marker[0].UUID {
		t.Errorf("restarted group got %q, want the marker: poisoned or acked offsets not committed", msg.Payload)
	}
}

func TestNackWithoutPoisonTopicNeverDrops(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, 1)

	cfg := testSubscriberConfig(brokers, topic)
	cfg.MaxRedeliveries = 1
	sent := publish(t, newPublisher(t, testPublisherConfig(brokers)), topic, "bad", "next")
	msgs := subscribe(t, newSubscriber(t, cfg), topic)

	for delivery := 1; delivery <= 5; delivery++ {
		msg := receive(t, msgs)
		if msg.UUID != sent[0].UUID {
			t.Fatalf("delivery %d: got %q, want the nacked message: it was dropped", delivery, msg.Payload)
		}
		msg.Nack()
	}
	receive(t, msgs).Ack()
	if msg := receive(t, msgs); msg.UUID != sent[1].UUID {
		t.Errorf("got %q after the ack, want the next message", msg.Payload)
	}
}

// TestOffsetCommittedOnlyAfterAck closes a subscriber holding an unacked
// message: the next member of the group gets it again. After an ack it
// does not.
func TestOffsetCommittedOnlyAfterAck(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, 1)
	cfg := testSubscriberConfig(brokers, topic)
	sent := publish(t, newPublisher(t, testPublisherConfig(brokers)), topic, "first", "second")

	first := newSubscriber(t, cfg)
	msg := receive(t, subscribe(t, first, topic))
	if msg.UUID != sent[0].UUID {
		t.Fatalf("got %q, want the first message", msg.Payload)
	}
	// Close cancels the context of the message it still holds.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-msg.Context().Done():
	default:
		t.Error("message context still live after Close")
	}

	second := newSubscriber(t, cfg)
	msgs := subscribe(t, second, topic)
	msg = receive(t, msgs)
	if msg.UUID != sent[0].UUID {
		t.Fatalf("got %q, want the unacked first message again", msg.Payload)
	}
	msg.Ack()
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}

	msg = receive(t, subscribe(t, newSubscriber(t, cfg), topic))
	if msg.UUID != sent[1].UUID {
		t.Errorf("got %q, want the second message: the ack was not committed", msg.Payload)
	}
}

// TestNewGroupReadsHistory: a consumer group that never committed starts
// at the beginning of the retained log (StartOffset FirstOffset), so a new
// projection or service sees every event.
func TestNewGroupReadsHistory(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, 1)
	sent := publish(t, newPublisher(t, testPublisherConfig(brokers)), topic, "a", "b")

	for _, group := range []string{topic + "-one", topic + "-two"} {
		msgs := subscribe(t, newSubscriber(t, testSubscriberConfig(brokers, group)), topic)
		for _, want := range sent {
			msg := receive(t, msgs)
			if msg.UUID != want.UUID {
				t.Fatalf("group %s got %q, want %q", group, msg.Payload, want.Payload)
			}
			msg.Ack()
		}
	}
}

func TestSubscribeCancelClosesChannel(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub")
	kafkatest.CreateTopic(t, brokers, topic, 1)
	sub := newSubscriber(t, testSubscriberConfig(brokers, topic))

	ctx, cancel := context.WithCancel(context.Background())
	msgs, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, open := <-msgs:
		if open {
			t.Error("got a message from an empty topic")
		}
	case <-time.After(receiveTimeout):
		t.Fatal("channel not closed after the context was canceled")
	}
}

func TestSubscribeToMissingTopicFails(t *testing.T) {
	t.Parallel()
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "kafkapubsub-missing")
	sub := newSubscriber(t, testSubscriberConfig(brokers, topic))

	_, err := sub.Subscribe(context.Background(), topic)
	if !errors.Is(err, kafkapubsub.ErrTopicMissing) || !strings.Contains(err.Error(), topic) {
		t.Errorf("Subscribe to a missing topic: %v, want ErrTopicMissing naming the topic", err)
	}
}

func TestSubscribeAfterClose(t *testing.T) {
	sub := newSubscriber(t, testSubscriberConfig([]string{"127.0.0.1:1"}, "g"))
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Subscribe(context.Background(), "t"); !errors.Is(err, kafkapubsub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestSubscribeToOwnPoisonTopicFails(t *testing.T) {
	cfg := testSubscriberConfig([]string{"127.0.0.1:1"}, "g")
	cfg.PoisonTopic = "payments-poison"
	if _, err := newSubscriber(t, cfg).Subscribe(context.Background(), "payments-poison"); err == nil {
		t.Error("Subscribe to the subscriber's own PoisonTopic succeeded")
	}
}
