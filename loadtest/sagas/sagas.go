// Package sagas measures payment-saga throughput and latency through the
// real broker, with every processor running, and reports it against the raw
// kafka-go baseline measured in the same run.
package sagas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/loadtest/internal/topics"
	"github.com/paycore/paycore/loadtest/workload"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/bankadmin"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/logscan"
	"github.com/paycore/paycore/services/payerbank"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/topology"
)

// Config describes one run.
type Config struct {
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector  *kafkaconn.Connector
	Prefix     string // a fresh topic prefix per run
	Partitions int
	Accounts   int // customers, each with one agreement
	Payments   int
	Seed       uint64
	Faults     banklink.Config // applied to both banks
	// SendBatch is how many requests the generator publishes per produce
	// call (closed loop: as fast as the broker accepts them).
	SendBatch int
	// InFlight bounds payments sent but not yet finished: a closed loop
	// that keeps the pipeline full without queueing requests for longer
	// than the sagas' leg timeout (which would measure status queries,
	// not throughput).
	InFlight int
	Audit    bool
	// NoAdmission runs the intake without its admission gate.
	NoAdmission bool
}

// Result is what one run measured.
type Result struct {
	Payments        int
	Elapsed         time.Duration // first request sent → last final outcome received
	RecordsWritten  int64         // every record on every topic of the run
	LatencyP50      time.Duration // request sent → final outcome received
	LatencyP99      time.Duration
	LatencyMax      time.Duration
	Statuses        map[string]int
	AuditViolations int
}

// PaymentsPerSecond is the end-to-end saga rate.
func (r Result) PaymentsPerSecond() float64 { return float64(r.Payments) / r.Elapsed.Seconds() }

// RecordsPerPayment counts every record the run wrote per payment (requests,
// commands, events, replies, outcomes), signing excluded.
func (r Result) RecordsPerPayment(signingRecords int64) float64 {
	return float64(r.RecordsWritten-signingRecords) / float64(r.Payments)
}

// Run executes one measured run.
func Run(ctx context.Context, cfg Config) (Result, int64, error) {
	top, err := topology.New(topology.Config{Prefix: cfg.Prefix, Partitions: cfg.Partitions})
	if err != nil {
		return Result{}, 0, err
	}
	acfg := app.Config{
		Kafka:   config.Kafka{Brokers: cfg.Brokers, Topology: top, AdminTimeout: 10 * time.Second, Connector: cfg.Connector},
		Secrets: config.Secrets{PayerKey: "loadtest-payer-key", SMS: "loadtest-sms"},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	acfg.Admission.Off = cfg.NoAdmission
	acfg.PayerLink, acfg.ReserveLink = cfg.Faults, cfg.Faults
	acfg.ReserveLink.Seed++
	acfg.Runtime.SessionTimeout = 6 * time.Second
	if _, err := topology.Ensure(ctx, cfg.Brokers, top, topology.EnsureOptions{Create: true, Connector: cfg.Connector}); err != nil {
		return Result{}, 0, err
	}
	// Measured and audited by the time Run returns (internal/topics).
	defer func() { _ = topics.DeleteTopology(context.WithoutCancel(ctx), cfg.Brokers, cfg.Connector, top) }()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- app.Run(runCtx, acfg, false) }()
	defer func() { stop(); <-done }()

	agreements, err := signAll(runCtx, acfg, cfg.Accounts)
	if err != nil {
		return Result{}, 0, err
	}
	signingRecords, err := recordsWritten(ctx, cfg.Brokers, cfg.Connector, top)
	if err != nil {
		return Result{}, 0, err
	}

	// Follow outcomes and time each order from send to final outcome.
	outcomes, err := logscan.Follow(runCtx, cfg.Brokers, cfg.Connector, top.Name(topology.Outcomes))
	if err != nil {
		return Result{}, 0, err
	}
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, cfg.Payments)
	latencies := make([]time.Duration, 0, cfg.Payments)
	statuses := map[string]int{}
	allDone := make(chan time.Time, 1)
	go func() {
		seen := map[string]bool{}
		for m := range outcomes {
			var o events.Outcome
			if json.Unmarshal(m.Value, &o) != nil || !channel.Final(o) {
				continue
			}
			now := time.Now()
			mu.Lock()
			t0, ok := sentAt[o.OrderID]
			if ok && !seen[o.OrderID] {
				seen[o.OrderID] = true
				latencies = append(latencies, now.Sub(t0))
				statuses[o.Status]++
				if len(latencies) == cfg.Payments {
					allDone <- now
				}
			}
			mu.Unlock()
		}
	}()

	client := channel.NewClient(cfg.Brokers, cfg.Connector, top.Name(topology.Requests))
	defer client.Close()
	// Every payment is paid on channel LOADTEST, so all of them credit one
	// reserve account (RSV-LOADTEST): 100 % reserve skew.
	gen := workload.New(cfg.Seed, len(agreements))
	start := time.Now()
	for i := 0; i < cfg.Payments; i += cfg.SendBatch {
		for {
			mu.Lock()
			open := i - len(latencies)
			mu.Unlock()
			if open+cfg.SendBatch <= cfg.InFlight || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		n := min(cfg.SendBatch, cfg.Payments-i)
		reqs := make([]events.Request, n)
		now := time.Now()
		mu.Lock()
		for j := range reqs {
			order := fmt.Sprintf("%sp%d", cfg.Prefix, i+j)
			p := gen.Next()
			reqs[j] = channel.Pay("LOADTEST", order, order, agreements[p.Customer], p.Amount)
			sentAt[order] = now
		}
		mu.Unlock()
		if err := client.Send(ctx, reqs...); err != nil {
			return Result{}, 0, err
		}
	}
	var end time.Time
	select {
	case end = <-allDone:
	case <-ctx.Done():
		mu.Lock()
		got := len(latencies)
		mu.Unlock()
		return Result{}, 0, fmt.Errorf("%d of %d payments finished before the deadline", got, cfg.Payments)
	}
	time.Sleep(time.Second) // let trailing records (rejects, log copies) land before counting
	written, err := recordsWritten(ctx, cfg.Brokers, cfg.Connector, top)
	if err != nil {
		return Result{}, 0, err
	}
	mu.Lock()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	res := Result{
		Payments: cfg.Payments, Elapsed: end.Sub(start), RecordsWritten: written,
		LatencyP50: latencies[len(latencies)/2], LatencyP99: latencies[len(latencies)*99/100], LatencyMax: latencies[len(latencies)-1],
		Statuses: statuses,
	}
	mu.Unlock()
	if cfg.Audit {
		rep, err := audit.FromKafka(ctx, cfg.Brokers, cfg.Connector, top)
		if err != nil {
			return Result{}, 0, err
		}
		res.AuditViolations = len(rep.Violations)
	}
	return res, signingRecords, nil
}

// signAll opens accounts with ample balances and signs one agreement each.
func signAll(ctx context.Context, cfg app.Config, n int) ([]string, error) {
	top := cfg.Kafka.Topology
	d, err := payerkey.NewDeriver(cfg.Secrets.PayerKey)
	if err != nil {
		return nil, err
	}
	accts := make([]bankadmin.Account, n)
	for i := range accts {
		accts[i] = bankadmin.Account{Number: fmt.Sprintf("622209%013d", i), HolderName: fmt.Sprintf("Load %d", i),
			IDNumber: fmt.Sprintf("1101051990%07dX", i), Phone: fmt.Sprintf("139%08d", i), OpeningBalance: events.CNY(workload.OpeningBalance)}
	}
	if err := bankadmin.OpenAccounts(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.PayerInbox), d, accts); err != nil {
		return nil, err
	}
	client := channel.NewClient(cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.Requests))
	defer client.Close()
	outcomes, err := channel.Watch(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, top.Name(topology.Outcomes))
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i, a := range accts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no, err := channel.SignAndConfirm(ctx, client, outcomes, "LOADTEST", fmt.Sprintf("%ssign%d", top.Prefix, i), events.SignAgreementBody{
				PayerAccount: a.Number, HolderName: a.HolderName, IDNumber: a.IDNumber, Phone: a.Phone,
				PerPaymentLimit: events.CNY("100000.00"), DailyLimit: events.CNY("100000000.00"),
			}, func(id string) string { return payerbank.SMSCode(cfg.Secrets.SMS, id) })
			if err != nil {
				errs <- err
				return
			}
			out[i] = no
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

// recordsWritten sums the end offsets of every topic of top: the topics
// are fresh, so that is every record the run wrote.
func recordsWritten(ctx context.Context, brokers []string, c *kafkaconn.Connector, top topology.Topology) (int64, error) {
	var total int64
	for _, t := range top.Topics {
		ids, err := logscan.Partitions(ctx, brokers, c, t.Name)
		if err != nil {
			return 0, err
		}
		for _, p := range ids {
			conn, err := c.DialLeader(ctx, brokers[0], t.Name, p)
			if err != nil {
				return 0, err
			}
			first, last, err := conn.ReadOffsets()
			conn.Close()
			if err != nil {
				return 0, err
			}
			total += last - first
		}
	}
	return total, nil
}
