package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
	"github.com/spf13/cobra"
)

func topicsCommand() *cobra.Command {
	var create bool
	var replication int
	cmd := &cobra.Command{
		Use:   "topics",
		Short: "Check the Kafka topics against the declared topology (and create missing ones)",
		Long: `Checks that every declared topic exists with its declared partition count and
that co-partitioned topics agree; creates missing topics with --create. Exits
non-zero with what to fix on any mismatch. Settings: PAYCORE_KAFKA_BROKERS,
PAYCORE_TOPIC_PREFIX, PAYCORE_PARTITIONS.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			rep, err := topology.Ensure(cmd.Context(), k.Brokers, k.Topology, topology.EnsureOptions{
				Timeout: k.AdminTimeout, Create: create, ReplicationFactor: replication, Connector: k.Connector,
			})
			if err != nil {
				return err
			}
			created := map[string]bool{}
			for _, n := range rep.Created {
				created[n] = true
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TOPIC\tPARTITIONS\tRETENTION\tGROUP\tSTATE\tPURPOSE")
			for _, t := range k.Topology.Topics {
				state := "ok"
				if created[t.Name] {
					state = "created"
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", t.Name, t.Partitions, t.Retention, t.Group, state, t.Purpose)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&create, "create", true, "create missing topics")
	cmd.Flags().IntVar(&replication, "replication-factor", 1, "replication factor of created topics (3 in production)")
	return cmd
}
