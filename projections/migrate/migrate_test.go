package migrate_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
)

func sqlFile(src string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(src)} }

// twoMigrations is a valid history: a table, then a second table and a
// view, in one file with several statements.
func twoMigrations() fstest.MapFS {
	return fstest.MapFS{
		"0001_accounts.sql": sqlFile(`-- accounts
CREATE TABLE IF NOT EXISTS accounts (id String, opened DateTime) ENGINE = MergeTree ORDER BY id;
`),
		"0002_ledger.sql": sqlFile(`CREATE TABLE IF NOT EXISTS ledger
(
    id     String,
    amount Decimal(18, 2)
)
ENGINE = MergeTree
ORDER BY id;

CREATE VIEW IF NOT EXISTS ledger_total AS SELECT sum(amount) AS total FROM ledger;
`),
	}
}

// tables lists the tables in conn's current database.
func tables(t *testing.T, conn driver.Conn) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(),
		"SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func names(ms []migrate.Migration) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func mustApply(t *testing.T, conn driver.Conn, fsys fstest.MapFS) migrate.Report {
	t.Helper()
	rep, err := migrate.Apply(t.Context(), conn, fsys)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestApplyOnceThenNothing(t *testing.T) {
	conn, _ := chtest.Open(t)
	fsys := twoMigrations()
	all := []string{"0001_accounts.sql", "0002_ledger.sql"}

	pending, err := migrate.Status(t.Context(), conn, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(pending); !slices.Equal(got, all) {
		t.Errorf("Status before Apply = %q, want %q", got, all)
	}
	if got := tables(t, conn); len(got) != 0 {
		t.Errorf("Status created tables %q; it must change nothing", got)
	}

	rep := mustApply(t, conn, fsys)
	if got := names(rep.Applied); !slices.Equal(got, all) || len(rep.Skipped) != 0 {
		t.Errorf("first Apply: applied %q, skipped %q; want all applied", got, names(rep.Skipped))
	}
	want := []string{"accounts", "ledger", "ledger_total", "schema_migrations"}
	if got := tables(t, conn); !slices.Equal(got, want) {
		t.Errorf("tables = %q, want %q", got, want)
	}

	rep = mustApply(t, conn, fsys)
	if got := names(rep.Skipped); len(rep.Applied) != 0 || !slices.Equal(got, all) {
		t.Errorf("second Apply: applied %q, skipped %q; want all skipped", names(rep.Applied), got)
	}
	if pending, err := migrate.Status(t.Context(), conn, fsys); err != nil || len(pending) != 0 {
		t.Errorf("Status after Apply = %q, %v; want nothing pending", names(pending), err)
	}

	var recorded uint64
	if err := conn.QueryRow(t.Context(), "SELECT count() FROM schema_migrations FINAL").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 2 {
		t.Errorf("schema_migrations holds %d migrations, want 2", recorded)
	}
}

func TestApplyOnlyPending(t *testing.T) {
	conn, _ := chtest.Open(t)
	fsys := twoMigrations()
	mustApply(t, conn, fstest.MapFS{"0001_accounts.sql": fsys["0001_accounts.sql"]})

	pending, err := migrate.Status(t.Context(), conn, fsys)
	if err != nil || !slices.Equal(names(pending), []string{"0002_ledger.sql"}) {
		t.Fatalf("Status = %q, %v; want only 0002 pending", names(pending), err)
	}
	rep := mustApply(t, conn, fsys)
	if !slices.Equal(names(rep.Applied), []string{"0002_ledger.sql"}) ||
		!slices.Equal(names(rep.Skipped), []string{"0001_accounts.sql"}) {
		t.Errorf("Apply: applied %q, skipped %q", names(rep.Applied), names(rep.Skipped))
	}
}

// TestApplyRefusesBadFiles checks that bad files are refused before the
// server is touched: not even the ledger may be created.
func TestApplyRefusesBadFiles(t *testing.T) {
	const create = "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory;\n"
	tests := []struct {
		name string
		fsys fstest.MapFS
		want error
	}{
		{"malformed name", fstest.MapFS{"0001_ok.sql": sqlFile(create), "2_next.sql": sqlFile(create)}, migrate.ErrMalformedName},
		{"description with spaces", fstest.MapFS{"0001_event log.sql": sqlFile(create)}, migrate.ErrMalformedName},
		{"gap", fstest.MapFS{"0001_a.sql": sqlFile(create), "0003_c.sql": sqlFile(create)}, migrate.ErrVersionGap},
		{"duplicate version", fstest.MapFS{"0001_a.sql": sqlFile(create), "0001_b.sql": sqlFile(create)}, migrate.ErrDuplicateVersion},
		{"CREATE without IF NOT EXISTS", fstest.MapFS{
			"0001_a.sql": sqlFile(create + "CREATE TABLE u (x UInt8) ENGINE = Memory;\n"),
		}, migrate.ErrNotIdempotent},
		{"DROP without IF EXISTS", fstest.MapFS{"0001_a.sql": sqlFile(create + "DROP TABLE t;\n")}, migrate.ErrNotIdempotent},
	}
	conn, _ := chtest.Open(t) // shared: every case must leave it empty
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := migrate.Apply(t.Context(), conn, tt.fsys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Apply() = %+v, %v; want %v", rep, err, tt.want)
			}
			t.Logf("Apply: %v", err)
			if got := tables(t, conn); len(got) != 0 {
				t.Errorf("refused Apply created tables %q", got)
			}
		})
	}
}

func TestApplyRefusesChangedMigration(t *testing.T) {
	conn, _ := chtest.Open(t)
	fsys := twoMigrations()
	mustApply(t, conn, fstest.MapFS{"0001_accounts.sql": fsys["0001_accounts.sql"]})

	// Even a comment changes the checksum: the file is what was reviewed.
	fsys["0001_accounts.sql"] = sqlFile("-- edited\n" + string(fsys["0001_accounts.sql"].Data))
	for _, run := range []struct {
		name string
		call func() error
	}{
		{"Apply", func() error { _, err := migrate.Apply(t.Context(), conn, fsys); return err }},
		{"Status", func() error { _, err := migrate.Status(t.Context(), conn, fsys); return err }},
	} {
		err := run.call()
		var e *migrate.Error
		if !errors.Is(err, migrate.ErrChecksumMismatch) || !errors.As(err, &e) || e.File != "0001_accounts.sql" {
			t.Fatalf("%s = %v, want ErrChecksumMismatch for 0001_accounts.sql", run.name, err)
		}
		t.Logf("%s: %v", run.name, err)
	}
	if slices.Contains(tables(t, conn), "ledger") {
		t.Error("Apply ran 0002 despite the changed 0001")
	}
}

func TestApplyRefusesUnknownAppliedVersion(t *testing.T) {
	conn, _ := chtest.Open(t)
	fsys := twoMigrations()
	mustApply(t, conn, fsys)
	delete(fsys, "0002_ledger.sql") // an older binary

	_, err := migrate.Apply(t.Context(), conn, fsys)
	if !errors.Is(err, migrate.ErrUnknownVersion) {
		t.Fatalf("Apply = %v, want ErrUnknownVersion", err)
	}
}

// TestApplyResumesPartialMigration shows why statements must be
// idempotent: a migration that failed halfway runs again from its start.
func TestApplyResumesPartialMigration(t *testing.T) {
	conn, _ := chtest.Open(t)
	const first = "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory;\n"
	fsys := fstest.MapFS{
		"0001_a_and_b.sql": sqlFile(first + "CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = NoSuchEngine;\n"),
	}
	rep, err := migrate.Apply(t.Context(), conn, fsys)
	if err == nil || len(rep.Applied) != 0 {
		t.Fatalf("Apply = %+v, %v; want the second statement to fail", rep, err)
	}
	t.Logf("Apply: %v", err)
	if pending, err := migrate.Status(t.Context(), conn, fsys); err != nil || len(pending) != 1 {
		t.Fatalf("Status = %q, %v; want the failed migration still pending", names(pending), err)
	}

	// Fixing a migration that never got recorded is allowed: it has no
	// checksum on record yet. Its first statement runs a second time.
	fsys["0001_a_and_b.sql"] = sqlFile(first + "CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = Memory;\n")
	rep = mustApply(t, conn, fsys)
	if len(rep.Applied) != 1 {
		t.Errorf("Apply after the fix applied %q, want the migration", names(rep.Applied))
	}
	if got, want := tables(t, conn), []string{"a", "b", "schema_migrations"}; !slices.Equal(got, want) {
		t.Errorf("tables = %q, want %q", got, want)
	}
}

func TestApplyHonoursContext(t *testing.T) {
	conn, _ := chtest.Open(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := migrate.Apply(ctx, conn, twoMigrations()); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a canceled context = %v, want context.Canceled", err)
	}
}
