package main

import (
	"fmt"

	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func auditCommand() *cobra.Command {
	var prefix string
	var withClickHouse bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Recompute the domain invariants from the Kafka log; exit 1 on any violation",
		Long: `Reads the event logs, requests, outcomes and rejects as they are now and
checks DOMAIN.md's invariants (balances replay exactly and never go
negative, one final status per payment consistent with the legs, at most one
debit/credit/reversal per transaction, limits, every request answered).
Run it when the system is quiet. --prefix audits another topology (e.g. a
demo run's "paycore.demo-20261129-150405.").`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			top := k.Topology
			if prefix != "" {
				if top, err = topology.New(topology.Config{Prefix: prefix, Partitions: top.Topics[0].Partitions}); err != nil {
					return err
				}
			}
			rep, err := audit.FromKafka(cmd.Context(), k.Brokers, k.Connector, top)
			if err != nil {
				return err
			}
			fmt.Print(rep)
			if !rep.Clean() {
				return fmt.Errorf("%d invariant violation(s)", len(rep.Violations))
			}
			if !withClickHouse {
				return nil
			}
			conn, err := chconn.Open(cmd.Context(), chconn.ConfigFromEnv())
			if err != nil {
				return err
			}
			defer conn.Close()
			diffs, err := audit.CrossCheck(cmd.Context(), conn, rep)
			if err != nil {
				return err
			}
			for _, d := range diffs {
				fmt.Println("  - ClickHouse:", d)
			}
			if len(diffs) > 0 {
				return fmt.Errorf("ClickHouse projections disagree with the log in %d place(s) (is the projector behind? paycore project)", len(diffs))
			}
			fmt.Println("ClickHouse projections agree with the log")
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "topic prefix to audit (default: PAYCORE_TOPIC_PREFIX)")
	cmd.Flags().BoolVar(&withClickHouse, "clickhouse", false, "also compare statuses, reserve credits and opening balances with the ClickHouse projections")
	return cmd
}
