package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/paycore/paycore/events/logpos"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/processor"
)

// replaySnapshots rebuilds (or verifies) the snapshots of every partition
// of the stateful processors from from; it returns how many partitions
// differ in verify mode.
func replaySnapshots(ctx context.Context, k config.Kafka, from logpos.From, verify, quiet bool) (int, error) {
	// Per-partition rebuild lines would tear the progress bar: the table
	// printed at the end says it all; warnings still show.
	quietLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	runners, err := app.Runners(app.Config{Kafka: k, Secrets: config.SecretsFromEnv(), Processors: []string{app.Saga, app.Payer, app.Reserve}, Logger: quietLog})
	if err != nil {
		return 0, err
	}
	parts := make([][]logpos.Partition, len(runners))
	var total int64
	for i, r := range runners {
		if parts[i], err = logpos.Resolve(ctx, k.Brokers, k.Connector, []string{r.EventLog()}, from, time.Now()); err != nil {
			return 0, fmt.Errorf("%s: %w", r.Name(), err)
		}
		for _, p := range parts[i] {
			total += p.End - p.First
		}
	}
	desc := "rebuilding snapshots"
	if verify {
		desc = "verifying snapshots"
	}
	bar := newProgress(desc, "events", quiet)
	var results []processor.SnapshotReplay
	start := time.Now()
	for i, r := range runners {
		res, err := r.ReplaySnapshots(ctx, parts[i], from, processor.ReplayOptions{Verify: verify, Covered: func(n int64) { bar.add(n, total) }})
		if err != nil {
			bar.finish()
			return 0, err
		}
		results = append(results, res...)
	}
	bar.finish()

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROCESSOR\tPARTITION\tFROM\tSEEDED BY\tEVENTS FOLDED\tSTATE AT\tBYTES\tRESULT")
	differ := 0
	for _, s := range results {
		seed := "beginning"
		if s.Rebuild.FromSnapshot {
			seed = fmt.Sprintf("snapshot@%d", s.Rebuild.EventsOffset)
		}
		result := "written"
		if verify {
			// What a restarting processor loads.
			base := "the whole log (no snapshot)"
			if s.Baseline.FromSnapshot {
				base = fmt.Sprintf("snapshot@%d + tail", s.Baseline.EventsOffset)
			}
			result = "identical to " + base
			if s.Differs {
				result = "DIFFERENT from " + base
				differ++
			}
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%s\n", s.Processor, s.Partition, s.From, seed, s.Rebuild.Events, s.Rebuild.EndOffset, s.Bytes, result)
	}
	_ = w.Flush()
	verb := "rebuilt and wrote"
	if verify {
		verb = "verified"
	}
	fmt.Printf("%s %d partition snapshot(s) from %s in %v\n", verb, len(results), from, time.Since(start).Round(time.Millisecond))
	return differ, nil
}
