// Package temporal is paycore's payment saga written as a Temporal
// workflow, the peer paycore is measured against in issue 7: debit the
// payer, credit the reserve account, and reverse the debit when the
// reserve bank refuses. The banks are activities whose state lives in the
// worker's memory, so what is measured is the orchestration (Temporal's
// history, task queues and timers), as in paycore's saga run, whose banks
// are in-process processors too.
package temporal

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paycore/paycore/events"
)

// Payment is the workflow's input: one payment of the workload.
type Payment struct {
	ID             string // the workflow ID, and the banks' idempotency key
	Customer       int
	Amount         events.Money
	ReserveAccount string
}

// Leg is a bank's answer to one leg: done, or refused with a reason code
// of events (a business answer, not an error: Temporal retries errors).
type Leg struct {
	Refused    bool
	ReasonCode string
}

// Outcome is the workflow's result.
type Outcome struct {
	Status     string // events.StatusSuccess or events.StatusFailure
	ReasonCode string
}

// legTimeout bounds one attempt of a bank activity; Temporal retries a
// timed-out attempt (the default retry policy), and the banks dedupe by
// payment ID, as paycore's banks do by transaction ID.
const legTimeout = 10 * time.Second

// PaymentSaga is the saga: DebitPayer; refused → failure. CreditReserve;
// refused → ReverseDebit, failure. Otherwise success. The same steps and
// outcomes as paycore's saga without bank faults (no lost replies, so no
// status queries and no presumed outcomes).
func PaymentSaga(ctx workflow.Context, p Payment) (Outcome, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: legTimeout})
	var banks *Banks // method values name the activities; the worker's instance runs them
	var debit Leg
	if err := workflow.ExecuteActivity(ctx, banks.DebitPayer, p).Get(ctx, &debit); err != nil {
		return Outcome{}, err
	}
	if debit.Refused {
		return Outcome{Status: events.StatusFailure, ReasonCode: debit.ReasonCode}, nil
	}
	var credit Leg
	if err := workflow.ExecuteActivity(ctx, banks.CreditReserve, p).Get(ctx, &credit); err != nil {
		return Outcome{}, err
	}
	if credit.Refused {
		if err := workflow.ExecuteActivity(ctx, banks.ReverseDebit, p).Get(ctx, nil); err != nil {
			return Outcome{}, err
		}
		return Outcome{Status: events.StatusFailure, ReasonCode: credit.ReasonCode}, nil
	}
	return Outcome{Status: events.StatusSuccess}, nil
}
