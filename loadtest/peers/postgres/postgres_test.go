package postgres

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paycore/paycore/loadtest/workload"
)

// TestRunPostsEveryPaymentOnce runs the design on a private cluster with
// more workers than customers (payers' rows contend too) and checks the
// books on top of Run's own check.
func TestRunPostsEveryPaymentOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The server runs as the postgres account when the test is root: it
	// must be able to reach its directory (t.TempDir's parent is 0700).
	dir, err := os.MkdirTemp("", "paycore-peers-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Dir: filepath.Join(dir, "pg"), Port: freePort(t)}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})

	payments := workload.Payments(7, 5, 300)
	res, err := Run(ctx, Config{
		AdminDSN: c.DSN("postgres"), Database: "peer_test", DSN: c.DSN("peer_test"),
		Customers: 5, Payments: payments, ReserveAccount: "RSV-LOADTEST", Workers: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Payments != 300 || res.Elapsed <= 0 || res.LatencyP99 < res.LatencyP50 {
		t.Fatalf("result %+v", res)
	}

	conn, err := pgx.Connect(ctx, c.DSN("peer_test"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var distinct int
	var reserve string
	if err := conn.QueryRow(ctx, `SELECT count(DISTINCT id), (SELECT balance::text FROM reserve_accounts) FROM payments`).Scan(&distinct, &reserve); err != nil {
		t.Fatal(err)
	}
	if distinct != 300 || reserve != workload.Total(payments).String() {
		t.Errorf("%d distinct payments, reserve %s; want 300, %s", distinct, reserve, workload.Total(payments))
	}
	// The check Run ends with must fail on books that do not balance.
	if _, err := conn.Exec(ctx, `UPDATE reserve_accounts SET balance = balance + 0.01`); err != nil {
		t.Fatal(err)
	}
	pool := mustPool(t, ctx, c.DSN("peer_test"))
	if err := checkBooks(ctx, pool, Config{Payments: payments, ReserveAccount: "RSV-LOADTEST"}); err == nil {
		t.Error("checkBooks accepted a reserve balance off by 0.01")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func mustPool(t *testing.T, ctx context.Context, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
