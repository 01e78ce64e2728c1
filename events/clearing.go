package events

import "time"

// Clearing, reconciliation and error handling (差错处理). Clearing events
// live on the clearing.events topic keyed by batch ID; corrections are
// commands to the saga and the reserve bank, and events in their logs.

// Bank sides of a reconciliation file (BatchReconciled.Bank,
// DiscrepancyFound.Bank).
const (
	BankPayer   = "payer"
	BankReserve = "reserve"
)

// Discrepancy classes (DiscrepancyFound.Class).
const (
	DiffOnlyOurs      = "only_ours"
	DiffOnlyTheirs    = "only_theirs"
	DiffAmount        = "amount_differs"
	DiffStatus        = "status_differs"
	DiffMatchedNoDiff = "matched" // used in result rows only, never in a DiscrepancyFound
)

// BatchClosed records a clearing batch (批次): every payment that reached
// its final status within [WindowStart, WindowEnd) (Beijing-time windows,
// with a daily cut-off), and what moved.
type BatchClosed struct {
	BatchID     string    `json:"batch_id"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Payments    int       `json:"payments"`
	// SettledAmount is the sum of success and presumed_success payments:
	// what the payer bank owes the reserve bank for this batch.
	SettledAmount Money     `json:"settled_amount"`
	ClosedAt      time.Time `json:"closed_at"`
}

func (BatchClosed) EventType() string { return "clearing.batch_closed" }
func (BatchClosed) EventVersion() int { return 1 }

// SettlementInstructed records one high-value payment order (HVPS, 大额实时)
// that settles a batch's net position between two banks.
type SettlementInstructed struct {
	BatchID       string `json:"batch_id"`
	InstructionID string `json:"instruction_id"`
	FromBank      string `json:"from_bank"`
	ToBank        string `json:"to_bank"`
	// ReserveAccount is the credited institution's reserve account.
	ReserveAccount string `json:"reserve_account"`
	Amount         Money  `json:"amount"`
}

func (SettlementInstructed) EventType() string { return "clearing.settlement_instructed" }
func (SettlementInstructed) EventVersion() int { return 1 }

// DiscrepancyFound records one difference between our batch and a bank's
// reconciliation file. Re-running a reconciliation finds the same
// discrepancies with the same IDs.
type DiscrepancyFound struct {
	BatchID     string `json:"batch_id"`
	Bank        string `json:"bank"`
	TxnID       string `json:"txn_id"`
	Class       string `json:"class"`
	OurStatus   string `json:"our_status,omitempty"`
	OurAmount   *Money `json:"our_amount,omitempty"`
	TheirStatus string `json:"their_status,omitempty"`
	TheirAmount *Money `json:"their_amount,omitempty"`
	// Action is the correction it triggered ("" when none is automatic).
	Action string `json:"action,omitempty"`
}

func (DiscrepancyFound) EventType() string { return "reconciliation.discrepancy_found" }
func (DiscrepancyFound) EventVersion() int { return 1 }

// BatchReconciled records the result of reconciling one bank's file for a
// batch.
type BatchReconciled struct {
	BatchID       string `json:"batch_id"`
	Bank          string `json:"bank"`
	Matched       int    `json:"matched"`
	Discrepancies int    `json:"discrepancies"`
}

func (BatchReconciled) EventType() string { return "reconciliation.batch_reconciled" }
func (BatchReconciled) EventVersion() int { return 1 }

// Correction actions (CorrectPayment.Action, PaymentCorrected.Action).
const (
	// ActionRefundCustomer: a presumed_failure payment the payer bank did
	// debit: reverse the debit (the customer gets the money back).
	ActionRefundCustomer = "refund_customer"
	// ActionCreditReserve: a presumed_success payment whose reserve credit
	// never happened: credit the reserve account now.
	ActionCreditReserve = "credit_reserve"
)

// CorrectPayment asks a payment's saga to carry out an error-handling
// correction found by reconciliation. The payment's final status does not
// change; the correction is its own flow with its own events.
type CorrectPayment struct {
	TxnID         string `json:"txn_id"`
	BatchID       string `json:"batch_id"`
	Action        string `json:"action"`
	DiscrepancyID string `json:"discrepancy_id"`
}

func (CorrectPayment) EventType() string { return "saga.correct_payment" }
func (CorrectPayment) EventVersion() int { return 1 }

// PaymentCorrectionStarted records that a saga began a correction.
type PaymentCorrectionStarted struct {
	TxnID         string `json:"txn_id"`
	Action        string `json:"action"`
	BatchID       string `json:"batch_id"`
	DiscrepancyID string `json:"discrepancy_id"`
}

func (PaymentCorrectionStarted) EventType() string { return "payment.correction_started" }
func (PaymentCorrectionStarted) EventVersion() int { return 1 }

// PaymentCorrected records a completed correction. The final status of
// the payment stays what it was; this event says what the money did
// afterwards.
type PaymentCorrected struct {
	TxnID  string `json:"txn_id"`
	Action string `json:"action"`
	Amount Money  `json:"amount"`
}

func (PaymentCorrected) EventType() string { return "payment.corrected" }
func (PaymentCorrected) EventVersion() int { return 1 }

// PostReserveSummary asks the reserve bank to post ONE summarized entry
// (汇总记账) to a reserve account for a reconciled batch, instead of one
// posting per payment: the account is too hot for that. Keyed by the
// reserve account, so one partition owns its balance.
type PostReserveSummary struct {
	ReserveAccount string `json:"reserve_account"`
	BatchID        string `json:"batch_id"`
	Amount         Money  `json:"amount"`
	Credits        int    `json:"credits"`
}

func (PostReserveSummary) EventType() string { return "reserve.post_summary" }
func (PostReserveSummary) EventVersion() int { return 1 }

// ReserveSummaryPosted records the summarized posting and the account's
// balance after it.
type ReserveSummaryPosted struct {
	ReserveAccount string `json:"reserve_account"`
	BatchID        string `json:"batch_id"`
	Amount         Money  `json:"amount"`
	Credits        int    `json:"credits"`
	BalanceAfter   Money  `json:"balance_after"`
}

func (ReserveSummaryPosted) EventType() string { return "reserve.summary_posted" }
func (ReserveSummaryPosted) EventVersion() int { return 1 }
