// Package reconciliation measures reconciling one large clearing batch:
// loading our side of the batch from ClickHouse with the functions
// services/reconcile uses, and comparing it with a bank statement with
// reconcile.Compare, against a plain read of the same rows in the same run.
package reconciliation

import (
	"context"
	"fmt"
	"github.com/paycore/paycore/loadtest/internal/scratch"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/reconcile"
)

// Config describes the benchmark.
type Config struct {
	ClickHouse   chconn.Config
	Transactions int // payments in the batch
	BatchRows    int // rows per insert batch
	Runs         int
	// Plant is how many discrepancies of each class to plant.
	Plant int
}

// Setup is what was inserted and the statement built.
type Setup struct {
	Transactions   int
	StatementRows  int
	Planted        map[string]int
	StatusMix      map[string]int
	InsertElapsed  time.Duration
	OptimizeElapse time.Duration
}

// Run is one timed run.
type Run struct {
	Load      time.Duration // clearing.LoadBatch + clearing.Settle check
	LoadBatch time.Duration // clearing.LoadBatch alone
	Compare   time.Duration // reconcile.Compare
	Total     time.Duration // Load + Compare, timed end to end
	Baseline  time.Duration // plain SELECT txn_id, amount, status ... FINAL read into Go
	Rows      int           // payments loaded
	BaseRows  int           // rows the baseline read
	Lines     int
	Counts    map[string]int
	// HeapPeak is the highest HeapInuse sampled (every 5 ms) during
	// Load+Compare; SysPeak the highest Sys. BasePeak is HeapInuse during
	// the baseline.
	HeapPeak, SysPeak, BasePeak uint64
}

// Window is the batch window used: one hour.
var (
	WindowStart = time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	WindowEnd   = WindowStart.Add(time.Hour)
)

// BaselineSQL is the floor: the same tables, FINAL, narrowed to the same
// window the same way, only the three compared columns, no ORDER BY.
const BaselineSQL = `
SELECT txn_id, amount, status
FROM
(
    SELECT txn_id, amount FROM payments FINAL WHERE txn_id IN (` + clearing.InWindow + `)
)
ANY INNER JOIN
(
    SELECT txn_id, status FROM payment_results FINAL
    WHERE finished_at >= toDateTime(?, 'UTC') AND finished_at < toDateTime(?, 'UTC')
)
USING (txn_id)`

// Bench sets up a fresh database, runs cfg.Runs timed runs and drops it.
func Bench(ctx context.Context, cfg Config, progress func(string)) (Setup, []Run, error) {
	name := "loadtest_recon_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	conn, drop, err := scratch.Database(ctx, cfg.ClickHouse, name)
	if err != nil {
		return Setup{}, nil, err
	}
	defer drop()

	setup, ours, err := insert(ctx, conn, cfg)
	if err != nil {
		return setup, nil, err
	}
	progress(fmt.Sprintf("inserted %d payments + %d results in %s; optimized in %s", cfg.Transactions, cfg.Transactions,
		setup.InsertElapsed.Round(time.Millisecond), setup.OptimizeElapse.Round(time.Millisecond)))

	// The bank's statement, in memory: what the payer bank's ledger says
	// about each payment, then planted differences of each class.
	st := payerStatement(ours)
	st, planted, err := reconcile.PlantDiscrepancies(st, ours, reconcile.Plant{
		Missing: cfg.Plant, Extra: cfg.Plant, Amount: cfg.Plant, Status: cfg.Plant, Seed: 5,
	})
	if err != nil {
		return setup, nil, err
	}
	// Plus refund_customer status differences: presumed_failure payments
	// the payer bank did debit.
	refunds := 0
	for i := range st.Rows {
		if refunds == cfg.Plant {
			break
		}
		if ours[i].Status == events.StatusPresumedFailure && st.Rows[i].TxnID == ours[i].TxnID && st.Rows[i].Status == reconcile.BankRefused {
			st.Rows[i].Status, st.Rows[i].Amount = reconcile.BankDebited, ours[i].Amount
			refunds++
		}
	}
	setup.StatementRows = len(st.Rows)
	setup.Planted = map[string]int{}
	for _, p := range planted {
		setup.Planted[p.Class]++
	}
	setup.Planted[events.DiffStatus+"(refund)"] = refunds
	closed, err := clearing.Settle(clearing.Batch{ID: "loadtest-batch", Start: WindowStart, End: WindowEnd}, ours, WindowEnd)
	if err != nil {
		return setup, nil, err
	}
	ours = nil

	var runs []Run
	for r := 0; r < cfg.Runs; r++ {
		run, err := once(ctx, conn, closed.Closed, st)
		if err != nil {
			return setup, runs, err
		}
		runs = append(runs, run)
		progress(fmt.Sprintf("run %d: load %s (LoadBatch %s) compare %s total %s baseline %s rows %d heap peak %d MiB",
			r, run.Load.Round(time.Millisecond), run.LoadBatch.Round(time.Millisecond), run.Compare.Round(time.Millisecond),
			run.Total.Round(time.Millisecond), run.Baseline.Round(time.Millisecond), run.Rows, run.HeapPeak>>20))
	}
	return setup, runs, nil
}

// once times the reconciliation path, then the baseline.
func once(ctx context.Context, conn driver.Conn, closed events.BatchClosed, st reconcile.Statement) (Run, error) {
	var run Run

	runtime.GC()
	stop := sample()
	t0 := time.Now()
	ours, err := clearing.LoadBatch(ctx, conn, closed.WindowStart, closed.WindowEnd)
	if err != nil {
		return run, err
	}
	run.LoadBatch = time.Since(t0)
	// The check reconcile's load makes before comparing (ErrBatchChanged).
	again, err := clearing.Settle(clearing.Batch{ID: closed.BatchID, Start: closed.WindowStart, End: closed.WindowEnd}, ours, closed.ClosedAt)
	if err != nil {
		return run, err
	}
	if c := again.Closed; c.Payments != closed.Payments || !c.SettledAmount.Equal(closed.SettledAmount) {
		return run, fmt.Errorf("batch changed: %d payments settling %s, closed with %d settling %s",
			c.Payments, c.SettledAmount, closed.Payments, closed.SettledAmount)
	}
	t1 := time.Now()
	lines := reconcile.Compare(st.Bank, ours, st.Rows)
	t2 := time.Now()
	run.HeapPeak, run.SysPeak = stop()
	run.Load, run.Compare, run.Total = t1.Sub(t0), t2.Sub(t1), t2.Sub(t0)
	run.Rows, run.Lines, run.Counts = len(ours), len(lines), reconcile.Counts(lines)
	ours, lines = nil, nil

	runtime.GC()
	stop = sample()
	t0 = time.Now()
	n, err := baseline(ctx, conn, closed.WindowStart, closed.WindowEnd)
	if err != nil {
		return run, err
	}
	run.Baseline = time.Since(t0)
	run.BasePeak, _ = stop()
	run.BaseRows = n
	return run, nil
}

type plainRow struct {
	txn    string
	amount decimal.Decimal
	status string
}

func baseline(ctx context.Context, conn driver.Conn, start, end time.Time) (int, error) {
	args := append(clearing.WindowArgs(start, end), clearing.WindowArgs(start, end)...)
	rows, err := conn.Query(ctx, BaselineSQL, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var out []plainRow
	for rows.Next() {
		var r plainRow
		if err := rows.Scan(&r.txn, &r.amount, &r.status); err != nil {
			return 0, err
		}
		out = append(out, r)
	}
	return len(out), rows.Err()
}

// sample records the peak HeapInuse and Sys until the returned func is
// called.
func sample() func() (heap, sys uint64) {
	var heapPeak, sysPeak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > heapPeak.Load() {
			heapPeak.Store(ms.HeapInuse)
		}
		if ms.Sys > sysPeak.Load() {
			sysPeak.Store(ms.Sys)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		read()
		return heapPeak.Load(), sysPeak.Load()
	}
}

// insert writes the batch's payments and payment_results in BatchRows
// batches and returns our side as LoadBatch should give it back.
func insert(ctx context.Context, conn driver.Conn, cfg Config) (Setup, []clearing.Payment, error) {
	n := cfg.Transactions
	setup := Setup{Transactions: n, StatusMix: map[string]int{}}
	ours := make([]clearing.Payment, n)
	finished := make([]time.Time, n)
	step := time.Hour / time.Duration(n+1)
	for i := range ours {
		fen := int64(100 + (i*7919)%999_900) // 1.00 .. 9,999.99
		amount, err := events.ParseMoney(decimal.New(fen, -2).StringFixed(2), events.CurrencyCNY.String())
		if err != nil {
			return setup, nil, err
		}
		ch := "CH" + strconv.Itoa(i%17)
		ours[i] = clearing.Payment{
			TxnID: events.DeriveID("loadtest.reconciliation", strconv.Itoa(i)), OrderID: "order-" + strconv.Itoa(i),
			ChannelID: ch, ReserveAccount: "RSV-" + ch, Amount: amount, Status: status(i),
		}
		finished[i] = WindowStart.Add(time.Duration(i) * step)
		setup.StatusMix[ours[i].Status]++
	}
	projectedAt := time.Now().UTC().Truncate(time.Second)
	t0 := time.Now()
	for lo := 0; lo < n; lo += cfg.BatchRows {
		hi := min(lo+cfg.BatchRows, n)
		pb, err := conn.PrepareBatch(ctx, `INSERT INTO payments (txn_id, channel_id, order_id, idempotency_key, agreement_no, payer_key,
reserve_account, amount, started_at, started_at_ms, final_deadline, event_id, sequence, source_topic, source_partition, source_offset, projected_at)`)
		if err != nil {
			return setup, nil, err
		}
		for i := lo; i < hi; i++ {
			p := ours[i]
			started := finished[i].Add(-800 * time.Millisecond)
			amount, _ := decimal.NewFromString(p.Amount.String())
			if err := pb.Append(p.TxnID, p.ChannelID, p.OrderID, "k-"+strconv.Itoa(i), "NUAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "PK"+strconv.Itoa(i%5000),
				p.ReserveAccount, amount, started, uint64(started.UnixMilli()), started.Add(10*time.Second),
				events.DeriveID(p.TxnID, "started"), uint64(1), "saga.events", uint32(i%6), uint64(i), projectedAt); err != nil {
				return setup, nil, err
			}
		}
		if err := pb.Send(); err != nil {
			return setup, nil, err
		}
		rb, err := conn.PrepareBatch(ctx, `INSERT INTO payment_results (txn_id, status, reason_code, payer_debited, reserve_credited,
finished_at, finished_at_ms, event_id, sequence, source_topic, source_partition, source_offset, projected_at)`)
		if err != nil {
			return setup, nil, err
		}
		for i := lo; i < hi; i++ {
			p := ours[i]
			debited, credited, reason := legs(p.Status)
			if err := rb.Append(p.TxnID, p.Status, reason, debited, credited, finished[i], uint64(finished[i].UnixMilli()),
				events.DeriveID(p.TxnID, "finished"), uint64(9), "saga.events", uint32(i%6), uint64(n+i), projectedAt); err != nil {
				return setup, nil, err
			}
		}
		if err := rb.Send(); err != nil {
			return setup, nil, err
		}
	}
	setup.InsertElapsed = time.Since(t0)
	// Merge the parts so every run reads the same parts (background merges
	// would otherwise change them between runs).
	t0 = time.Now()
	for _, t := range []string{"payments", "payment_results"} {
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+t+" FINAL"); err != nil {
			return setup, nil, err
		}
	}
	setup.OptimizeElapse = time.Since(t0)
	// LoadBatch orders by txn_id.
	sortByTxn(ours)
	return setup, ours, nil
}

// status gives the mix: 70 % success, 25 % failure, 3 % presumed_success,
// 2 % presumed_failure.
func status(i int) string {
	switch m := (i * 37) % 100; {
	case m < 70:
		return events.StatusSuccess
	case m < 95:
		return events.StatusFailure
	case m < 98:
		return events.StatusPresumedSuccess
	default:
		return events.StatusPresumedFailure
	}
}

func legs(status string) (debited, credited, reason string) {
	switch status {
	case events.StatusSuccess:
		return "yes", "yes", ""
	case events.StatusFailure:
		return "no", "no", "INSUFFICIENT_FUNDS"
	case events.StatusPresumedSuccess:
		return "yes", "unknown", ""
	default:
		return "unknown", "no", "TIMEOUT"
	}
}

// payerStatement is the payer bank's statement that matches ours: debited
// for what settles, refused for the rest.
func payerStatement(ours []clearing.Payment) reconcile.Statement {
	st := reconcile.Statement{Bank: events.BankPayer, Rows: make([]reconcile.Row, len(ours))}
	for i, p := range ours {
		if p.Settles() {
			st.Rows[i] = reconcile.Row{TxnID: p.TxnID, Amount: p.Amount, Status: reconcile.BankDebited}
		} else {
			st.Rows[i] = reconcile.Row{TxnID: p.TxnID, Amount: events.ZeroCNY(), Status: reconcile.BankRefused}
		}
	}
	return st
}

func sortByTxn(ps []clearing.Payment) {
	slices.SortFunc(ps, func(a, b clearing.Payment) int { return strings.Compare(a.TxnID, b.TxnID) })
}
