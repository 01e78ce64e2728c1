package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/probes"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func probeCommand() *cobra.Command {
	var note, amount string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Send a diagnostic event through Kafka into ClickHouse and show it arrive",
		Long: `Publishes a diagnostics.probe_sent event to the probes topic, runs the probe
projector (watermill router over paycore's kafka-go Pub/Sub) that inserts it
into ClickHouse, and prints the row once ClickHouse returns it, with the
end-to-end latency. Creates missing topics and applies migrations first.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runProbe(ctx, note, amount)
		},
	}
	cmd.Flags().StringVar(&note, "note", "hello from paycore probe", "free text carried by the probe")
	cmd.Flags().StringVar(&amount, "amount", "0.01", "CNY amount carried by the probe (exercises the money encoding)")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}

func runProbe(ctx context.Context, note, amountText string) error {
	amount, err := events.ParseMoney(amountText, "CNY")
	if err != nil {
		return err
	}
	k, err := config.KafkaFromEnv()
	if err != nil {
		return err
	}
	if _, err := topology.Ensure(ctx, k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true, Connector: k.Connector}); err != nil {
		return err
	}
	conn, err := chconn.Open(ctx, chconn.ConfigFromEnv())
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := migrate.Apply(ctx, conn, clickhouseMigrations()); err != nil {
		return err
	}

	// watermill logs every subscription step at info; an operator wants warnings.
	logger := watermill.NewSlogLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	pub, err := kafkapubsub.NewPublisher(kafkapubsub.PublisherConfig{Brokers: k.Brokers, Connector: k.Connector}, logger)
	if err != nil {
		return err
	}
	defer pub.Close()
	sub, err := kafkapubsub.NewSubscriber(kafkapubsub.SubscriberConfig{
		Brokers: k.Brokers, Connector: k.Connector, ConsumerGroup: k.Topology.Prefix + "probe-projector",
		PoisonTopic: k.Topology.Name(topology.Poison),
	}, logger)
	if err != nil {
		return err
	}
	defer sub.Close()
	reg := events.Catalog()
	router, err := probes.Router(probes.NewProjector(conn, reg), sub, pub,
		k.Topology.Name(topology.Probes), k.Topology.Name(topology.Poison), logger)
	if err != nil {
		return err
	}
	go func() { _ = router.Run(ctx) }()
	defer router.Close()
	<-router.Running()

	sentAt := time.Now().UTC()
	probeID := events.DeriveID("probe", sentAt.Format(time.RFC3339Nano))
	env, err := reg.New(probeID, 1, events.ProbeSent{ProbeID: probeID, Note: note, Amount: amount, SentAt: sentAt},
		events.Meta{ID: probeID, CorrelationID: probeID, CausationID: probeID, OccurredAt: sentAt})
	if err != nil {
		return err
	}
	body, err := events.Marshal(env)
	if err != nil {
		return err
	}
	msg := message.NewMessage(probeID, body)
	msg.Metadata.Set(kafkapubsub.MetadataPartitionKey, probeID)
	if err := pub.Publish(k.Topology.Name(topology.Probes), msg); err != nil {
		return fmt.Errorf("publish probe: %w", err)
	}
	fmt.Printf("probe %s published to %s\n", probeID, k.Topology.Name(topology.Probes))
	row, err := probes.Wait(ctx, conn, probeID)
	if err != nil {
		return err
	}
	fmt.Printf("probe %s in ClickHouse after %v: amount %s CNY, kafka partition %d offset %d, projected at %s\n",
		row.ProbeID, time.Since(sentAt).Round(time.Millisecond), row.Amount, row.Partition, row.Offset, row.ProjectedAt.Format(time.RFC3339))
	return nil
}
