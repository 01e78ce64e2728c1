package temporal

import (
	"context"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/paycore/paycore/events"
)

func TestPaymentSaga(t *testing.T) {
	cases := []struct {
		name          string
		amount        string
		closed        []string
		want          Outcome
		payerAfter    string
		reserveAfter  string
		wantCredited  int
		wantReversals bool
	}{
		{name: "both legs done", amount: "30.00",
			want: Outcome{Status: events.StatusSuccess}, payerAfter: "70.00", reserveAfter: "30.00", wantCredited: 1},
		{name: "reserve refuses: debit reversed", amount: "30.00", closed: []string{"RSV-A"},
			want:       Outcome{Status: events.StatusFailure, ReasonCode: events.ReasonReserveAccountClosed},
			payerAfter: "100.00", reserveAfter: "0.00", wantReversals: true},
		{name: "payer refuses: reserve untouched", amount: "100.01",
			want:       Outcome{Status: events.StatusFailure, ReasonCode: events.ReasonInsufficientFunds},
			payerAfter: "100.00", reserveAfter: "0.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			banks := NewBanks(1, events.CNY("100.00"), []string{"RSV-A"}, tc.closed)
			env.RegisterActivity(banks)
			env.ExecuteWorkflow(PaymentSaga, Payment{ID: "p1", Customer: 0, Amount: events.CNY(tc.amount), ReserveAccount: "RSV-A"})
			if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
				t.Fatalf("workflow completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
			}
			var got Outcome
			if err := env.GetWorkflowResult(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("outcome %+v, want %+v", got, tc.want)
			}
			if b := banks.balance(0); !b.Equal(events.CNY(tc.payerAfter)) {
				t.Errorf("payer balance %s, want %s", b, tc.payerAfter)
			}
			if r := banks.reserveBalance("RSV-A"); !r.Equal(events.CNY(tc.reserveAfter)) {
				t.Errorf("reserve balance %s, want %s", r, tc.reserveAfter)
			}
			if n := banks.credited(); n != tc.wantCredited {
				t.Errorf("%d credits, want %d", n, tc.wantCredited)
			}
			if banks.reversed["p1"] != tc.wantReversals {
				t.Errorf("reversed = %v, want %v", banks.reversed["p1"], tc.wantReversals)
			}
		})
	}
}

// TestBanksAnswerRetriesWithoutMovingMoneyAgain: Temporal may run an
// activity twice (a timed-out attempt that did run); the second run must
// answer the first one's decision.
func TestBanksAnswerRetriesWithoutMovingMoneyAgain(t *testing.T) {
	ctx := context.Background()
	banks := NewBanks(1, events.CNY("100.00"), []string{"RSV-A"}, nil)
	p := Payment{ID: "p1", Customer: 0, Amount: events.CNY("60.00"), ReserveAccount: "RSV-A"}
	for range 2 {
		if leg, err := banks.DebitPayer(ctx, p); err != nil || leg.Refused {
			t.Fatalf("debit: %+v, %v", leg, err)
		}
		if leg, err := banks.CreditReserve(ctx, p); err != nil || leg.Refused {
			t.Fatalf("credit: %+v, %v", leg, err)
		}
		if err := banks.ReverseDebit(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if b := banks.balance(0); !b.Equal(events.CNY("100.00")) {
		t.Errorf("payer balance %s after one debit and one reversal, each run twice; want 100.00", b)
	}
	if r := banks.reserveBalance("RSV-A"); !r.Equal(events.CNY("60.00")) {
		t.Errorf("reserve balance %s after one credit run twice; want 60.00", r)
	}
	// A second payment of 60.00 is within the restored balance; a third
	// debit beyond it is refused, and its retry is refused too.
	p2 := Payment{ID: "p2", Customer: 0, Amount: events.CNY("60.00"), ReserveAccount: "RSV-A"}
	if leg, _ := banks.DebitPayer(ctx, p2); leg.Refused {
		t.Fatalf("p2 refused: %+v", leg)
	}
	p3 := Payment{ID: "p3", Customer: 0, Amount: events.CNY("60.00"), ReserveAccount: "RSV-A"}
	for range 2 {
		if leg, _ := banks.DebitPayer(ctx, p3); !leg.Refused || leg.ReasonCode != events.ReasonInsufficientFunds {
			t.Fatalf("p3: %+v, want refused for funds", leg)
		}
	}
}
