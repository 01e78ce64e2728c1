package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/metrics"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

// projectedTopics are the event logs the ClickHouse projections read.
func projectedTopics(top topology.Topology) []string {
	return []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents), top.Name(topology.Clearing),
		top.Name(topology.LegacyMaps)}
}

// projectorConfig builds the projector of the analyst tables for cfg.
func projectorConfig(ctx context.Context, k config.Kafka) (projector.Config, func(), error) {
	conn, err := chconn.Open(ctx, chconn.ConfigFromEnv())
	if err != nil {
		return projector.Config{}, nil, err
	}
	if _, err := migrate.Apply(ctx, conn, clickhouseMigrations()); err != nil {
		conn.Close()
		return projector.Config{}, nil, err
	}
	return analystProjector(k, conn), func() { conn.Close() }, nil
}

// analystProjector is the projector of the analyst tables over conn.
func analystProjector(k config.Kafka, conn driver.Conn) projector.Config {
	return projector.Config{
		Name: "projector", GroupPrefix: k.Topology.Prefix, Brokers: k.Brokers, Connector: k.Connector, Topics: projectedTopics(k.Topology),
		Conn: conn, Mapper: tables.Mapper{}, Registry: events.Catalog(), Logger: slog.Default(),
	}
}

func projectCommand() *cobra.Command {
	var metricsAddr string
	var sessionTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "project",
		Short: "Project the event logs into ClickHouse until interrupted",
		Long: `Runs the ClickHouse projector: consumes saga, payer-bank, reserve-bank and
clearing events with its own consumer group, inserts rows in batches (10,000
rows or 1 s), and commits offsets only after ClickHouse accepted them. With
ClickHouse down it retries with backoff (up to 10 minutes) and loses nothing.
Applies pending migrations first. Run one or more instances: partitions are
shared like any consumer group.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			if _, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true, Connector: k.Connector}); err != nil {
				return err
			}
			pc, closeConn, err := projectorConfig(cmd.Context(), k)
			if err != nil {
				return err
			}
			defer closeConn()
			pc.SessionTimeout = sessionTimeout
			if metricsAddr != "" {
				m := metrics.New()
				pc.Observer = m.Projector()
				addr, err := m.Serve(cmd.Context(), metricsAddr, nil)
				if err != nil {
					return fmt.Errorf("metrics endpoint: %w", err)
				}
				slog.Info("serving /metrics, /healthz", "addr", addr.String())
			}
			p, err := projector.New(pc)
			if err != nil {
				return err
			}
			return p.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&metricsAddr, "metrics-addr", "127.0.0.1:9465", "serve Prometheus /metrics (projector lag, rows, insert failures) here (empty: off)")
	cmd.Flags().DurationVar(&sessionTimeout, "session-timeout", projector.DefaultSessionTimeout, "consumer-group session timeout: how fast a dead instance's partitions move")
	return cmd
}
