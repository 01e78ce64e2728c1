package reconcile

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/clearing"
)

// txnN is the n-th made-up transaction ID.
func txnN(n int) string { return events.DeriveID("reconcile-test", string(rune('a'+n))) }

func pay(n int, status, amount string) clearing.Payment {
	return clearing.Payment{TxnID: txnN(n), OrderID: "o", ChannelID: "ch", ReserveAccount: "RSV-ch", Amount: events.CNY(amount), Status: status}
}

func row(n int, status, amount string) Row {
	return Row{TxnID: txnN(n), Amount: events.CNY(amount), Status: status}
}

// TestCompareRules has one row per rule of the expectation table in the
// package documentation.
func TestCompareRules(t *testing.T) {
	const (
		ok, ps, f, pf = events.StatusSuccess, events.StatusPresumedSuccess, events.StatusFailure, events.StatusPresumedFailure
		payer, res    = events.BankPayer, events.BankReserve
	)
	tests := []struct {
		name          string
		bank          string
		ours          string // final status; "" for none
		theirs        string // bank status; "" for no row
		theirAmount   string
		class, action string
	}{
		{"payer: success debited", payer, ok, BankDebited, "10.00", events.DiffMatchedNoDiff, ""},
		{"payer: presumed success debited", payer, ps, BankDebited, "10.00", events.DiffMatchedNoDiff, ""},
		{"payer: failure refused", payer, f, BankRefused, "0.00", events.DiffMatchedNoDiff, ""},
		{"payer: failure reversed", payer, f, BankReversed, "10.00", events.DiffMatchedNoDiff, ""},
		{"payer: presumed failure never received", payer, pf, BankNotFound, "0.00", events.DiffMatchedNoDiff, ""},
		{"payer: presumed failure but debited: refund", payer, pf, BankDebited, "10.00", events.DiffStatus, events.ActionRefundCustomer},
		{"payer: failure but debited: refund", payer, f, BankDebited, "10.00", events.DiffStatus, events.ActionRefundCustomer},
		{"payer: success but refused: a person looks", payer, ok, BankRefused, "0.00", events.DiffStatus, ""},
		{"payer: presumed success but reversed", payer, ps, BankReversed, "10.00", events.DiffStatus, ""},
		{"payer: success debited another amount", payer, ok, BankDebited, "11.00", events.DiffAmount, ""},
		{"payer: failure reversed another amount", payer, f, BankReversed, "9.00", events.DiffAmount, ""},
		{"payer: status beats amount", payer, pf, BankDebited, "11.00", events.DiffStatus, events.ActionRefundCustomer},
		{"payer: refusals carry no amount to compare", payer, f, BankRefused, "3.00", events.DiffMatchedNoDiff, ""},
		{"payer: missing from the statement", payer, ok, "", "", events.DiffOnlyOurs, ""},
		{"payer: unknown to us", payer, "", BankDebited, "10.00", events.DiffOnlyTheirs, ""},
		{"reserve: success credited", res, ok, BankCredited, "10.00", events.DiffMatchedNoDiff, ""},
		{"reserve: presumed success credited (reply lost)", res, ps, BankCredited, "10.00", events.DiffMatchedNoDiff, ""},
		{"reserve: failure refused", res, f, BankRefused, "0.00", events.DiffMatchedNoDiff, ""},
		{"reserve: presumed failure never asked", res, pf, BankNotFound, "0.00", events.DiffMatchedNoDiff, ""},
		{"reserve: presumed success never credited: credit", res, ps, BankNotFound, "0.00", events.DiffStatus, events.ActionCreditReserve},
		{"reserve: presumed success refused: credit", res, ps, BankRefused, "0.00", events.DiffStatus, events.ActionCreditReserve},
		{"reserve: success never credited: a person looks", res, ok, BankNotFound, "0.00", events.DiffStatus, ""},
		{"reserve: failure but credited: a person looks", res, f, BankCredited, "10.00", events.DiffStatus, ""},
		{"reserve: credited another amount", res, ok, BankCredited, "10.01", events.DiffAmount, ""},
		{"reserve: missing", res, ps, "", "", events.DiffOnlyOurs, ""},
		{"reserve: unknown to us", res, "", BankCredited, "1.00", events.DiffOnlyTheirs, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ours []clearing.Payment
			var theirs []Row
			if tt.ours != "" {
				ours = append(ours, pay(1, tt.ours, "10.00"))
			}
			if tt.theirs != "" {
				theirs = append(theirs, row(1, tt.theirs, tt.theirAmount))
			}
			lines := Compare(tt.bank, ours, theirs)
			if len(lines) != 1 {
				t.Fatalf("Compare = %+v, want one line", lines)
			}
			l := lines[0]
			if l.Class != tt.class || l.Action != tt.action {
				t.Errorf("class %s action %q, want %s %q", l.Class, l.Action, tt.class, tt.action)
			}
			if (l.Ours != nil) != (tt.ours != "") || (l.Theirs != nil) != (tt.theirs != "") {
				t.Errorf("sides ours=%v theirs=%v, want ours=%v theirs=%v", l.Ours, l.Theirs, tt.ours != "", tt.theirs != "")
			}
		})
	}
}

func TestCompareOrdersAndCoversBothSides(t *testing.T) {
	ours := []clearing.Payment{pay(3, events.StatusSuccess, "1.00"), pay(1, events.StatusSuccess, "1.00"), pay(2, events.StatusFailure, "1.00")}
	theirs := []Row{row(4, BankDebited, "1.00"), row(2, BankRefused, "0.00"), row(1, BankDebited, "1.00")}
	lines := Compare(events.BankPayer, ours, theirs)
	want := map[string]string{txnN(1): events.DiffMatchedNoDiff, txnN(2): events.DiffMatchedNoDiff,
		txnN(3): events.DiffOnlyOurs, txnN(4): events.DiffOnlyTheirs}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, l := range lines {
		if i > 0 && lines[i-1].TxnID >= l.TxnID {
			t.Errorf("lines not ordered by txn_id: %s before %s", lines[i-1].TxnID, l.TxnID)
		}
		if want[l.TxnID] != l.Class {
			t.Errorf("%s: %s, want %s", l.TxnID, l.Class, want[l.TxnID])
		}
	}
	if c := Counts(lines); c[events.DiffMatchedNoDiff] != 2 || c[events.DiffOnlyOurs] != 1 || c[events.DiffOnlyTheirs] != 1 {
		t.Errorf("Counts = %v", c)
	}
}

func TestStatementFromLegs(t *testing.T) {
	m := events.CNY
	ours := []clearing.Payment{pay(1, events.StatusSuccess, "10.00"), pay(2, events.StatusFailure, "20.00"),
		pay(3, events.StatusFailure, "30.00"), pay(4, events.StatusPresumedFailure, "40.00")}
	payer := map[string]map[string]events.Money{
		txnN(1): {tables.PayerDebited: m("10.00")},
		txnN(2): {tables.PayerDebited: m("20.00"), tables.PayerReversed: m("20.00")}, // the reversal is the last word
		txnN(3): {tables.PayerRefused: m("0.00")},
		txnN(9): {tables.PayerDebited: m("1.00")}, // not in our batch: the bank answers our file only
	}
	want := []Row{row(1, BankDebited, "10.00"), row(2, BankReversed, "20.00"), row(3, BankRefused, "0.00"), row(4, BankNotFound, "0.00")}
	st := statementFrom(events.BankPayer, ours, payer)
	if st.Bank != events.BankPayer || len(st.Rows) != len(want) {
		t.Fatalf("statement %+v", st)
	}
	for i, r := range st.Rows {
		if r.TxnID != want[i].TxnID || r.Status != want[i].Status || !r.Amount.Equal(want[i].Amount) {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
	}
	reserve := map[string]map[string]events.Money{txnN(1): {tables.ReserveCredited: m("10.00")}, txnN(3): {tables.ReserveRefused: m("0.00")}}
	got := statementFrom(events.BankReserve, ours, reserve).Rows
	if got[0].Status != BankCredited || got[1].Status != BankNotFound || got[2].Status != BankRefused || got[3].Status != BankNotFound {
		t.Errorf("reserve statement %+v", got)
	}
}
