package tables

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/schemas"
)

// These tests need the ClickHouse of deploy/stack.sh (or the server the
// PAYCORE_CLICKHOUSE_* variables name); chtest fails them with the reason
// when it is unreachable.

func migrations(t *testing.T) fs.FS {
	t.Helper()
	fsys, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

// insert writes rows with one native batch per table, the way the
// projector does: INSERT INTO t (columns of Tables()).
func insert(t *testing.T, conn driver.Conn, rows []projector.Row) {
	t.Helper()
	for _, tb := range Tables() {
		batch, err := conn.PrepareBatch(t.Context(), "INSERT INTO "+tb.Name+" ("+strings.Join(tb.Columns, ", ")+")")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Table != tb.Name {
				continue
			}
			if err := batch.Append(r.Values...); err != nil {
				t.Fatalf("%s: appending %v: %v", tb.Name, r.Values, err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
	}
}

// projectedDB is a private database holding the schema and the synthetic
// log, projected twice (the second time as a replay from other offsets).
type projectedDB struct {
	conn driver.Conn
	log  *synthLog
}

func project(t *testing.T) projectedDB {
	t.Helper()
	conn, _ := chtest.Open(t)
	if _, err := migrate.Apply(t.Context(), conn, migrations(t)); err != nil {
		t.Fatal(err)
	}
	base := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	log := newSynthLog(base)
	for _, replay := range []bool{false, true} {
		rows, err := log.rows(replay)
		if err != nil {
			t.Fatal(err)
		}
		insert(t, conn, rows)
	}
	return projectedDB{conn, log}
}

// queryStrings runs query and returns its rows as text: decimals with
// their scale's digits (at least 2), times as "2006-01-02 15:04:05" UTC,
// NULL as \N, floats in Go's shortest form.
func queryStrings(ctx context.Context, conn driver.Conn, query string, args ...any) ([][]string, error) {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	var out [][]string
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		line := make([]string, len(dest))
		for i, d := range dest {
			line[i] = text(reflect.ValueOf(d).Elem().Interface())
		}
		out = append(out, line)
	}
	return out, rows.Err()
}

func text(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return `\N`
		}
		v = rv.Elem().Interface()
	}
	switch v := v.(type) {
	case decimal.Decimal:
		return v.StringFixed(max(2, -v.Exponent()))
	case time.Time:
		return v.UTC().Format(time.DateTime)
	case float64:
		return fmt.Sprint(v)
	default:
		return fmt.Sprint(v)
	}
}

func TestProjectedLog(t *testing.T) {
	pj := project(t)
	ctx, conn := t.Context(), pj.conn

	t.Run("one row per fact after a replay", func(t *testing.T) {
		want := map[string]int{Payments: 11, PaymentResults: 10, PayerLegs: 10, ReserveLegs: 5, Agreements: 5, CustomerAccounts: 3,
			ClearingBatches: 1, SettlementInstructions: 2, ReconciliationDiscrepancies: 2, BatchReconciliations: 2,
			PaymentCorrections: 4, ReservePostings: 2, LegacyMappings: 1,
			Refunds: 3, RefundResults: 3, RefundLegs: 3}
		for _, tb := range Tables() {
			var final uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM "+tb.Name+" FINAL").Scan(&final); err != nil {
				t.Fatal(err)
			}
			// Merging all parts must leave exactly one row per fact: the
			// ORDER BY is the deduplication key, not just FINAL's view.
			if err := conn.Exec(ctx, "OPTIMIZE TABLE "+tb.Name+" FINAL"); err != nil {
				t.Fatal(err)
			}
			var merged uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM "+tb.Name).Scan(&merged); err != nil {
				t.Fatal(err)
			}
			if final != uint64(want[tb.Name]) || merged != final {
				t.Errorf("%s: %d rows with FINAL, %d after merging; want %d", tb.Name, final, merged, want[tb.Name])
			}
		}
		var offset uint64
		if err := conn.QueryRow(ctx, "SELECT min(source_offset) FROM payments FINAL").Scan(&offset); err != nil {
			t.Fatal(err)
		}
		t.Logf("payments keep source offsets from %d (first read: 0, replay: 100000)", offset)
	})

	t.Run("transactions", func(t *testing.T) {
		got, err := queryStrings(ctx, conn,
			"SELECT txn_id, channel_id, status, reason_code, amount, latency_ms, finished, finished_at IS NULL FROM transactions ORDER BY txn_id")
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, p := range synthPayments {
			status, latency, finished, pending := p.status, fmt.Sprint(p.latency.Milliseconds()), "1", "0"
			if status == "" {
				status, latency, finished, pending = "pending", `\N`, "0", "1"
			}
			want = append(want, []string{synthTxnID(p), p.channel, status, p.reason, p.amount, latency, finished, pending})
		}
		slices.SortFunc(want, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("transactions:\n got %q\nwant %q", got, want)
		}

		var total decimal.Decimal
		if err := conn.QueryRow(ctx, "SELECT sum(amount) FROM transactions").Scan(&total); err != nil {
			t.Fatal(err)
		}
		wantTotal := decimal.Zero
		for _, p := range synthPayments {
			wantTotal = wantTotal.Add(decimal.RequireFromString(p.amount))
		}
		if !total.Equal(wantTotal) || total.StringFixed(2) != "1668.39" {
			t.Errorf("sum(amount) = %s, want %s (exactly 1668.39)", total, wantTotal)
		}
	})

	t.Run("hourly_rollups", func(t *testing.T) {
		got, err := queryStrings(ctx, conn, `
SELECT hour, channel_id, reserve_account, payments, total_amount, finished_payments, pending,
       success, failure, presumed_success, presumed_failure, success_amount,
       round(success_rate, 4), round(failure_rate, 4), round(presumed_success_rate, 4),
       round(presumed_failure_rate, 4), round(presumed_rate, 4),
       round(latency_p50_ms, 3), round(latency_p99_ms, 3)
FROM hourly_rollups ORDER BY hour, channel_id`)
		if err != nil {
			t.Fatal(err)
		}
		h0, h1 := pj.log.base.Format(time.DateTime), pj.log.base.Add(time.Hour).Format(time.DateTime)
		want := [][]string{
			{h0, "alipay", "RSV-alipay", "3", "380.50", "3", "0", "2", "1", "0", "0", "350.50", "0.6667", "0.3333", "0", "0", "0", "200", "298"},
			{h0, "tenpay", "RSV-tenpay", "1", "12.34", "1", "0", "1", "0", "0", "0", "12.34", "1", "0", "0", "0", "0", "400", "400"},
			{h1, "alipay", "RSV-alipay", "5", "275.54", "4", "1", "0", "2", "1", "1", "0.00", "0", "0.5", "0.25", "0.25", "0.5", "3100", "7910"},
			{h1, "tenpay", "RSV-tenpay", "2", "1000.01", "2", "0", "1", "0", "0", "1", "0.01", "0.5", "0", "0", "0.5", "0.5", "3250", "5945"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("hourly_rollups:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("agreements_current", func(t *testing.T) {
		got, err := queryStrings(ctx, conn, `
SELECT agreement_no, status, channel_id, payer_key, daily_limit, terminated_at IS NULL
FROM agreements_current ORDER BY agreement_no`)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{agreementOf(alice, "alipay"), "active", "alipay", alice.key, "5000.00", "1"},
			{agreementOf(bob, "alipay"), "active", "alipay", bob.key, "600.00", "1"}, // migrated
			{agreementOf(bob, "tenpay"), "active", "tenpay", bob.key, "5000.00", "1"},
			{agreementOf(carol, "alipay"), "terminated", "alipay", carol.key, "5000.00", "0"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("agreements_current:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("no personal data", func(t *testing.T) {
		got, err := queryStrings(ctx, conn, "SELECT payer_key, account_masked FROM customer_accounts FINAL ORDER BY payer_key")
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{alice.key, "622202*********0001"}, {bob.key, "621700*********5678"}, {carol.key, "***********4567"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("customer_accounts: got %q, want %q", got, want)
		}
		// Nothing anywhere holds an account number, name, ID number or phone.
		var secrets []string
		for _, c := range []customer{alice, bob, carol} {
			secrets = append(secrets, c.account, c.name, c.idNumber, c.phone)
		}
		cols, err := queryStrings(ctx, conn,
			"SELECT table, name FROM system.columns WHERE database = currentDatabase() AND type = 'String' ORDER BY table, name")
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, c := range cols {
			values, err := queryStrings(ctx, conn, "SELECT DISTINCT `"+c[1]+"` FROM `"+c[0]+"`")
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range values {
				for _, s := range secrets {
					if strings.Contains(v[0], s) {
						t.Errorf("%s.%s holds %q", c[0], c[1], s)
					}
				}
				checked++
			}
		}
		if checked < 50 {
			t.Errorf("checked only %d values", checked)
		}
	})

	t.Run("clearing tables keep the latest of a key", func(t *testing.T) {
		got, err := queryStrings(ctx, conn, "SELECT bank, matched, discrepancies, sequence FROM batch_reconciliations FINAL ORDER BY bank")
		if err != nil {
			t.Fatal(err)
		}
		// The payer bank's second result (sequence 6) replaced its first (5).
		if want := [][]string{{"payer", "9", "1", "6"}, {"reserve", "9", "1", "8"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("batch_reconciliations: got %q, want %q", got, want)
		}
		got, err = queryStrings(ctx, conn, "SELECT stage, action, batch_id, amount FROM payment_corrections FINAL ORDER BY action, stage")
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"corrected", "credit_reserve", "", "55.55"}, {"started", "credit_reserve", synthBatch, "0.00"},
			{"corrected", "refund_customer", "", "40.00"}, {"started", "refund_customer", synthBatch, "0.00"},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("payment_corrections: got %q, want %q", got, want)
		}
	})

	t.Run("README examples", func(t *testing.T) {
		h0, h1 := pj.log.base.Format(time.DateTime), pj.log.base.Add(time.Hour).Format(time.DateTime)
		for _, ex := range readmeExamples(t) {
			t.Run(ex.name, func(t *testing.T) {
				want, ok := readmeResults(pj.log, h0, h1)[ex.name]
				if !ok {
					t.Fatalf("no expected result for README example %q", ex.name)
				}
				got, err := queryStrings(ctx, conn, ex.sql)
				if err != nil {
					t.Fatalf("%v\n%s", err, ex.sql)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("README example %s:\n got %q\nwant %q", ex.name, got, want)
				}
			})
		}
	})

	t.Run("report", func(t *testing.T) {
		var out bytes.Buffer
		// Now is explicit, so a test started just before the hour turns
		// still covers both hours of the log.
		now := pj.log.base.Add(2*time.Hour + 30*time.Minute)
		if err := WriteReport(ctx, conn, &out, ReportOptions{Hours: 3, Top: 4, Now: now}); err != nil {
			t.Fatal(err)
		}
		t.Logf("report:\n%s", out.String())
		h0, h1 := pj.log.base.Format("2006-01-02 15:04"), pj.log.base.Add(time.Hour).Format("2006-01-02 15:04")
		wantLines := []string{
			"Payments by channel and status",
			"alipay failure 3 110.00",
			"alipay pending 1 99.99",
			"alipay presumed_failure 1 40.00",
			"alipay presumed_success 1 55.55",
			"alipay success 2 350.50",
			"tenpay presumed_failure 1 1000.00",
			"tenpay success 2 12.35",
			"channel payments amount finished pending success failure presumed_success presumed_failure presumed p50_ms p99_ms",
			"alipay 8 656.04 7 1 28.6% 42.9% 14.3% 14.3% 28.6% 300 7820",
			"tenpay 3 1012.35 3 0 66.7% 0.0% 0.0% 33.3% 33.3% 500 5890",
			h0 + " alipay 3 380.50 3 0 66.7% 33.3% 0.0% 0.0% 0.0% 200 298",
			h0 + " tenpay 1 12.34 1 0 100.0% 0.0% 0.0% 0.0% 0.0% 400 400",
			h1 + " alipay 5 275.54 4 1 0.0% 50.0% 25.0% 25.0% 50.0% 3100 7910",
			h1 + " tenpay 2 1000.01 2 0 50.0% 0.0% 0.0% 50.0% 50.0% 3250 5945",
			"Top 4 reason codes",
			"payer_leg_unknown presumed_failure 2 1040.00",
			"agreement_terminated failure 1 10.00",
			"insufficient_funds failure 1 30.00",
			"reserve_account_closed failure 1 70.00",
		}
		var lines []string
		for l := range strings.Lines(out.String()) {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		// The wanted lines appear in this order, each exactly once.
		i := 0
		for _, l := range lines {
			if i < len(wantLines) && l == wantLines[i] {
				i++
			}
		}
		if i < len(wantLines) {
			t.Errorf("report lacks %q (in order)", wantLines[i])
		}
		if strings.Contains(out.String(), "reserve_leg_unknown") {
			t.Error("report lists a fifth reason code with --top 4")
		}

		// A window with no payments says so.
		out.Reset()
		if err := WriteReport(ctx, conn, &out, ReportOptions{Hours: 1, Now: pj.log.base.Add(-48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "No payments started in this window.") || strings.Contains(out.String(), "reason codes") {
			t.Errorf("empty window:\n%s", out.String())
		}
	})
}

func TestReportWithoutMigrations(t *testing.T) {
	conn, db := chtest.Open(t)
	err := WriteReport(t.Context(), conn, &bytes.Buffer{}, ReportOptions{})
	if err == nil || !strings.Contains(err.Error(), "paycore migrate") {
		t.Errorf("WriteReport on empty database %s = %v, want advice to run paycore migrate", db, err)
	}
}

// readmeExample is an example query of projections/README.md: a ```sql
// block whose first line is "-- example: <name>".
type readmeExample struct{ name, sql string }

var exampleBlock = regexp.MustCompile("(?s)```sql\n-- example: ([a-z0-9_]+)\n(.*?)```")

func readmeExamples(t *testing.T) []readmeExample {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []readmeExample
	for _, m := range exampleBlock.FindAllStringSubmatch(string(b), -1) {
		sql := strings.TrimSuffix(strings.TrimSpace(m[2]), ";")
		out = append(out, readmeExample{m[1], sql})
	}
	if len(out) < 5 {
		t.Fatalf("README has %d example queries, want at least 5", len(out))
	}
	return out
}

// readmeResults are the figures each README example must give on the
// synthetic log.
func readmeResults(l *synthLog, h0, h1 string) map[string][][]string {
	byName := func(name string) synthPayment {
		return synthPayments[slices.IndexFunc(synthPayments, func(p synthPayment) bool { return p.name == name })]
	}
	p4, p5, p6 := byName("P4"), byName("P5"), byName("P6")
	start := p6.start(l.base)
	at := func(d time.Duration) string { return start.Add(d).Truncate(time.Second).Format(time.DateTime) }
	return map[string][][]string{
		"volumes_per_channel": {
			{"alipay", "8", "656.04", "7", "2", "350.50"},
			{"tenpay", "3", "1012.35", "3", "2", "12.35"},
		},
		"presumed_rates_per_hour": {
			{h0, "alipay", "3", "0", "0", "0"},
			{h0, "tenpay", "1", "0", "0", "0"},
			{h1, "alipay", "4", "1", "1", "0.5"},
			{h1, "tenpay", "2", "0", "1", "0.5"},
		},
		"latency_quantiles": {
			{"alipay", "7", "300", "7820", "8000"},
			{"tenpay", "3", "500", "5890", "6000"},
		},
		"failures_by_reason": {
			{"presumed_failure", "payer_leg_unknown", "2", "1040.00"},
			{"failure", "agreement_terminated", "1", "10.00"},
			{"failure", "insufficient_funds", "1", "30.00"},
			{"failure", "reserve_account_closed", "1", "70.00"},
			{"presumed_success", "reserve_leg_unknown", "1", "55.55"},
		},
		"payment_story": {
			{at(0), "payment.started", "alipay order-P6 -> RSV-alipay", "70.00"},
			{at(0), "payer.debited", "", "70.00"},
			{at(0), "reserve.refused", "reserve_account_closed", "0.00"},
			{at(0), "payer.reversed", "", "70.00"},
			{at(p6.latency), "payment.finished", "failure reserve_account_closed", "0.00"},
		},
		"batch_overview": {
			{synthBatch, "10", "418.40", "2", "2", "418.40"},
		},
		"discrepancies_and_corrections": {
			{synthBatch, "payer", "status_differs", "refund_customer", synthTxnID(p4), "presumed_failure", "debited", "1", "40.00"},
			{synthBatch, "reserve", "status_differs", "credit_reserve", synthTxnID(p5), "presumed_success", "not_found", "1", "55.55"},
		},
		"agreements_by_channel": {
			{"alipay", agreementOf(alice, "alipay"), "active", "622202*********0001", "5000.00", "7"},
			{"alipay", agreementOf(bob, "alipay"), "active", "621700*********5678", "600.00", "0"},
			{"alipay", agreementOf(carol, "alipay"), "terminated", "***********4567", "5000.00", "1"},
			{"tenpay", agreementOf(bob, "tenpay"), "active", "621700*********5678", "5000.00", "3"},
		},
		"refundable_remainder": {
			{synthTxnID(byName("P2")), "250.50", "2", "150.50", "100.00"},
		},
		"legacy_lookup": {
			{synthLegacyNo, agreementOf(bob, "alipay"), "alipay", "active", "300.00", "600.00", "exceeds_field",
				l.base.Add(-9 * time.Minute).Truncate(time.Second).Format(time.DateTime)},
		},
	}
}

// TestAnalystUser checks the read-only analyst user of deploy/stack.sh
// (password PAYCORE_ANALYST_PASSWORD, default analyst), who may read only
// the paycore database. It migrates that database (as the default user)
// and runs every README example as the analyst there.
func TestAnalystUser(t *testing.T) {
	admin, testDB := chtest.Open(t)
	if _, err := migrate.Apply(t.Context(), admin, migrations(t)); err != nil {
		t.Fatal(err)
	}

	cfg := chconn.ConfigFromEnv()
	cfg.Database = chconn.DefaultDatabase
	paycore, err := chconn.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer paycore.Close()
	// The database may hold tables already; Apply only adds what is missing.
	if _, err := migrate.Apply(t.Context(), paycore, migrations(t)); err != nil {
		t.Fatalf("migrating %s: %v", cfg.Database, err)
	}

	password := os.Getenv("PAYCORE_ANALYST_PASSWORD")
	if password == "" {
		password = "analyst"
	}
	cfg.Username, cfg.Password = "analyst", password
	analyst, err := chconn.Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer analyst.Close()
	ctx := t.Context()

	for _, ex := range readmeExamples(t) {
		if _, err := queryStrings(ctx, analyst, ex.sql); err != nil {
			t.Errorf("README example %s as analyst: %v", ex.name, err)
		}
	}
	for _, view := range []string{"transactions", "hourly_rollups", "agreements_current"} {
		var n uint64
		if err := analyst.QueryRow(ctx, "SELECT count() FROM "+view).Scan(&n); err != nil {
			t.Errorf("analyst cannot read %s: %v", view, err)
		}
	}
	if err := WriteReport(ctx, analyst, &bytes.Buffer{}, ReportOptions{}); err != nil {
		t.Errorf("report as analyst: %v", err)
	}

	refused := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("analyst could %s", what)
		} else {
			t.Logf("analyst cannot %s: %v", what, err)
		}
	}
	batch, err := analyst.PrepareBatch(ctx, "INSERT INTO payments (txn_id)")
	if err == nil {
		if err = batch.Append("analyst-was-here"); err == nil {
			err = batch.Send()
		}
	}
	refused("insert with a batch", err)
	refused("insert with VALUES", analyst.Exec(ctx, "INSERT INTO payments (txn_id) VALUES ('analyst-was-here')"))
	refused("create a table", analyst.Exec(ctx, "CREATE TABLE IF NOT EXISTS analyst_scratch (x UInt8) ENGINE = Memory"))
	refused("drop a view", analyst.Exec(ctx, "DROP TABLE IF EXISTS hourly_rollups_missing"))
	refused("change a setting", analyst.Exec(ctx, "SET readonly = 0"))
	_, err = queryStrings(ctx, analyst, "SELECT count() FROM `"+testDB+"`.payments")
	refused("read another database ("+testDB+")", err)
	_, err = queryStrings(ctx, analyst, "SELECT * FROM url('http://127.0.0.1:1/', TSV, 'x String')")
	refused("use table functions", err)

	var n uint64
	if err := paycore.QueryRow(ctx, "SELECT count() FROM payments WHERE txn_id = 'analyst-was-here'").Scan(&n); err != nil || n != 0 {
		t.Errorf("analyst's insert found in payments: %d rows, %v", n, err)
	}
}

// TestTransactionsLatencyIsExact checks millisecond latencies across a
// second boundary, where DateTime alone would be off by up to a second.
func TestTransactionsLatencyIsExact(t *testing.T) {
	conn, _ := chtest.Open(t)
	if _, err := migrate.Apply(t.Context(), conn, migrations(t)); err != nil {
		t.Fatal(err)
	}
	// The payment starts at 10:00:00.999 and ends at 10:00:01.001.
	base := time.Date(2026, 3, 1, 10, 0, 0, 876_000_000, time.UTC)
	p := synthPayment{"L1", "alipay", alice, "1.00", 0, 0, 2 * time.Millisecond, events.StatusSuccess, "", "debited", "credited"}
	l := &synthLog{base: base, seq: map[string]uint64{}, offsets: map[string]int64{}}
	l.payment(p)
	rows, err := l.rows(false)
	if err != nil {
		t.Fatal(err)
	}
	insert(t, conn, rows)
	var latency *int64
	if err := conn.QueryRow(t.Context(), "SELECT latency_ms FROM transactions").Scan(&latency); err != nil {
		t.Fatal(err)
	}
	if latency == nil || *latency != 2 {
		t.Errorf("latency_ms = %v, want 2", latency)
	}
}
