package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/paycore/paycore/events/logpos"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/services/config"
	"github.com/spf13/cobra"
)

// Targets of paycore replay.
const (
	targetProjections = "projections"
	targetSnapshots   = "snapshots"
	targetAll         = "all"
)

func replayCommand() *cobra.Command {
	var quiet, verify bool
	var target, fromFlag string
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Rebuild (or --verify) the ClickHouse projections and the processors' snapshots from the Kafka logs",
		Long: `Rebuilds derived state from the event logs, the source of truth:

  --target projections  re-projects the events into the ClickHouse tables.
      Tables are ReplacingMergeTree keyed by fact and versioned by sequence,
      so re-inserting rows replaces them (read with FINAL). To rebuild from
      scratch, drop the tables and run paycore migrate first.
  --target snapshots    rebuilds the state of every partition of the saga,
      payer-bank and reserve-bank processors and writes it as the partition's
      snapshot, which a processor loads at its next assignment.
  --target all          both.

--from says where in each partition to start: beginning, offset:<n> (the same
offset in every partition) or time:<RFC3339> (the first record at or after
that time, Kafka's offset-for-time lookup). For projections, the events
from that point on are projected again. For snapshots, which are state and
not history, every snapshot taken after that point is distrusted: the
rebuild starts from the newest snapshot taken at or before it (the whole
log when there is none, and always for beginning) and folds to the end.

--verify writes nothing and exits 1 on a difference: for projections, the
rows the events from that point give are compared with what ClickHouse
holds (FINAL), key by key; for snapshots, each rebuilt state is compared
byte for byte with what a restarting processor would load (latest
snapshot + tail). Uses no consumer group and commits nothing, so running
processors and projectors are not disturbed; on a live system run --verify
once the projector has caught up. A progress bar (records, rate, ETA) is
drawn on stderr when it is a terminal and --quiet is not given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := logpos.Parse(fromFlag)
			if err != nil {
				return err
			}
			if target != targetProjections && target != targetSnapshots && target != targetAll {
				return fmt.Errorf("unknown --target %q: projections, snapshots or all", target)
			}
			k, err := config.KafkaFromEnv()
			if err != nil {
				return err
			}
			var differences []string
			if target != targetSnapshots {
				n, err := replayProjections(cmd.Context(), k, from, verify, quiet)
				if err != nil {
					return err
				}
				if n > 0 {
					differences = append(differences, fmt.Sprintf("%d in the ClickHouse projections", n))
				}
			}
			if target != targetProjections {
				n, err := replaySnapshots(cmd.Context(), k, from, verify, quiet)
				if err != nil {
					return err
				}
				if n > 0 {
					differences = append(differences, fmt.Sprintf("%d partition state(s) differ from latest snapshot + tail", n))
				}
			}
			if len(differences) > 0 {
				return fmt.Errorf("verify found differences: %s", strings.Join(differences, "; "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", targetProjections, "what to rebuild: projections, snapshots or all")
	f.StringVar(&fromFlag, "from", "beginning", "where to start in each partition: beginning, offset:<n> or time:<RFC3339>")
	f.BoolVar(&verify, "verify", false, "compare only: write nothing, exit 1 on a difference")
	f.BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

// replayProjections re-projects (or verifies) the analyst tables from
// from; it returns the differences found in verify mode.
func replayProjections(ctx context.Context, k config.Kafka, from logpos.From, verify, quiet bool) (int, error) {
	if verify {
		// No migrations either: verify writes nothing.
		conn, err := chconn.Open(ctx, chconn.ConfigFromEnv())
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		pc := analystProjector(k, conn)
		bar := newProgress("verifying projections", "events", quiet)
		pc.Progress = bar.set
		rep, err := projector.Verify(ctx, pc, from)
		bar.finish()
		if err != nil {
			return 0, err
		}
		fmt.Print(rep)
		n := 0
		for _, t := range rep.Tables {
			n += t.Differences()
		}
		if n == 0 {
			fmt.Println("ClickHouse holds exactly the rows of the log from", from)
		}
		return n, nil
	}
	pc, closeConn, err := projectorConfig(ctx, k)
	if err != nil {
		return 0, err
	}
	defer closeConn()
	bar := newProgress("replaying events", "events", quiet)
	pc.Progress = bar.set
	stats, err := projector.ReplayFrom(ctx, pc, from)
	bar.finish()
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(os.Stdout, "replayed %d events from %s into %d rows (%d skipped) in %v\n",
		stats.Records, from, stats.Rows, stats.Skipped, stats.Took.Round(time.Millisecond))
	return 0, nil
}
