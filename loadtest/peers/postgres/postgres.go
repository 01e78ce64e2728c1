// Package postgres is the design paycore is measured against in issue 7:
// every payment is one PostgreSQL transaction that locks the payer's row,
// debits it, records the payment and credits the reserve account's row,
// with all payments crediting ONE reserve account (100 % reserve skew).
// That row is the hot row: every transaction holds its lock until COMMIT,
// so payments to one reserve account are serialised on it however many
// workers post them.
package postgres

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/loadtest/workload"
)

// Config describes one run.
type Config struct {
	// AdminDSN reaches a database of the cluster from which Database is
	// dropped and created afresh (e.g. Cluster.DSN("postgres")).
	AdminDSN string
	// Database is created for the run; a database of that name is dropped
	// first. It is left in place afterwards for inspection.
	Database string
	// DSN reaches Database (e.g. Cluster.DSN(Database)).
	DSN            string
	Customers      int
	Payments       []workload.Payment
	ReserveAccount string
	// Workers post payments concurrently, each on its own connection, in a
	// closed loop (next payment as soon as the last one committed).
	Workers int
}

// Result is what one run measured.
type Result struct {
	Payments   int
	Elapsed    time.Duration // first BEGIN → last COMMIT
	LatencyP50 time.Duration // BEGIN → COMMIT of one payment
	LatencyP99 time.Duration
}

// PaymentsPerSecond is the committed payment rate.
func (r Result) PaymentsPerSecond() float64 { return float64(r.Payments) / r.Elapsed.Seconds() }

// Run creates the schema and accounts in a fresh database, posts every
// payment, then checks the books: one row per payment, the reserve account
// credited with the workload's total and the customers debited by it.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Workers < 1 || cfg.Customers < 1 || len(cfg.Payments) == 0 {
		return Result{}, fmt.Errorf("postgres: need workers, customers and payments (got %d, %d, %d)", cfg.Workers, cfg.Customers, len(cfg.Payments))
	}
	if err := recreate(ctx, cfg.AdminDSN, cfg.Database); err != nil {
		return Result{}, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return Result{}, err
	}
	pcfg.MaxConns, pcfg.MinConns = int32(cfg.Workers), int32(cfg.Workers)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return Result{}, err
	}
	defer pool.Close()
	if err := setUp(ctx, pool, cfg); err != nil {
		return Result{}, err
	}

	latencies := make([]time.Duration, len(cfg.Payments))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Workers)
	start := time.Now()
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cfg.Payments) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := post(ctx, pool, int64(i), cfg.Payments[i], cfg.ReserveAccount); err != nil {
					errs <- fmt.Errorf("postgres: payment %d: %w", i, err)
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
	if err := checkBooks(ctx, pool, cfg); err != nil {
		return Result{}, err
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return Result{
		Payments: len(cfg.Payments), Elapsed: elapsed,
		LatencyP50: latencies[len(latencies)/2], LatencyP99: latencies[len(latencies)*99/100],
	}, nil
}

// post is one payment, one transaction (READ COMMITTED, the default). The
// payer's row is locked first (SELECT … FOR UPDATE, then the funds check
// and the debit), the payment row is inserted, and the reserve account's
// row is updated last: that UPDATE takes the hot row's lock, held until
// COMMIT returns. Updating it last keeps the hold as short as this design
// allows (one statement and the commit's WAL flush), so the baseline is
// the design at its best. Locks are always taken payer first, reserve
// second: no deadlocks.
func post(ctx context.Context, pool *pgxpool.Pool, id int64, p workload.Payment, reserve string) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }() // no-op after Commit

	var text string
	if err := tx.QueryRow(ctx, `SELECT balance::text FROM customer_accounts WHERE id = $1 FOR UPDATE`, p.Customer).Scan(&text); err != nil {
		return err
	}
	balance, err := events.ParseMoney(text, "CNY")
	if err != nil {
		return err
	}
	amount := p.Amount.String()
	if balance.Cmp(p.Amount) < 0 {
		// The refusal is recorded like a success, without touching the
		// reserve account (the workload's balances never get here).
		if _, err := tx.Exec(ctx, `INSERT INTO payments (id, customer_id, reserve_account, amount, status) VALUES ($1, $2, $3, $4::numeric, 'refused')`,
			id, p.Customer, reserve, amount); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}
	if _, err := tx.Exec(ctx, `UPDATE customer_accounts SET balance = balance - $2::numeric WHERE id = $1`, p.Customer, amount); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payments (id, customer_id, reserve_account, amount, status) VALUES ($1, $2, $3, $4::numeric, 'success')`,
		id, p.Customer, reserve, amount); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE reserve_accounts SET balance = balance + $2::numeric WHERE id = $1`, reserve, amount)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("reserve account %s not found", reserve)
	}
	return tx.Commit(ctx)
}

func recreate(ctx context.Context, adminDSN, db string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	name := pgx.Identifier{db}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	return err
}

// setUp creates the tables and accounts and opens every connection of the
// pool, so the timed part starts with warm connections.
func setUp(ctx context.Context, pool *pgxpool.Pool, cfg Config) error {
	_, err := pool.Exec(ctx, `
CREATE TABLE customer_accounts (id integer PRIMARY KEY, balance numeric(20,2) NOT NULL);
CREATE TABLE reserve_accounts (id text PRIMARY KEY, balance numeric(20,2) NOT NULL);
CREATE TABLE payments (
	id bigint PRIMARY KEY,
	customer_id integer NOT NULL REFERENCES customer_accounts,
	-- No foreign key to reserve_accounts: its check would take a KEY
	-- SHARE lock on the hot row in every transaction (multixacts under
	-- contention); without it the baseline pays only for the update.
	reserve_account text NOT NULL,
	amount numeric(20,2) NOT NULL,
	status text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO customer_accounts SELECT g, $2::numeric FROM generate_series(0, $1 - 1) g`,
		cfg.Customers, workload.OpeningBalance); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `INSERT INTO reserve_accounts VALUES ($1, 0)`, cfg.ReserveAccount); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return err
	}
	conns := make([]*pgxpool.Conn, 0, cfg.Workers)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range cfg.Workers {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// checkBooks asserts that every payment was posted exactly once and the
// money moved: the reserve account holds the workload's total and the
// customers' balances fell by it.
func checkBooks(ctx context.Context, pool *pgxpool.Pool, cfg Config) error {
	var count int
	var reserve, customers string
	err := pool.QueryRow(ctx, `SELECT
	(SELECT count(*) FROM payments WHERE status = 'success'),
	(SELECT balance::text FROM reserve_accounts WHERE id = $1),
	(SELECT (count(*) * $2::numeric - sum(balance))::numeric(20,2)::text FROM customer_accounts)`,
		cfg.ReserveAccount, workload.OpeningBalance).Scan(&count, &reserve, &customers)
	if err != nil {
		return err
	}
	want := workload.Total(cfg.Payments).String()
	if count != len(cfg.Payments) || reserve != want || customers != want {
		return fmt.Errorf("postgres: books do not balance: %d of %d payments posted, reserve credited %s, customers debited %s, want %s",
			count, len(cfg.Payments), reserve, customers, want)
	}
	return nil
}
