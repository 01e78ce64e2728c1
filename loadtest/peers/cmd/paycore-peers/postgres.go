package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/paycore/paycore/loadtest/peers/postgres"
	"github.com/paycore/paycore/loadtest/workload"
)

// runPostgres compares paycore with the row-locked PostgreSQL design at
// 100 % reserve skew. Each run sweeps the design's worker counts and
// divides paycore's rate by the best of them.
func runPostgres(args []string) error {
	fs := flag.NewFlagSet("postgres", flag.ExitOnError)
	pf := addPaycoreFlags(fs)
	dir := fs.String("pg-dir", "", "private cluster directory (default <repo>/.stack/peers/postgres)")
	port := fs.Int("pg-port", 25432, "cluster port on 127.0.0.1")
	workerList := fs.String("workers", "1,4,16,64", "worker counts (connections) to sweep; the best is the baseline")
	syncCommit := fs.String("synchronous-commit", "on", "server setting synchronous_commit (on: the package default, each COMMIT waits for its WAL flush)")
	_ = fs.Parse(args)
	workers, err := ints(*workerList)
	if err != nil {
		return err
	}
	if *dir == "" {
		root, err := repoRoot()
		if err != nil {
			return err
		}
		*dir = filepath.Join(root, ".stack", "peers", "postgres")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()

	cluster := &postgres.Cluster{Dir: *dir, Port: *port, Settings: map[string]string{"synchronous_commit": *syncCommit}}
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Println("warning:", err)
		}
	}()

	const reserve = "RSV-LOADTEST" // paycore's run credits this one account too
	fmt.Printf("paycore saga vs row-locked PostgreSQL (synchronous_commit=%s), %d payments/run from %d customers to ONE reserve account, %d paycore partitions\n",
		*syncCommit, *pf.payments, *pf.accounts, *pf.partitions)
	fmt.Printf("%-4s %-6s %-10s %10s %8s %8s %s\n", "run", "load1", "system", "pay/s", "p50", "p99", "")
	stamp := time.Now().Unix()
	var paycoreRates, bestRates, ratios []float64
	perWorkers := make(map[int][]float64, len(workers))
	for r := range *pf.runs {
		load := loadAvg()
		pc, err := runPaycore(ctx, pf, stamp, r)
		if err != nil {
			return err
		}
		fmt.Printf("%-4d %-6s %-10s %10.0f %8s %8s %v\n", r, load, "paycore", pc.PaymentsPerSecond(), ms(pc.LatencyP50), ms(pc.LatencyP99), pc.Statuses)
		payments := workload.Payments(seed(r), *pf.accounts, *pf.payments)
		best, bestN := 0.0, 0
		for _, n := range workers {
			load := loadAvg()
			res, err := postgres.Run(ctx, postgres.Config{
				AdminDSN: cluster.DSN("postgres"), Database: "peer", DSN: cluster.DSN("peer"),
				Customers: *pf.accounts, Payments: payments, ReserveAccount: reserve, Workers: n,
			})
			if err != nil {
				return err
			}
			rate := res.PaymentsPerSecond()
			perWorkers[n] = append(perWorkers[n], rate)
			if rate > best {
				best, bestN = rate, n
			}
			fmt.Printf("%-4d %-6s %-10s %10.0f %8s %8s\n", r, load, fmt.Sprintf("pg N=%d", n), rate, ms(res.LatencyP50), ms(res.LatencyP99))
		}
		ratio := pc.PaymentsPerSecond() / best
		fmt.Printf("%-4d ratio paycore ÷ pg(best N=%d) = %.2f\n", r, bestN, ratio)
		paycoreRates, bestRates, ratios = append(paycoreRates, pc.PaymentsPerSecond()), append(bestRates, best), append(ratios, ratio)
	}
	fmt.Printf("median: paycore %.0f pay/s (%s); ", median(paycoreRates), span(paycoreRates, "%.0f"))
	for _, n := range workers {
		fmt.Printf("pg N=%d %.0f (%s); ", n, median(perWorkers[n]), span(perWorkers[n], "%.0f"))
	}
	fmt.Printf("pg best %.0f pay/s; paycore ÷ pg = %.2f (range %s), target ≥ 10\n", median(bestRates), median(ratios), span(ratios, "%.2f"))
	return nil
}
