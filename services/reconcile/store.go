package reconcile

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/clearing"
)

// The ClickHouse reads of a reconciliation beyond the batch itself
// (clearing.LoadBatch), each narrowed to the batch's transactions by
// primary key.

var legTables = map[string]string{events.BankPayer: tables.PayerLegs, events.BankReserve: tables.ReserveLegs}

// loadLegs returns the bank's legs of the batch's transactions: kind and
// amount per transaction.
func loadLegs(ctx context.Context, conn driver.Conn, bank string, closed events.BatchClosed) (map[string]map[string]events.Money, error) {
	rows, err := conn.Query(ctx, `SELECT txn_id, kind, amount FROM `+legTables[bank]+` FINAL
WHERE txn_id IN (`+clearing.InWindow+`)`, clearing.WindowArgs(closed.WindowStart, closed.WindowEnd)...)
	if err != nil {
		return nil, clearing.Describe(err)
	}
	defer rows.Close()
	out := map[string]map[string]events.Money{}
	for rows.Next() {
		var txn, kind string
		var amount decimal.Decimal
		if err := rows.Scan(&txn, &kind, &amount); err != nil {
			return nil, fmt.Errorf("reconcile: reading %s legs: %w", bank, err)
		}
		m, err := clearing.Money(amount)
		if err != nil {
			return nil, fmt.Errorf("reconcile: %s leg of %s: %w", bank, txn, err)
		}
		if out[txn] == nil {
			out[txn] = map[string]events.Money{}
		}
		out[txn][kind] = m
	}
	return out, clearing.Describe(rows.Err())
}

// loadCorrected returns the completed corrections of the batch's
// transactions: the action each ended with.
func loadCorrected(ctx context.Context, conn driver.Conn, closed events.BatchClosed) (map[string]string, error) {
	rows, err := conn.Query(ctx, `SELECT txn_id, action FROM `+tables.PaymentCorrections+` FINAL
WHERE stage = '`+tables.CorrectionCompleted+`' AND txn_id IN (`+clearing.InWindow+`)`,
		clearing.WindowArgs(closed.WindowStart, closed.WindowEnd)...)
	if err != nil {
		return nil, clearing.Describe(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var txn, action string
		if err := rows.Scan(&txn, &action); err != nil {
			return nil, fmt.Errorf("reconcile: reading corrections: %w", err)
		}
		out[txn] = action
	}
	return out, clearing.Describe(rows.Err())
}
