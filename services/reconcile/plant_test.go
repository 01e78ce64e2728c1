package reconcile

import (
	"maps"
	"slices"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
)

// batchOf builds a batch of n payments cycling through the final
// statuses, and the statement the bank would send if it agreed with all
// of them (plus, for the payer bank, one natural discrepancy: a presumed
// failure the bank did debit).
func batchOf(bank string, n int) ([]clearing.Payment, Statement) {
	statuses := []string{events.StatusSuccess, events.StatusSuccess, events.StatusPresumedSuccess, events.StatusFailure, events.StatusPresumedFailure}
	var ours []clearing.Payment
	st := Statement{Bank: bank}
	for i := range n {
		p := pay(i, statuses[i%len(statuses)], "10.00")
		ours = append(ours, p)
		r := row(i, BankNotFound, "0.00")
		switch {
		case p.Settles() && bank == events.BankPayer:
			r = row(i, BankDebited, "10.00")
		case p.Settles():
			r = row(i, BankCredited, "10.00")
		case p.Status == events.StatusFailure && bank == events.BankPayer:
			r = row(i, BankReversed, "10.00")
		}
		if i == n-1 && bank == events.BankPayer && p.Status == events.StatusPresumedFailure {
			r = row(i, BankDebited, "10.00") // natural: reply lost, debit stands
		}
		st.Rows = append(st.Rows, r)
	}
	return ours, st
}

func TestPlantDiscrepancies(t *testing.T) {
	for _, bank := range []string{events.BankPayer, events.BankReserve} {
		t.Run(bank, func(t *testing.T) {
			ours, st := batchOf(bank, 25)
			before := Counts(Compare(bank, ours, st.Rows))
			p := Plant{Missing: 2, Extra: 3, Amount: 2, Status: 3, Seed: 7}
			planted, got, err := PlantDiscrepancies(st, ours, p)
			if err != nil {
				t.Fatal(err)
			}
			// Every planted change shows up, with its class, on top of
			// what was there before.
			lines := Compare(bank, ours, planted.Rows)
			class := map[string]string{}
			for _, l := range lines {
				class[l.TxnID] = l.Class
			}
			wantCounts := map[string]int{events.DiffOnlyOurs: 2, events.DiffOnlyTheirs: 3, events.DiffAmount: 2, events.DiffStatus: 3}
			gotCounts := map[string]int{}
			for _, pl := range got {
				gotCounts[pl.Class]++
				if class[pl.TxnID] != pl.Class {
					t.Errorf("planted %s on %s, reconciliation finds %s", pl.Class, pl.TxnID, class[pl.TxnID])
				}
			}
			if !maps.Equal(gotCounts, wantCounts) {
				t.Errorf("planted %v, want %v", gotCounts, wantCounts)
			}
			after := Counts(lines)
			for c, n := range wantCounts {
				if after[c] != before[c]+n {
					t.Errorf("%s: %d before, %d after planting %d", c, before[c], after[c], n)
				}
			}
			if after[events.DiffMatchedNoDiff] != before[events.DiffMatchedNoDiff]-7 {
				t.Errorf("matched: %d before, %d after; want 7 fewer", before[events.DiffMatchedNoDiff], after[events.DiffMatchedNoDiff])
			}
			// Planted status changes never claim money moved.
			for _, l := range lines {
				if l.Class == events.DiffStatus && l.Action == events.ActionRefundCustomer && l.TxnID != txnN(24) {
					t.Errorf("planted a debit behind %s: %+v", l.Ours.Status, l.Theirs)
				}
			}
			// Deterministic in the seed, different with another.
			again, got2, _ := PlantDiscrepancies(st, ours, p)
			sameRow := func(a, b Row) bool { return a.TxnID == b.TxnID && a.Status == b.Status && a.Amount.Equal(b.Amount) }
			if !slices.Equal(got, got2) || !slices.EqualFunc(again.Rows, planted.Rows, sameRow) {
				t.Error("planting is not deterministic")
			}
			p.Seed = 8
			if _, other, _ := PlantDiscrepancies(st, ours, p); slices.Equal(got, other) {
				t.Error("another seed planted the same discrepancies")
			}
		})
	}
}

func TestPlantRefusesWhatItCannotDo(t *testing.T) {
	ours, st := batchOf(events.BankReserve, 5) // three credited rows
	if _, _, err := PlantDiscrepancies(st, ours, Plant{Status: 4}); err == nil {
		t.Error("planted 4 status changes with 3 credited rows")
	}
	if _, _, err := PlantDiscrepancies(st, ours, Plant{Missing: -1}); err == nil {
		t.Error("accepted a negative count")
	}
	if _, got, err := PlantDiscrepancies(st, ours, Plant{}); err != nil || len(got) != 0 {
		t.Errorf("planting nothing: %v, %v", got, err)
	}
}
