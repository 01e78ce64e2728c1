package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/paycore/paycore/loadtest/peers/temporal"
	"github.com/paycore/paycore/loadtest/workload"
)

// runTemporal compares paycore's saga with the same saga on Temporal's dev
// server. Each run sweeps the number of concurrent starters and divides
// paycore's rate by the best of them; every measurement gets a fresh
// (in-memory) server, so no run inherits another's history.
func runTemporal(args []string) error {
	fs := flag.NewFlagSet("temporal", flag.ExitOnError)
	pf := addPaycoreFlags(fs)
	home, _ := os.UserHomeDir()
	cliDir := fs.String("temporal-dir", filepath.Join(home, ".cache", "paycore", "temporal"), "where the temporal CLI is (built there when absent)")
	port := fs.Int("temporal-port", 17233, "dev server front-end port on 127.0.0.1 (it also uses the next two)")
	starterList := fs.String("starters", "100,400", "concurrent workflow starters to sweep; the best is the baseline")
	pollers := fs.Int("pollers", 8, "worker pollers for workflow tasks and for activity tasks, each")
	temporalPayments := fs.Int("temporal-payments", 0, "workflows per measurement (default: -payments)")
	serverLog := fs.String("server-log", "", "append the dev server's output to this file")
	partitions := fs.Int("task-queue-partitions", 1, "dev server task queue partitions (Temporal's default is 4; one node and one worker do better with 1)")
	_ = fs.Parse(args)
	starters, err := ints(*starterList)
	if err != nil {
		return err
	}
	if *temporalPayments == 0 {
		*temporalPayments = *pf.payments
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Minute)
	defer cancel()
	bin, err := temporal.EnsureCLI(ctx, *cliDir, os.Stderr)
	if err != nil {
		return err
	}
	logTo := &temporal.DevServer{Bin: bin, Port: *port, DynamicConfig: []string{
		fmt.Sprintf("matching.numTaskqueueReadPartitions=%d", *partitions),
		fmt.Sprintf("matching.numTaskqueueWritePartitions=%d", *partitions),
	}}
	if *serverLog != "" {
		f, err := os.OpenFile(*serverLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logTo.Log = f
	}

	const reserve = "RSV-LOADTEST"
	fmt.Printf("paycore saga vs the same saga on Temporal's dev server (CLI %s), paycore %d payments/run, Temporal %d workflows/measurement, %d customers, ONE reserve account, %d worker pollers, %d task queue partitions\n",
		temporal.CLIVersion, *pf.payments, *temporalPayments, *pf.accounts, *pollers, *partitions)
	fmt.Printf("%-4s %-6s %-14s %10s %8s %8s %s\n", "run", "load1", "system", "pay/s", "p50", "p99", "")
	stamp := time.Now().Unix()
	var paycoreRates, bestRates, ratios []float64
	perStarters := make(map[int][]float64, len(starters))
	for r := range *pf.runs {
		load := loadAvg()
		pc, err := runPaycore(ctx, pf, stamp, r)
		if err != nil {
			return err
		}
		fmt.Printf("%-4d %-6s %-14s %10.0f %8s %8s %v\n", r, load, "paycore", pc.PaymentsPerSecond(), ms(pc.LatencyP50), ms(pc.LatencyP99), pc.Statuses)
		payments := workload.Payments(seed(r), *pf.accounts, *temporalPayments)
		best, bestN := 0.0, 0
		for _, n := range starters {
			load := loadAvg()
			res, err := measureTemporal(ctx, *logTo, temporal.Config{
				TaskQueue: "payments", IDPrefix: fmt.Sprintf("pay-%d-%d-%d-", stamp, r, n),
				Customers: *pf.accounts, Payments: payments, ReserveAccount: reserve, Starters: n, Pollers: *pollers,
			})
			if err != nil {
				return err
			}
			rate := res.PaymentsPerSecond()
			perStarters[n] = append(perStarters[n], rate)
			if rate > best {
				best, bestN = rate, n
			}
			fmt.Printf("%-4d %-6s %-14s %10.0f %8s %8s %v\n", r, load, fmt.Sprintf("temporal S=%d", n), rate, ms(res.LatencyP50), ms(res.LatencyP99), res.Statuses)
		}
		ratio := pc.PaymentsPerSecond() / best
		fmt.Printf("%-4d ratio paycore ÷ temporal(best S=%d) = %.2f\n", r, bestN, ratio)
		paycoreRates, bestRates, ratios = append(paycoreRates, pc.PaymentsPerSecond()), append(bestRates, best), append(ratios, ratio)
	}
	fmt.Printf("median: paycore %.0f pay/s (%s); ", median(paycoreRates), span(paycoreRates, "%.0f"))
	for _, n := range starters {
		fmt.Printf("temporal S=%d %.0f (%s); ", n, median(perStarters[n]), span(perStarters[n], "%.0f"))
	}
	fmt.Printf("temporal best %.0f workflows/s; paycore ÷ temporal = %.2f (range %s), target ≥ 50\n", median(bestRates), median(ratios), span(ratios, "%.2f"))
	return nil
}

// measureTemporal runs one measurement on a fresh dev server, stopped
// afterwards.
func measureTemporal(ctx context.Context, server temporal.DevServer, cfg temporal.Config) (temporal.Result, error) {
	if err := server.Start(ctx); err != nil {
		return temporal.Result{}, err
	}
	defer server.Stop()
	cfg.HostPort = server.HostPort()
	return temporal.Run(ctx, cfg)
}
