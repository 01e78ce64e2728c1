package migrate_test

import (
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/schemas"
)

// embedded returns the migrations paycore ships.
func embedded(t *testing.T) fs.FS {
	t.Helper()
	fsys, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// migrated returns a private database holding paycore's schema.
func migrated(t *testing.T) driver.Conn {
	t.Helper()
	conn, _ := chtest.Open(t)
	if _, err := migrate.Apply(t.Context(), conn, embedded(t)); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestEmbeddedMigrationsApply(t *testing.T) {
	conn, _ := chtest.Open(t)
	fsys := embedded(t)
	ms, err := migrate.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}

	rep, err := migrate.Apply(t.Context(), conn, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Applied) != len(ms) {
		t.Errorf("applied %q, want all %d migrations", names(rep.Applied), len(ms))
	}
	for _, table := range []string{"event_log", "probes", "schema_migrations"} {
		if !slices.Contains(tables(t, conn), table) {
			t.Errorf("table %s missing after Apply", table)
		}
	}

	rep, err = migrate.Apply(t.Context(), conn, fsys)
	if err != nil || len(rep.Applied) != 0 || len(rep.Skipped) != len(ms) {
		t.Errorf("second Apply: applied %q, skipped %q, %v; want nothing applied", names(rep.Applied), names(rep.Skipped), err)
	}
}

// insertProbe inserts one row into probes in a batch of its own, as the
// projector does; each batch becomes its own part on the server.
func insertProbe(t *testing.T, conn driver.Conn, id string, amount decimal.Decimal, projectedAt time.Time, offset uint64) {
	t.Helper()
	batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO probes "+
		"(probe_id, note, amount, sent_at, projected_at, kafka_partition, kafka_offset)")
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Close()
	sentAt := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	if err := batch.Append(id, "note "+id, amount, sentAt, projectedAt, uint32(0), offset); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

func TestProbesDecimalRoundTrip(t *testing.T) {
	conn := migrated(t)
	projectedAt := time.Date(2025, 3, 1, 9, 30, 1, 0, time.UTC)
	amounts := []string{
		"0.00", "0.01", "12.30", "-7.05", "1234567.89",
		"999999999999999.99", "-999999999999999.99", // events.MaxAmount, both signs
	}
	for i, a := range amounts {
		insertProbe(t, conn, string(rune('a'+i)), decimal.RequireFromString(a), projectedAt, uint64(i))
	}

	rows, err := conn.Query(t.Context(), "SELECT amount, projected_at FROM probes FINAL ORDER BY probe_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var (
			amount decimal.Decimal
			at     time.Time
		)
		if err := rows.Scan(&amount, &at); err != nil {
			t.Fatal(err)
		}
		got = append(got, amount.StringFixed(2))
		if !at.Equal(projectedAt) {
			t.Errorf("projected_at = %v, want %v", at, projectedAt)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, amounts) {
		t.Errorf("amounts read back = %q, want %q", got, amounts)
	}
}

func TestProbesReinsertReplaces(t *testing.T) {
	conn := migrated(t)
	first := time.Date(2025, 3, 1, 9, 30, 1, 0, time.UTC)
	amount := decimal.RequireFromString("12.30")
	insertProbe(t, conn, "p1", amount, first, 10)
	insertProbe(t, conn, "p1", amount, first.Add(time.Second), 11) // redelivered
	insertProbe(t, conn, "p2", amount, first, 12)

	var (
		count  uint64
		offset uint64
	)
	if err := conn.QueryRow(t.Context(), "SELECT count(), any(kafka_offset) FROM probes FINAL WHERE probe_id = 'p1'").
		Scan(&count, &offset); err != nil {
		t.Fatal(err)
	}
	if count != 1 || offset != 11 {
		t.Errorf("p1 under FINAL: %d rows, offset %d; want 1 row, the latest (offset 11)", count, offset)
	}
	if err := conn.QueryRow(t.Context(), "SELECT count() FROM probes FINAL").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 2 {
		t.Errorf("probes under FINAL: %d rows, want 2", count)
	}
}

// TestEventLogReplayReplaces checks the event_log sorting key: a replayed
// event replaces its first copy even when it arrives through another
// topic, partition and offset.
func TestEventLogReplayReplaces(t *testing.T) {
	conn := migrated(t)
	occurredAt := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	insert := func(eventID, topic string, offset uint64, ingestedAt time.Time) {
		t.Helper()
		batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO event_log "+
			"(event_id, event_type, event_version, aggregate_id, sequence, correlation_id, causation_id, "+
			"occurred_at, topic, `partition`, `offset`, payload, ingested_at)")
		if err != nil {
			t.Fatal(err)
		}
		defer batch.Close()
		if err := batch.Append(eventID, "payment.debited", uint16(1), "pay-1", uint64(1), "corr-1", "cmd-1",
			occurredAt, topic, uint32(0), offset, `{"amount":{"amount":"12.30","currency":"CNY"}}`, ingestedAt); err != nil {
			t.Fatal(err)
		}
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}
	}
	insert("ev-1", "paycore.payments", 100, occurredAt.Add(time.Second))
	insert("ev-1", "paycore.payments.replay", 7, occurredAt.Add(time.Hour)) // replayed copy
	insert("ev-2", "paycore.payments", 101, occurredAt.Add(time.Second))    // another event

	rows, err := conn.Query(t.Context(), "SELECT event_id, topic FROM event_log FINAL ORDER BY event_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, topic string
		if err := rows.Scan(&id, &topic); err != nil {
			t.Fatal(err)
		}
		got = append(got, id+"@"+topic)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ev-1@paycore.payments.replay", "ev-2@paycore.payments"}; !slices.Equal(got, want) {
		t.Errorf("event_log FINAL = %q, want %q", got, want)
	}
}
