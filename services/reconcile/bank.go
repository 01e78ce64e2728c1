package reconcile

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/clearing"
)

// The simulated banks' statements. A real bank answers the switch's file
// from its own ledger; paycore's simulated banks keep theirs as event logs
// (payer.events, reserve.events), projected into payer_legs and
// reserve_legs, so that is where their statements come from.

// legStatus maps a projected leg kind to the status a statement shows.
type legStatus struct{ kind, status string }

// legKinds lists each bank's leg kinds in order of precedence: a reversed
// debit was debited first, and the reversal is the bank's last word.
var legKinds = map[string][]legStatus{
	events.BankPayer: {
		{tables.PayerReversed, BankReversed}, {tables.PayerDebited, BankDebited}, {tables.PayerRefused, BankRefused},
	},
	events.BankReserve: {{tables.ReserveCredited, BankCredited}, {tables.ReserveRefused, BankRefused}},
}

// BankStatement returns the statement the simulated bank would send for
// the payments of a closed batch: one row per payment, in our order, with
// the bank's last word on it (reversed, debited, refused for the payer
// bank; credited, refused for the reserve bank; not_found when it has
// none) and the amount it moved. ours must be the batch's payments
// (clearing.LoadBatch over the batch's window).
func BankStatement(ctx context.Context, conn driver.Conn, bank string, closed events.BatchClosed, ours []clearing.Payment) (Statement, error) {
	if err := ValidBank(bank); err != nil {
		return Statement{}, err
	}
	legs, err := loadLegs(ctx, conn, bank, closed)
	if err != nil {
		return Statement{}, err
	}
	return statementFrom(bank, ours, legs), nil
}

// statementFrom builds the statement of ours from the bank's legs: kind
// and amount per transaction.
func statementFrom(bank string, ours []clearing.Payment, legs map[string]map[string]events.Money) Statement {
	st := Statement{Bank: bank, Rows: make([]Row, 0, len(ours))}
	for _, p := range ours {
		row := Row{TxnID: p.TxnID, Amount: events.ZeroCNY(), Status: BankNotFound}
		for _, k := range legKinds[bank] {
			if amount, ok := legs[p.TxnID][k.kind]; ok {
				row.Status = k.status
				if carriesAmount(k.status) {
					row.Amount = amount
				}
				break
			}
		}
		st.Rows = append(st.Rows, row)
	}
	return st
}
