package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/projection"
	"github.com/paycore/paycore/projections/chconn"
)

// runProjection measures the projector against raw clickhouse-go batched
// inserts of the same rows, in the same run.
func runProjection(args []string) error {
	fs := flag.NewFlagSet("projection", flag.ExitOnError)
	n := fs.Int("events", 200000, "payment.started events per run")
	partitions := fs.Int("partitions", 6, "partitions of the event topic")
	batch := fs.Int("batch", 10000, "rows per insert batch (raw) and projector MaxRows")
	runs := fs.Int("runs", 3, "runs (medians reported)")
	_ = fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fmt.Printf("projector vs raw clickhouse-go batched insert, %d payment rows, %d-row batches\n", *n, *batch)
	fmt.Printf("%-4s %14s %16s %8s\n", "run", "raw rows/s", "projector rows/s", "ratio")
	var raws, projs, ratios []float64
	stamp := time.Now().Unix()
	for r := 0; r < *runs; r++ {
		res, err := projection.Run(ctx, projection.Config{
			Brokers: brokersFromEnv(), Connector: connector, ClickHouse: chconn.ConfigFromEnv(),
			Topic: fmt.Sprintf("loadtest.projection.%d.%d", stamp, r), Partitions: *partitions, Events: *n, BatchRows: *batch,
		})
		if err != nil {
			return err
		}
		ratio := res.ProjectorRowsPerSecond() / res.RawRowsPerSecond()
		fmt.Printf("%-4d %14.0f %16.0f %8.3f\n", r, res.RawRowsPerSecond(), res.ProjectorRowsPerSecond(), ratio)
		raws, projs, ratios = append(raws, res.RawRowsPerSecond()), append(projs, res.ProjectorRowsPerSecond()), append(ratios, ratio)
	}
	m := baseline.Median
	fmt.Printf("median: raw %.0f rows/s, projector %.0f rows/s, ratio %.3f (range %s)\n", m(raws), m(projs), m(ratios), span(ratios))
	return nil
}
