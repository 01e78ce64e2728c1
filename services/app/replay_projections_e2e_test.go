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
	"github.com/paycore/paycore/events/logpos"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/schemas"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/topology"
	"github.com/shopspring/decimal"
)

// analystProjector is the projector of the analyst tables of cfg's
// topology into conn (migrated first), reading the logs paycore project
// reads.
func analystProjector(ctx context.Context, t *testing.T, cfg app.Config, conn driver.Conn) projector.Config {
	t.Helper()
	migrations, _ := fs.Sub(schemas.ClickHouse, "clickhouse")
	if _, err := migrate.Apply(ctx, conn, migrations); err != nil {
		t.Fatal(err)
	}
	top := cfg.Kafka.Topology
	return projector.Config{
		Name: "projector", GroupPrefix: top.Prefix, Brokers: cfg.Kafka.Brokers,
		Topics: []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents), top.Name(topology.Clearing)},
		Conn:   conn, Mapper: tables.Mapper{}, Registry: events.Catalog(), MaxDelay: 200 * time.Millisecond,
		SessionTimeout: 6 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// waitFinished waits until ClickHouse holds want finished payments.
func waitFinished(ctx context.Context, t *testing.T, conn driver.Conn, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var finished uint64
		err := conn.QueryRow(ctx, "SELECT count() FROM transactions WHERE finished").Scan(&finished)
		if err == nil && int(finished) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d payments finished in ClickHouse after %v (last error: %v)", finished, want, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mutate runs an ALTER ... DELETE/UPDATE and waits for the mutation to
// finish: mutations are asynchronous on every ClickHouse release.
func mutate(ctx context.Context, t *testing.T, conn driver.Conn, table, stmt string) {
	t.Helper()
	if err := conn.Exec(ctx, "ALTER TABLE "+table+" "+stmt); err != nil {
		t.Fatalf("ALTER TABLE %s %s: %v", table, stmt, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var pending uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = currentDatabase() AND table = ? AND is_done = 0", table).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mutation of %s not done after 30s", table)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestProjectionsReplayedFromAPointEqualLiveRows projects a live load with
// the live projector, then checks that verify finds the tables clean from
// the beginning, a time and an offset; that it reports a tampered row, a
// row the log never produced and rows deleted from a point on; and that
// replaying from that point into the tables truncated from it gives back
// exactly the live rows.
func TestProjectionsReplayedFromAPointEqualLiveRows(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t, 2)
	cfg.PayerLink = banklink.Config{Seed: 11, LostReplyRate: 0.1, QueryUnknownRate: 0.6}
	h := startHarness(t, cfg)
	conn, _ := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pc := analystProjector(ctx, t, cfg, conn)
	p, err := projector.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjector := context.WithCancel(ctx)
	projected := make(chan error, 1)
	go func() { projected <- p.Run(pctx) }()

	var agreements []string
	for i := 0; i < 3; i++ {
		acc := h.openAccount(fmt.Sprintf("62220707%011d", i), "3000.00")
		agreements = append(agreements, h.sign(chanID, acc, "400.00", "2500.00"))
	}
	payWaves(h, "before", agreements, 1, 30)
	time.Sleep(1100 * time.Millisecond)
	point := time.Now()
	time.Sleep(1100 * time.Millisecond)
	payWaves(h, "after", agreements, 1, 30)
	rep := h.audit()
	waitFinished(ctx, t, conn, rep.Payments, 60*time.Second)
	stopProjector()
	if err := <-projected; err != nil {
		t.Fatal(err)
	}
	live := dumpTables(ctx, t, conn)

	verify := func(from logpos.From) projector.VerifyReport {
		t.Helper()
		r, err := projector.Verify(ctx, pc, from)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	total := func(r projector.VerifyReport, field func(projector.TableReport) int) int {
		n := 0
		for _, tr := range r.Tables {
			n += field(tr)
		}
		return n
	}
	for _, from := range []logpos.From{logpos.Start, logpos.At(point), logpos.AtOffset(5)} {
		r := verify(from)
		if !r.Clean() || total(r, func(tr projector.TableReport) int { return tr.Matched }) == 0 {
			t.Fatalf("verify from %s of the live tables:\n%s", from, r)
		}
		t.Logf("verify from %s: clean, %d records, %d rows matched", from, r.Records, total(r, func(tr projector.TableReport) int { return tr.Matched }))
	}

	// Plant differences inside the range: a tampered status reason and a
	// payment the log never had, attributed to the range's first record.
	parts, err := logpos.Resolve(ctx, cfg.Kafka.Brokers, cfg.Kafka.Connector, pc.Topics, logpos.At(point), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var tampered string
	var inRange []string
	for _, part := range parts {
		if part.Records() > 0 {
			inRange = append(inRange, fmt.Sprintf("(source_topic = '%s' AND source_partition = %d AND source_offset >= %d)", part.Topic, part.Partition, part.Start))
		}
	}
	where := strings.Join(inRange, " OR ")
	if err := conn.QueryRow(ctx, "SELECT txn_id FROM payment_results FINAL WHERE "+where+" ORDER BY txn_id LIMIT 1").Scan(&tampered); err != nil {
		t.Fatal(err)
	}
	mutate(ctx, t, conn, "payment_results", fmt.Sprintf("UPDATE reason_code = 'tampered' WHERE txn_id = '%s'", tampered))
	saga := parts[0]
	for _, part := range parts {
		if part.Topic == pc.Topics[0] && part.Records() > 0 {
			saga = part
		}
	}
	// The native batch: the insert path ClickHouse 18.16 and current
	// releases both take.
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO payments (txn_id, channel_id, order_id, amount, event_id, sequence, source_topic, source_partition, source_offset)")
	if err != nil {
		t.Fatal(err)
	}
	if err := batch.Append("bogus-txn", chanID, "bogus", decimal.New(100, -2), "bogus-event", uint64(1), saga.Topic, uint32(saga.Partition), uint64(saga.Start)); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	r := verify(logpos.At(point))
	if r.Clean() || total(r, func(tr projector.TableReport) int { return tr.Differing }) != 1 || total(r, func(tr projector.TableReport) int { return tr.Extra }) != 1 {
		t.Fatalf("verify after tampering one row and adding one: want 1 differing and 1 extra row:\n%s", r)
	}
	if !strings.Contains(r.String(), "tampered") || !strings.Contains(r.String(), "bogus-txn") {
		t.Errorf("the report does not show the planted differences:\n%s", r)
	}
	t.Logf("verify with planted differences:\n%s", r)

	// Truncate every table from the point on, as an operator does before
	// replaying over rows a bad deploy wrote.
	for _, tb := range tables.Tables() {
		mutate(ctx, t, conn, tb.Name, "DELETE WHERE "+where)
	}
	r = verify(logpos.At(point))
	if missing := total(r, func(tr projector.TableReport) int { return tr.Missing }); missing == 0 || r.Clean() {
		t.Fatalf("verify after deleting the rows from the point on reports nothing missing:\n%s", r)
	}
	if r := verify(logpos.Start); r.Clean() {
		t.Fatalf("verify from the beginning misses the deleted rows:\n%s", r)
	}

	stats, err := projector.ReplayFrom(ctx, pc, logpos.At(point))
	if err != nil {
		t.Fatal(err)
	}
	var fromPoint int64
	for _, part := range parts {
		fromPoint += part.Records()
	}
	if stats.Records != fromPoint {
		t.Errorf("replay from the point read %d records, want the %d after it", stats.Records, fromPoint)
	}
	after := dumpTables(ctx, t, conn)
	for name, rows := range live {
		if rows != after[name] {
			t.Errorf("table %s after the replay from the point differs from the live rows (%d vs %d bytes)", name, len(after[name]), len(rows))
		}
	}
	for _, from := range []logpos.From{logpos.Start, logpos.At(point)} {
		if r := verify(from); !r.Clean() {
			t.Fatalf("verify from %s after the replay:\n%s", from, r)
		}
	}
	t.Logf("replayed %d records from %s (%d rows); tables equal the live ones", stats.Records, point.Format(time.RFC3339Nano), stats.Rows)
}
