package audit

import (
	"context"
	"fmt"
	"sort"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/tables"
	"github.com/shopspring/decimal"
)

// CrossCheck compares what the audit computed from the Kafka log with what
// the ClickHouse projections hold (the invariant checked twice: where it is
// enforced, and where analysts read it). It returns one line per
// difference; none means the projections agree with the log. Run it once
// the projector has caught up.
func CrossCheck(ctx context.Context, conn driver.Conn, rep Report) ([]string, error) {
	var diffs []string
	got := map[string]uint64{}
	rows, err := conn.Query(ctx, "SELECT status, count() FROM transactions GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("audit: reading transactions: %w", err)
	}
	for rows.Next() {
		var status string
		var n uint64
		if err := rows.Scan(&status, &n); err != nil {
			rows.Close()
			return nil, err
		}
		got[status] = n
	}
	rows.Close()
	statuses := map[string]bool{}
	for s := range got {
		statuses[s] = true
	}
	for s := range rep.FinalStatuses {
		statuses[s] = true
	}
	var names []string
	for s := range statuses {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		if int(got[s]) != rep.FinalStatuses[s] {
			diffs = append(diffs, fmt.Sprintf("payments with status %q: log %d, ClickHouse %d", s, rep.FinalStatuses[s], got[s]))
		}
	}
	for _, c := range []struct {
		what  string
		query string
		want  events.Money
	}{
		{"reserve credits", "SELECT sum(amount) FROM " + tables.ReserveLegs + " FINAL WHERE kind = '" + tables.ReserveCredited + "'", rep.ReserveTotal},
		{"opening balances", "SELECT sum(opening_balance) FROM " + tables.CustomerAccounts + " FINAL", rep.OpeningTotal},
	} {
		var sum decimal.Decimal
		if err := conn.QueryRow(ctx, c.query).Scan(&sum); err != nil {
			return nil, fmt.Errorf("audit: %s: %w", c.what, err)
		}
		if !sum.Equal(c.want.Decimal()) {
			diffs = append(diffs, fmt.Sprintf("%s: log %s, ClickHouse %s", c.what, c.want, sum.StringFixed(2)))
		}
	}
	return diffs, nil
}
