package reconcile

import (
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/clearing"
)

func TestReservePostings(t *testing.T) {
	at := func(n int, account, status, amount string) clearing.Payment {
		p := pay(n, status, amount)
		p.ReserveAccount = account
		return p
	}
	ours := []clearing.Payment{
		at(1, "RSV-A", events.StatusSuccess, "10.00"),
		at(2, "RSV-A", events.StatusPresumedSuccess, "20.00"), // credit missing: corrected by a credit
		at(3, "RSV-A", events.StatusFailure, "99.00"),
		at(4, "RSV-B", events.StatusSuccess, "5.00"),
		at(5, "RSV-B", events.StatusSuccess, "6.00"),         // amount differs: held for a person
		at(6, "RSV-C", events.StatusPresumedSuccess, "7.00"), // credit missing, correction not done yet
		at(7, "RSV-D", events.StatusFailure, "8.00"),         // nothing to post
		at(8, "RSV-E", events.StatusPresumedSuccess, "9.00"), // credit refused: refunded instead
		at(9, "RSV-E", events.StatusSuccess, "1.00"),
	}
	theirs := []Row{
		row(1, BankCredited, "10.00"), row(2, BankNotFound, "0.00"), row(3, BankRefused, "0.00"),
		row(4, BankCredited, "5.00"), row(5, BankCredited, "6.50"), row(6, BankNotFound, "0.00"),
		row(7, BankNotFound, "0.00"), row(8, BankRefused, "0.00"), row(9, BankCredited, "1.00"),
		row(10, BankCredited, "3.00"), // only_theirs: no account of ours, holds none
	}
	lines := Compare(events.BankReserve, ours, theirs)
	corrected := map[string]string{txnN(2): events.ActionCreditReserve, txnN(8): events.ActionRefundCustomer}
	posts, held, err := ReservePostings("B1", lines, corrected)
	if err != nil {
		t.Fatal(err)
	}
	want := []events.PostReserveSummary{
		{ReserveAccount: "RSV-A", BatchID: "B1", Amount: events.CNY("30.00"), Credits: 2},
		{ReserveAccount: "RSV-E", BatchID: "B1", Amount: events.CNY("1.00"), Credits: 1},
	}
	if len(posts) != len(want) {
		t.Fatalf("postings %+v, want %+v", posts, want)
	}
	for i := range want {
		if posts[i].ReserveAccount != want[i].ReserveAccount || !posts[i].Amount.Equal(want[i].Amount) ||
			posts[i].Credits != want[i].Credits || posts[i].BatchID != "B1" {
			t.Errorf("posting %d = %+v, want %+v", i, posts[i], want[i])
		}
	}
	wantHeld := []Held{{"RSV-B", 1}, {"RSV-C", 1}}
	if len(held) != len(wantHeld) || held[0] != wantHeld[0] || held[1] != wantHeld[1] {
		t.Errorf("held %+v, want %+v", held, wantHeld)
	}
}
