package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/metrics"
	"github.com/paycore/paycore/services/topology"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// projectedTopics are the event logs the ClickHouse projections read.
func projectedTopics(top topology.Topology) []string {
	return []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents), top.Name(topology.Clearing)}
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
	return projector.Config{
		Name: "projector", GroupPrefix: k.Topology.Prefix, Brokers: k.Brokers, Topics: projectedTopics(k.Topology),
		Conn: conn, Mapper: tables.Mapper{}, Registry: events.Catalog(), Logger: slog.Default(),
	}, func() { conn.Close() }, nil
}

func projectCommand() *cobra.Command {
	var metricsAddr string
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
			if _, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{Timeout: k.AdminTimeout, Create: true}); err != nil {
				return err
			}
			pc, closeConn, err := projectorConfig(cmd.Context(), k)
			if err != nil {
				return err
			}
			defer closeConn()
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
	return cmd
}

func replayCommand() *cobra.Command {
	var quiet bool
	return &cobra.Command{
		Use:   "replay",
		Short: "Rebuild the ClickHouse projections from the Kafka logs, with progress",
		Long: `Reads every event log from its first offset to its current end and inserts
the rows again. Tables are ReplacingMergeTree keyed by event, so replaying
over existing rows replaces them (read with FINAL); to rebuild from scratch,
drop the tables first and run paycore migrate. Uses no consumer group and
commits nothing, so a running projector is not disturbed.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			pc, closeConn, err := projectorConfig(cmd.Context(), k)
			if err != nil {
				return err
			}
			defer closeConn()
			var bar *progressbar.ProgressBar
			if !quiet {
				pc.Progress = func(done, total int64) {
					if bar == nil {
						bar = progressbar.NewOptions64(total, progressbar.OptionSetDescription("replaying events"),
							progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
							progressbar.OptionSetWriter(os.Stderr), progressbar.OptionThrottle(200*time.Millisecond))
					}
					_ = bar.Set64(done)
				}
			}
			stats, err := projector.Replay(cmd.Context(), pc)
			if bar != nil {
				_ = bar.Finish()
				fmt.Fprintln(os.Stderr)
			}
			if err != nil {
				return err
			}
			fmt.Printf("replayed %d events into %d rows (%d skipped) in %v\n", stats.Records, stats.Rows, stats.Skipped, stats.Took.Round(time.Millisecond))
			return nil
		},
	}
}
