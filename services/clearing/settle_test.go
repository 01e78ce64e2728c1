package clearing

import (
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

func payment(txn, account, status, amount string) Payment {
	return Payment{TxnID: txn, OrderID: "order-" + txn, ChannelID: "CH-" + account, ReserveAccount: account, Amount: events.CNY(amount), Status: status}
}

func TestSettle(t *testing.T) {
	b := DefaultSchedule.BatchOf(bj(2026, 3, 2, 14, 0, 0))
	closedAt := bj(2026, 3, 2, 15, 5, 0)
	s, err := Settle(b, []Payment{
		payment("t1", "RSV-B", events.StatusSuccess, "100.00"),
		payment("t2", "RSV-A", events.StatusPresumedSuccess, "0.01"),
		payment("t3", "RSV-A", events.StatusFailure, "999.00"),
		payment("t4", "RSV-B", events.StatusSuccess, "50.50"),
		payment("t5", "RSV-C", events.StatusPresumedFailure, "7.00"), // RSV-C receives nothing
	}, closedAt)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Closed
	if c.BatchID != "B20260302-1400" || !c.WindowStart.Equal(b.Start) || !c.WindowEnd.Equal(b.End) || c.Payments != 5 ||
		c.SettledAmount.String() != "150.51" || !c.ClosedAt.Equal(closedAt) || c.ClosedAt.Location() != time.UTC {
		t.Errorf("BatchClosed = %+v", c)
	}
	if len(s.Instructions) != 2 {
		t.Fatalf("instructions %+v, want RSV-A and RSV-B", s.Instructions)
	}
	for i, want := range []struct{ account, amount string }{{"RSV-A", "0.01"}, {"RSV-B", "150.50"}} {
		in := s.Instructions[i]
		if in.ReserveAccount != want.account || in.Amount.String() != want.amount || in.BatchID != c.BatchID ||
			in.FromBank != PayerBank || in.ToBank != ReserveBank || in.InstructionID != InstructionID(c.BatchID, want.account) {
			t.Errorf("instruction %d = %+v, want %s %s", i, in, want.account, want.amount)
		}
	}
	if InstructionID(c.BatchID, "RSV-A") == InstructionID(c.BatchID, "RSV-B") || InstructionID("B1", "RSV-A") == InstructionID("B2", "RSV-A") {
		t.Error("instruction IDs collide")
	}

	empty, err := Settle(b, nil, closedAt)
	if err != nil || empty.Closed.Payments != 0 || !empty.Closed.SettledAmount.IsZero() || empty.Instructions != nil {
		t.Errorf("empty batch: %+v, %v", empty, err)
	}
	if _, err := Settle(b, []Payment{payment("t9", "RSV-A", "pending", "1.00")}, closedAt); err == nil {
		t.Error("settled a pending payment")
	}
}
