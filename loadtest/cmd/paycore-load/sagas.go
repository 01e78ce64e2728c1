package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/sagas"
	"github.com/paycore/paycore/services/banklink"
)

// runSagas measures payment sagas and, in the same run and on the same
// broker, raw kafka-go produce+consume; it reports
// (records per payment × payments/s) ÷ raw records/s.
func runSagas(args []string) error {
	fs := flag.NewFlagSet("sagas", flag.ExitOnError)
	partitions := fs.Int("partitions", 6, "partitions of every topic")
	accounts := fs.Int("accounts", 200, "customers (one agreement each)")
	payments := fs.Int("payments", 20000, "payments per run")
	runs := fs.Int("runs", 3, "runs (medians are reported)")
	rawMessages := fs.Int("raw-messages", 200000, "messages of the raw baseline per run")
	inflight := fs.Int("inflight", 2000, "payments sent but not finished, at most")
	faults := fs.Bool("faults", false, "bank-link faults on (5% lost replies, 30% unknown queries, 0-5 ms latency)")
	audit := fs.Bool("audit", true, "audit every run's log")
	noAdmission := fs.Bool("no-admission", false, "run the intake without its admission gate (paycore run --no-admission)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	_ = fs.Parse(args)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	var link banklink.Config
	if *faults {
		link = banklink.Config{Seed: 1, LostReplyRate: 0.05, QueryUnknownRate: 0.3, LatencyMax: 5 * time.Millisecond}
	}
	stamp := time.Now().Unix()
	var ratios, pps, raws, p50s, p99s, perPay []float64
	fmt.Printf("payment sagas vs raw kafka-go, %d partitions, %d payments/run over %d agreements, at most %d in flight, faults=%v\n", *partitions, *payments, *accounts, *inflight, *faults)
	fmt.Printf("%-4s %10s %12s %10s %10s %12s %8s %s\n", "run", "pay/s", "records/pay", "p50", "p99", "raw msg/s", "ratio", "statuses")
	for r := 0; r < *runs; r++ {
		raw, err := baseline.RunRawKafka(ctx, baseline.RawKafkaConfig{
			Brokers: brokersFromEnv(), Connector: connector, Topic: fmt.Sprintf("loadtest.raw.%d.%d", stamp, r),
			Partitions: *partitions, Messages: *rawMessages, MessageBytes: 1024,
		})
		if err != nil {
			return err
		}
		res, signing, err := sagas.Run(ctx, sagas.Config{
			Brokers: brokersFromEnv(), Connector: connector, Prefix: fmt.Sprintf("loadtest.sagas.%d.%d.", stamp, r),
			Partitions: *partitions, Accounts: *accounts, Payments: *payments, Seed: uint64(r + 1),
			Faults: link, SendBatch: 250, InFlight: *inflight, Audit: *audit, NoAdmission: *noAdmission,
		})
		if err != nil {
			return err
		}
		if res.AuditViolations > 0 {
			return fmt.Errorf("run %d: audit found %d violations", r, res.AuditViolations)
		}
		rpp := res.RecordsPerPayment(signing)
		ratio := rpp * res.PaymentsPerSecond() / raw.MessagesPerSecond()
		fmt.Printf("%-4d %10.0f %12.1f %10v %10v %12.0f %8.3f %v\n", r, res.PaymentsPerSecond(), rpp,
			res.LatencyP50.Round(time.Millisecond), res.LatencyP99.Round(time.Millisecond), raw.MessagesPerSecond(), ratio, res.Statuses)
		ratios, pps, raws, perPay = append(ratios, ratio), append(pps, res.PaymentsPerSecond()), append(raws, raw.MessagesPerSecond()), append(perPay, rpp)
		p50s, p99s = append(p50s, float64(res.LatencyP50.Milliseconds())), append(p99s, float64(res.LatencyP99.Milliseconds()))
	}
	m := baseline.Median
	fmt.Printf("median: %.0f payments/s, %.1f records/payment, p50 %.0f ms, p99 %.0f ms, raw %.0f msg/s, ratio %.3f (range %s)\n",
		m(pps), m(perPay), m(p50s), m(p99s), m(raws), m(ratios), span(ratios))
	return nil
}

func span(xs []float64) string {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return strings.TrimSpace(fmt.Sprintf("%.3f..%.3f", lo, hi))
}
