package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/reconciliation"
	"github.com/paycore/paycore/projections/chconn"
)

// runReconciliation measures loading and comparing one large batch
// against a plain read of the same rows, in the same run.
func runReconciliation(args []string) error {
	fs := flag.NewFlagSet("reconciliation", flag.ExitOnError)
	n := fs.Int("transactions", 1000000, "payments in the batch")
	batch := fs.Int("batch", 100000, "rows per insert batch")
	runs := fs.Int("runs", 3, "timed runs (medians reported)")
	plant := fs.Int("plant", 5, "discrepancies planted per class")
	_ = fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	fmt.Printf("reconciliation of one %d-payment batch (payer bank), fresh ClickHouse database, median of %d runs\n", *n, *runs)
	setup, rs, err := reconciliation.Bench(ctx, reconciliation.Config{
		ClickHouse: chconn.ConfigFromEnv(), Transactions: *n, BatchRows: *batch, Runs: *runs, Plant: *plant,
	}, func(s string) { fmt.Fprintln(os.Stderr, s) })
	if err != nil {
		return err
	}
	fmt.Printf("status mix: %v\nstatement rows: %d, planted: %v\n", setup.StatusMix, setup.StatementRows, setup.Planted)
	fmt.Printf("%-4s %9s %9s %9s %9s %9s %9s %8s %9s %9s %9s\n", "run", "loadbatch", "load", "compare", "total", "baseline", "ratio", "rows", "heap MiB", "sys MiB", "base MiB")
	var load, lb, cmp, total, base, ratio, heap, sys, bheap []float64
	for i, r := range rs {
		q := r.Total.Seconds() / r.Baseline.Seconds()
		fmt.Printf("%-4d %9s %9s %9s %9s %9s %9.2f %8d %9d %9d %9d\n", i, ms(r.LoadBatch), ms(r.Load), ms(r.Compare), ms(r.Total), ms(r.Baseline),
			q, r.Rows, r.HeapPeak>>20, r.SysPeak>>20, r.BasePeak>>20)
		lb, load, cmp, total, base = append(lb, r.LoadBatch.Seconds()), append(load, r.Load.Seconds()), append(cmp, r.Compare.Seconds()),
			append(total, r.Total.Seconds()), append(base, r.Baseline.Seconds())
		ratio, heap, sys, bheap = append(ratio, q), append(heap, float64(r.HeapPeak>>20)), append(sys, float64(r.SysPeak>>20)), append(bheap, float64(r.BasePeak>>20))
	}
	last := rs[len(rs)-1]
	keys := make([]string, 0, len(last.Counts))
	for k := range last.Counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var counts []string
	for _, k := range keys {
		counts = append(counts, fmt.Sprintf("%s=%d", k, last.Counts[k]))
	}
	fmt.Printf("lines: %d (%s); baseline rows: %d\n", last.Lines, strings.Join(counts, " "), last.BaseRows)
	m := baseline.Median
	sec := func(xs []float64) string { return fmt.Sprintf("%.3f s (%s)", m(xs), span(xs)) }
	fmt.Printf("median: LoadBatch %s, load %s, compare %s, total %s, baseline %s\n", sec(lb), sec(load), sec(cmp), sec(total), sec(base))
	fmt.Printf("median: total/baseline %.2f (%s); rows/s total %.0f, baseline %.0f; heap peak %.0f MiB, sys %.0f MiB, baseline heap %.0f MiB\n",
		m(ratio), span(ratio), float64(last.Rows)/m(total), float64(last.BaseRows)/m(base), m(heap), m(sys), m(bheap))
	return nil
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
