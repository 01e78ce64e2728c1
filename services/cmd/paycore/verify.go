package main

import (
	"bytes"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/processor"
	"github.com/spf13/cobra"
)

func verifyStateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify-state",
		Short: "Rebuild every partition's state twice (whole log; snapshot + tail) and compare",
		Long: `For the saga, payer-bank and reserve-bank processors, rebuilds the state of
every partition the way a new owner would (latest snapshot, then the event
log after it) and again from the whole event log, and compares the two byte
for byte. Prints per partition the events folded each way and the time
taken; exits 1 if any partition differs. It reads only: run it any time, on
a live system the two rebuilds may see a few more events than each other,
so run it when traffic is quiet for an exact answer.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			runners, err := app.Runners(app.Config{Kafka: k, Secrets: config.SecretsFromEnv(), Processors: []string{app.Saga, app.Payer, app.Reserve}})
			if err != nil {
				return err
			}
			partitions := k.Topology.Topics[0].Partitions
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROCESSOR\tPARTITION\tFULL REPLAY\tSNAPSHOT + TAIL\tSTATE")
			differ := 0
			for _, r := range runners {
				for p := 0; p < partitions; p++ {
					full, fs, err := r.Rebuild(cmd.Context(), p, false)
					if err != nil {
						return err
					}
					snap, ss, err := r.Rebuild(cmd.Context(), p, true)
					if err != nil {
						return err
					}
					a, err := full.(processor.Snapshotter).Snapshot()
					if err != nil {
						return err
					}
					b, err := snap.(processor.Snapshotter).Snapshot()
					if err != nil {
						return err
					}
					state := "identical"
					if !bytes.Equal(a, b) {
						state = "DIFFERENT"
						differ++
					}
					via := fmt.Sprintf("%d events, %v", ss.Events, ss.Took.Round(time.Millisecond))
					if ss.FromSnapshot {
						via = fmt.Sprintf("snapshot %d B + %s", ss.SnapshotBytes, via)
					} else {
						via = "no snapshot: " + via
					}
					fmt.Fprintf(w, "%s\t%d\t%d events, %v\t%s\t%s\n", r.Name(), p, fs.Events, fs.Took.Round(time.Millisecond), via, state)
				}
			}
			_ = w.Flush()
			if differ > 0 {
				return fmt.Errorf("%d partition state(s) differ between snapshot+tail and full replay", differ)
			}
			return nil
		},
	}
}
