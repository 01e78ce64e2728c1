// Command paycore-peers measures paycore's payment saga against peer
// designs, side by side in one invocation on one machine: each run replays
// one workload (loadtest/workload) through paycore's saga run (all four
// processors on the running broker, every payment to ONE reserve account)
// and through the peer, and prints paycore ÷ peer. See
// loadtest/peers/README.md and loadtest/RESULTS.md.
//
//	deploy/stack.sh up && eval "$(deploy/stack.sh env)"
//	go -C loadtest/peers run ./cmd/paycore-peers postgres -runs 3
//	go -C loadtest/peers run ./cmd/paycore-peers temporal -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/sagas"
	"github.com/paycore/paycore/services/config"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: paycore-peers postgres|temporal [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "postgres":
		err = runPostgres(os.Args[2:])
	case "temporal":
		err = runTemporal(os.Args[2:])
	default:
		err = fmt.Errorf("unknown peer %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paycore-peers:", err)
		os.Exit(1)
	}
}

// paycoreFlags configure the paycore side of every comparison: the saga
// run of `paycore-load sagas` with its defaults of RESULTS.md.
type paycoreFlags struct {
	partitions, accounts, payments, inflight, runs *int
	audit                                          *bool
}

func addPaycoreFlags(fs *flag.FlagSet) paycoreFlags {
	return paycoreFlags{
		partitions: fs.Int("partitions", 3, "partitions of every paycore topic"),
		accounts:   fs.Int("accounts", 200, "customers (paycore: one agreement each)"),
		payments:   fs.Int("payments", 20000, "payments per run, for paycore and the peer"),
		inflight:   fs.Int("inflight", 2000, "paycore: payments sent but not finished, at most"),
		runs:       fs.Int("runs", 3, "runs (medians are reported)"),
		audit:      fs.Bool("audit", true, "audit every paycore run's log"),
	}
}

// runPaycore is paycore's saga run r on the workload of seed r+1. All its
// payments are paid on one channel, so they all credit one reserve account
// (100 % reserve skew).
func runPaycore(ctx context.Context, f paycoreFlags, stamp int64, r int) (sagas.Result, error) {
	sec, err := config.KafkaSecurityFromEnv()
	if err != nil {
		return sagas.Result{}, err
	}
	conn, err := kafkaconn.New(sec)
	if err != nil {
		return sagas.Result{}, err
	}
	res, _, err := sagas.Run(ctx, sagas.Config{
		Brokers: brokersFromEnv(), Connector: conn, Prefix: fmt.Sprintf("loadtest.peers.%d.%d.", stamp, r),
		Partitions: *f.partitions, Accounts: *f.accounts, Payments: *f.payments, Seed: seed(r),
		SendBatch: 250, InFlight: *f.inflight, Audit: *f.audit,
	})
	if err != nil {
		return sagas.Result{}, err
	}
	if res.AuditViolations > 0 {
		return sagas.Result{}, fmt.Errorf("paycore run %d: audit found %d violations", r, res.AuditViolations)
	}
	return res, nil
}

// seed is run r's workload seed, the one `paycore-load sagas` uses too.
func seed(r int) uint64 { return uint64(r + 1) }

func brokersFromEnv() []string {
	if v := os.Getenv("PAYCORE_KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:19092"}
}

func ints(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q in %q", s, list)
		}
		out = append(out, n)
	}
	return out, nil
}

// loadAvg is the machine's 1-minute load average (the machine is shared:
// a figure measured under load says so).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + "ms" }

func median(xs []float64) float64 { return baseline.Median(xs) }

func span(xs []float64, format string) string {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return fmt.Sprintf(format+"–"+format, lo, hi)
}

// repoRoot is the checkout this command runs in (the directory holding
// deploy/stack.sh), found upwards from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "deploy", "stack.sh")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("no deploy/stack.sh above %s: pass the directory flag", dir)
		}
	}
}
