package app_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/schemas"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/topology"
)

// TestProjectionsReplayToIdenticalTables runs payments through the real
// processors with faults, projects the logs into ClickHouse with the live
// projector, then drops every table, replays the logs from the beginning
// and requires the same rows (everything but projected_at), and the same
// transactions as the audit of the Kafka log.
func TestProjectionsReplayToIdenticalTables(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 2)
	cfg.PayerLink = banklink.Config{Seed: 9, LostReplyRate: 0.1, QueryUnknownRate: 0.8}
	h := startHarness(t, cfg)
	conn, _ := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	migrations, _ := fs.Sub(schemas.ClickHouse, "clickhouse")
	if _, err := migrate.Apply(ctx, conn, migrations); err != nil {
		t.Fatal(err)
	}
	top := cfg.Kafka.Topology
	pc := projector.Config{
		Name: "projector", GroupPrefix: top.Prefix, Brokers: cfg.Kafka.Brokers,
		Topics: []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents)},
		Conn:   conn, Mapper: tables.Mapper{}, Registry: events.Catalog(), MaxDelay: 200 * time.Millisecond,
		SessionTimeout: 6 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	p, err := projector.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjector := context.WithCancel(ctx)
	projected := make(chan error, 1)
	go func() { projected <- p.Run(pctx) }()

	var agreements []string
	for i := 0; i < 3; i++ {
		acc := h.openAccount(fmt.Sprintf("62220505%011d", i), "2000.00")
		agreements = append(agreements, h.sign(chanID, acc, "400.00", "1500.00"))
	}
	var orders []string
	var reqs []events.Request
	for i := 0; i < 60; i++ {
		order := fmt.Sprintf("proj-%d", i)
		orders = append(orders, order)
		reqs = append(reqs, channel.Pay(chanID, order, order, agreements[i%3], events.CNY(fmt.Sprintf("%d.%02d", 10+i*13%390, i))))
	}
	h.send(reqs...)
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		t.Fatal(err)
	}
	rep := h.audit()

	// The live projector catches up: every payment finished in ClickHouse.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var finished uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM transactions WHERE finished").Scan(&finished); err != nil {
			t.Fatal(err)
		}
		if int(finished) == rep.Payments {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("projector: %d of %d payments finished in ClickHouse after 60s", finished, rep.Payments)
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopProjector()
	if err := <-projected; err != nil {
		t.Fatal(err)
	}
	// ClickHouse agrees with the audit of the Kafka log.
	for status, n := range rep.FinalStatuses {
		var got uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM transactions WHERE status = ?", status).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if int(got) != n {
			t.Errorf("transactions with status %s: ClickHouse %d, Kafka log %d", status, got, n)
		}
	}

	diffs, err := audit.CrossCheck(ctx, conn, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("ClickHouse disagrees with the Kafka log:\n%s", strings.Join(diffs, "\n"))
	}
	// The cross-check can fail: a log that counts one more success and one
	// fen more of reserve credits must be reported twice.
	wrong := rep
	wrong.FinalStatuses = map[string]int{}
	for k, v := range rep.FinalStatuses {
		wrong.FinalStatuses[k] = v
	}
	wrong.FinalStatuses[events.StatusSuccess]++
	wrong.ReserveTotal, _ = rep.ReserveTotal.Add(events.CNY("0.01"))
	if diffs, err := audit.CrossCheck(ctx, conn, wrong); err != nil || len(diffs) != 2 {
		t.Fatalf("cross-check of a wrong log: %v, %q; want 2 differences", err, diffs)
	}

	before := dumpTables(ctx, t, conn)
	for _, tb := range tables.Tables() {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+tb.Name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := projector.Replay(ctx, pc); err != nil {
		t.Fatal(err)
	}
	after := dumpTables(ctx, t, conn)
	for name, rows := range before {
		if rows != after[name] {
			t.Errorf("table %s differs after replay:\nbefore %d bytes, after %d bytes", name, len(rows), len(after[name]))
		}
	}
}

// dumpTables renders every projected table, FINAL, ordered, without the
// one column a replay legitimately changes (projected_at).
func dumpTables(ctx context.Context, t *testing.T, conn driver.Conn) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range tables.Tables() {
		var cols []string
		for _, c := range tb.Columns {
			if c != "projected_at" {
				cols = append(cols, "toString("+c+")")
			}
		}
		rows, err := conn.Query(ctx, "SELECT concat("+strings.Join(cols, ", '|', ")+") AS line FROM "+tb.Name+" FINAL ORDER BY line")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		n := 0
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
			n++
		}
		rows.Close()
		if tb.Name == tables.Payments && n == 0 {
			t.Fatalf("no rows in %s: nothing was projected", tb.Name)
		}
		out[tb.Name] = b.String()
	}
	return out
}
