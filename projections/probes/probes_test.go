package probes_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/probes"
	"github.com/paycore/paycore/schemas"
)

// TestProbeTravelsFromKafkaIntoClickHouse is the foundation's round trip:
// an event published through our watermill Publisher on kafka-go reaches a
// ClickHouse table through the router and the projector, and a redelivered
// copy does not duplicate the row.
func TestProbeTravelsFromKafkaIntoClickHouse(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.UniqueTopic(t, "probes")
	poison := topic + ".poison"
	kafkatest.CreateTopic(t, brokers, topic, 2)
	kafkatest.CreateTopic(t, brokers, poison, 1)
	conn, _ := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	migrations, _ := fs.Sub(schemas.ClickHouse, "clickhouse")
	if _, err := migrate.Apply(ctx, conn, migrations); err != nil {
		t.Fatal(err)
	}

	logger := watermill.NopLogger{}
	pub, err := kafkapubsub.NewPublisher(kafkapubsub.PublisherConfig{Brokers: brokers}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub, err := kafkapubsub.NewSubscriber(kafkapubsub.SubscriberConfig{Brokers: brokers, ConsumerGroup: topic + ".projector", PoisonTopic: poison}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	reg := events.Catalog()
	router, err := probes.Router(probes.NewProjector(conn, reg), sub, pub, topic, poison, logger)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = router.Run(ctx) }()
	defer router.Close()
	<-router.Running()

	sentAt := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	env, err := reg.New("probe-1", 1, events.ProbeSent{ProbeID: "probe-1", Note: "round trip", Amount: events.CNY("12.34"), SentAt: sentAt},
		events.Meta{ID: events.DeriveID("probe-1"), CorrelationID: "probe-1", CausationID: "probe-1", OccurredAt: sentAt})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := events.Marshal(env)
	for i := 0; i < 2; i++ { // the second copy is a redelivery
		msg := message.NewMessage(watermill.NewUUID(), body)
		msg.Metadata.Set(kafkapubsub.MetadataPartitionKey, "probe-1")
		if err := pub.Publish(topic, msg); err != nil {
			t.Fatal(err)
		}
	}
	// A record that is not a probe must be parked, not crash the projector.
	if err := pub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("not an envelope"))); err != nil {
		t.Fatal(err)
	}

	row, err := probes.Wait(ctx, conn, "probe-1")
	if err != nil {
		t.Fatal(err)
	}
	if row.Amount != "12.34" || !row.SentAt.Equal(sentAt) {
		t.Fatalf("row %+v, want amount 12.34 sent at %v", row, sentAt)
	}
	// Both copies are in; FINAL keeps one row.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var raw, final uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM probes WHERE probe_id = 'probe-1'").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT count() FROM probes FINAL WHERE probe_id = 'probe-1'").Scan(&final); err != nil {
			t.Fatal(err)
		}
		if raw == 2 && final == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("raw rows %d, FINAL rows %d; want 2 and 1", raw, final)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
