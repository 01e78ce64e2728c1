package temporal

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/loadtest/workload"
)

// Config describes one run against a running server.
type Config struct {
	HostPort       string
	TaskQueue      string
	IDPrefix       string // workflow IDs are IDPrefix + payment index
	Customers      int
	Payments       []workload.Payment
	ReserveAccount string
	// Starters start workflows concurrently, each in a closed loop: start
	// one, wait for its result, start the next.
	Starters int
	// Pollers is the worker's number of workflow-task and of activity-task
	// pollers (the SDK's default is 2 of each, too few to keep up with
	// hundreds of concurrent workflows).
	Pollers int
}

// Result is what one run measured.
type Result struct {
	Payments   int
	Elapsed    time.Duration // first start → last result
	LatencyP50 time.Duration // start → result of one workflow
	LatencyP99 time.Duration
	Statuses   map[string]int
}

// PaymentsPerSecond is the rate of completed workflows.
func (r Result) PaymentsPerSecond() float64 { return float64(r.Payments) / r.Elapsed.Seconds() }

// Run starts a worker holding fresh Banks, runs every payment as a
// PaymentSaga workflow, and checks the books: every workflow succeeded,
// the reserve account holds the workload's total, and the customers were
// debited by it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Starters < 1 || cfg.Customers < 1 || len(cfg.Payments) == 0 {
		return Result{}, fmt.Errorf("temporal: need starters, customers and payments (got %d, %d, %d)", cfg.Starters, cfg.Customers, len(cfg.Payments))
	}
	c, err := Dial(ctx, cfg.HostPort)
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	opening := events.CNY(workload.OpeningBalance)
	banks := NewBanks(cfg.Customers, opening, []string{cfg.ReserveAccount}, nil)
	w := worker.New(c, cfg.TaskQueue, worker.Options{
		MaxConcurrentWorkflowTaskPollers: cfg.Pollers,
		MaxConcurrentActivityTaskPollers: cfg.Pollers,
	})
	w.RegisterWorkflow(PaymentSaga)
	w.RegisterActivity(banks)
	if err := w.Start(); err != nil {
		return Result{}, err
	}
	defer w.Stop()

	latencies := make([]time.Duration, len(cfg.Payments))
	outcomes := make([]Outcome, len(cfg.Payments))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Starters)
	start := time.Now()
	for range cfg.Starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cfg.Payments) || ctx.Err() != nil {
					return
				}
				p := Payment{ID: fmt.Sprintf("%s%d", cfg.IDPrefix, i), Customer: cfg.Payments[i].Customer,
					Amount: cfg.Payments[i].Amount, ReserveAccount: cfg.ReserveAccount}
				t0 := time.Now()
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: p.ID, TaskQueue: cfg.TaskQueue}, PaymentSaga, p)
				if err == nil {
					err = run.Get(ctx, &outcomes[i])
				}
				if err != nil {
					errs <- fmt.Errorf("temporal: payment %d: %w", i, err)
					return
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return Result{}, err
	}

	statuses := map[string]int{}
	for _, o := range outcomes {
		statuses[o.Status]++
	}
	debited := events.ZeroCNY()
	for i := range cfg.Customers {
		d, err := opening.Sub(banks.balance(i))
		if err != nil {
			return Result{}, err
		}
		if debited, err = debited.Add(d); err != nil {
			return Result{}, err
		}
	}
	want := workload.Total(cfg.Payments)
	if statuses[events.StatusSuccess] != len(cfg.Payments) || banks.credited() != len(cfg.Payments) ||
		!banks.reserveBalance(cfg.ReserveAccount).Equal(want) || !debited.Equal(want) {
		return Result{}, fmt.Errorf("temporal: books do not balance: statuses %v, %d credited, reserve %s, customers debited %s, want %d payments of %s",
			statuses, banks.credited(), banks.reserveBalance(cfg.ReserveAccount), debited, len(cfg.Payments), want)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return Result{
		Payments: len(cfg.Payments), Elapsed: elapsed, Statuses: statuses,
		LatencyP50: latencies[len(latencies)/2], LatencyP99: latencies[len(latencies)*99/100],
	}, nil
}
