package clearing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
)

// The queries read the projected saga log (schemas/clickhouse 0003).
//
// A batch is the payments whose payment.finished falls in its window. It
// is the transactions view's join of payments FINAL and payment_results
// FINAL, restricted to finished payments, but written against the tables
// and narrowed to the window inside each FINAL subquery: ClickHouse 18.16
// does not push a WHERE on a view into the view's subqueries
// (enable_optimize_predicate_expression is off), so a query on the view
// would merge every payment ever made for every batch. payments is read
// by primary key (txn_id IN ...), payment_results by the window.
//
// finished_at is whole seconds; windows start and end on whole minutes,
// so truncating to the second never moves a payment to another window.

// InWindow is the subquery of the transaction IDs of a window; its two
// parameters are the window's start and end, as WindowArgs formats them.
const InWindow = `SELECT txn_id FROM payment_results
             WHERE finished_at >= toDateTime(?, 'UTC') AND finished_at < toDateTime(?, 'UTC')`

// WindowArgs returns the parameters of InWindow for [start, end).
func WindowArgs(start, end time.Time) []any {
	return []any{start.UTC().Format(time.DateTime), end.UTC().Format(time.DateTime)}
}

const batchPaymentsSQL = `
SELECT txn_id, order_id, channel_id, reserve_account, amount, r_status
FROM
(
    SELECT txn_id, order_id, channel_id, reserve_account, amount
    FROM payments FINAL
    WHERE txn_id IN (` + InWindow + `)
)
ANY INNER JOIN
(
    SELECT txn_id, status AS r_status
    FROM payment_results FINAL
    WHERE finished_at >= toDateTime(?, 'UTC') AND finished_at < toDateTime(?, 'UTC')
)
USING (txn_id)
ORDER BY txn_id`

// LoadBatch returns the payments that reached their final status in
// [start, end), ordered by transaction ID.
func LoadBatch(ctx context.Context, conn driver.Conn, start, end time.Time) ([]Payment, error) {
	args := append(WindowArgs(start, end), WindowArgs(start, end)...)
	rows, err := conn.Query(ctx, batchPaymentsSQL, args...)
	if err != nil {
		return nil, Describe(err)
	}
	defer rows.Close()
	var out []Payment
	for rows.Next() {
		var p Payment
		var amount decimal.Decimal
		if err := rows.Scan(&p.TxnID, &p.OrderID, &p.ChannelID, &p.ReserveAccount, &amount, &p.Status); err != nil {
			return nil, fmt.Errorf("clearing: reading payments: %w", err)
		}
		if p.Amount, err = Money(amount); err != nil {
			return nil, fmt.Errorf("clearing: payment %s: %w", p.TxnID, err)
		}
		out = append(out, p)
	}
	return out, Describe(rows.Err())
}

// firstFinished returns when the earliest projected payment finished, or
// ok false when none has.
func firstFinished(ctx context.Context, conn driver.Conn) (first time.Time, ok bool, err error) {
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count(), min(finished_at) FROM payment_results").Scan(&n, &first); err != nil {
		return time.Time{}, false, Describe(err)
	}
	return first.UTC(), n > 0, nil
}

// Money converts a Decimal(18, 2) read from ClickHouse.
func Money(d decimal.Decimal) (events.Money, error) {
	return events.ParseMoney(d.StringFixed(2), events.CurrencyCNY.String())
}

// codeUnknownTable is ClickHouse's UNKNOWN_TABLE error code.
const codeUnknownTable = 60

// Describe adds what to do to a ClickHouse error: a missing table means
// the migrations were not applied.
func Describe(err error) error {
	var ex *clickhouse.Exception
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ex) && ex.Code == codeUnknownTable:
		return fmt.Errorf("the ClickHouse database lacks paycore's tables; apply the migrations (paycore migrate): %w", err)
	default:
		return fmt.Errorf("ClickHouse: %w", err)
	}
}
