package events

import "time"

// Commands and events of the saga processor (topics saga.inbox and
// saga.events, keyed by transaction or signing ID). Commands are
// imperative, events past tense; the wire names are stable.

// StartPayment asks the saga processor to run one agreement payment. The
// intake sends it after validating a pay request. TxnID derives from the
// channel and idempotency key, so a redelivered or repeated request reaches
// the same saga; BodyHash tells a true repeat from a reused key.
type StartPayment struct {
	TxnID          string `json:"txn_id"`
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
	AgreementNo    string `json:"agreement_no"`
	PayerKey       string `json:"payer_key"`
	ReserveAccount string `json:"reserve_account"`
	Amount         Money  `json:"amount"`
}

func (StartPayment) EventType() string { return "saga.start_payment" }
func (StartPayment) EventVersion() int { return 1 }

// StartSigning asks the saga processor to run one agreement signing.
type StartSigning struct {
	SigningID       string `json:"signing_id"`
	ChannelID       string `json:"channel_id"`
	OrderID         string `json:"order_id"`
	IdempotencyKey  string `json:"idempotency_key"`
	BodyHash        string `json:"body_hash"`
	PayerKey        string `json:"payer_key"`
	PayerAccount    string `json:"payer_account"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number"`
	Phone           string `json:"phone"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
}

func (StartSigning) EventType() string { return "saga.start_signing" }
func (StartSigning) EventVersion() int { return 1 }

// SubmitSMSCode carries a confirm_signing request to its signing saga.
type SubmitSMSCode struct {
	SigningID      string `json:"signing_id"`
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
	SMSCode        string `json:"sms_code"`
}

func (SubmitSMSCode) EventType() string { return "saga.submit_sms_code" }
func (SubmitSMSCode) EventVersion() int { return 1 }

// FireDeadline is sent by a saga partition's timer to its own inbox when a
// saga's deadline passed. Handling it, not the timer, changes the saga, so
// a deadline takes effect exactly once and a replay never fires it again.
type FireDeadline struct {
	SagaID   string    `json:"saga_id"`
	Deadline time.Time `json:"deadline"`
}

func (FireDeadline) EventType() string { return "saga.fire_deadline" }
func (FireDeadline) EventVersion() int { return 1 }

// PaymentStarted opens a payment saga.
type PaymentStarted struct {
	Request       StartPayment `json:"request"`
	Deadline      time.Time    `json:"deadline"`
	FinalDeadline time.Time    `json:"final_deadline"`
}

func (PaymentStarted) EventType() string { return "payment.started" }
func (PaymentStarted) EventVersion() int { return 1 }

// PaymentDuplicateRejected records a request that reused a payment's
// idempotency key with a different body.
type PaymentDuplicateRejected struct {
	TxnID    string `json:"txn_id"`
	OrderID  string `json:"order_id"`
	BodyHash string `json:"body_hash"`
}

func (PaymentDuplicateRejected) EventType() string { return "payment.duplicate_rejected" }
func (PaymentDuplicateRejected) EventVersion() int { return 1 }

// Saga steps, in PaymentStepChanged.Step.
const (
	StepAwaitPayer     = "await_payer"     // DebitPayer sent
	StepQueryPayer     = "query_payer"     // payer leg timed out; QueryDebit sent
	StepAwaitReserve   = "await_reserve"   // payer debited; CreditReserve sent
	StepQueryReserve   = "query_reserve"   // reserve leg timed out; QueryCredit sent
	StepAwaitReversal  = "await_reversal"  // reserve refused; ReverseDebit sent
	StepAwaitBank      = "await_bank"      // signing: VerifySigning sent
	StepAwaitCode      = "await_code"      // signing: waiting for the customer's SMS code
	StepAwaitAgreement = "await_agreement" // signing: ConfirmAgreement sent
)

// PaymentStepChanged records a saga moving to its next step, and the
// deadline by which that step must hear back. Attempt counts status
// queries within a query step.
type PaymentStepChanged struct {
	TxnID    string    `json:"txn_id"`
	Step     string    `json:"step"`
	Attempt  int       `json:"attempt"`
	Deadline time.Time `json:"deadline"`
	// Cause names what moved the saga (the reply type, or "deadline").
	Cause string `json:"cause"`
	// FinalDeadline is set when the saga enters await_reserve: the reserve
	// leg's last chance before presumed success. The fold must not derive it
	// from configuration, or a replay under other settings would differ.
	FinalDeadline time.Time `json:"final_deadline,omitzero"`
	// ReasonCode is set when the saga enters await_reversal: the reserve
	// bank's refusal, which becomes the payment's failure reason once the
	// debit is reversed.
	ReasonCode string `json:"reason_code,omitempty"`
}

func (PaymentStepChanged) EventType() string { return "payment.step_changed" }
func (PaymentStepChanged) EventVersion() int { return 1 }

// PaymentFinished records the one final status of a payment (success,
// failure, presumed_success, presumed_failure). Nothing changes a payment
// after it; corrections are error-handling events of reconciliation.
type PaymentFinished struct {
	TxnID      string `json:"txn_id"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
	// PayerDebited and ReserveCredited are what the saga knew at the end:
	// "yes", "no" or "unknown". Reconciliation compares them with the banks.
	PayerDebited    string `json:"payer_debited"`
	ReserveCredited string `json:"reserve_credited"`
}

func (PaymentFinished) EventType() string { return "payment.finished" }
func (PaymentFinished) EventVersion() int { return 1 }

// SigningStarted opens a signing saga.
type SigningStarted struct {
	Request  StartSigning `json:"request"`
	Deadline time.Time    `json:"deadline"`
	// FinalDeadline bounds the whole signing: past it, a bank that still
	// has not answered makes the signing fail with payer_leg_unknown.
	FinalDeadline time.Time `json:"final_deadline"`
}

func (SigningStarted) EventType() string { return "signing.started" }
func (SigningStarted) EventVersion() int { return 1 }

// SigningCodeSubmitted records a confirm_signing request accepted by the
// saga and forwarded to the bank.
type SigningCodeSubmitted struct {
	SigningID      string    `json:"signing_id"`
	IdempotencyKey string    `json:"idempotency_key"`
	OrderID        string    `json:"order_id"`
	BodyHash       string    `json:"body_hash"`
	SMSCode        string    `json:"sms_code"`
	Deadline       time.Time `json:"deadline"`
}

func (SigningCodeSubmitted) EventType() string { return "signing.code_submitted" }
func (SigningCodeSubmitted) EventVersion() int { return 1 }

// SigningConfirmRejected records a confirm_signing request the saga refused
// itself while the signing was still running (signing_not_pending: no code
// awaited at that moment). Recording it fixes the answer for its
// idempotency key: a repeat gets the same refusal even after the signing
// has moved back to awaiting a code.
type SigningConfirmRejected struct {
	SigningID      string `json:"signing_id"`
	IdempotencyKey string `json:"idempotency_key"`
	OrderID        string `json:"order_id"`
	BodyHash       string `json:"body_hash"`
	ReasonCode     string `json:"reason_code"`
}

func (SigningConfirmRejected) EventType() string { return "signing.confirm_rejected" }
func (SigningConfirmRejected) EventVersion() int { return 1 }

// SigningStepChanged records the signing saga reaching a new step.
type SigningStepChanged struct {
	SigningID string    `json:"signing_id"`
	Step      string    `json:"step"`
	Deadline  time.Time `json:"deadline"`
	Cause     string    `json:"cause"`
	// ReasonCode is set when a code was refused but the signing goes on.
	ReasonCode string `json:"reason_code,omitempty"`
}

func (SigningStepChanged) EventType() string { return "signing.step_changed" }
func (SigningStepChanged) EventVersion() int { return 1 }

// SigningFinished records the end of a signing: signed (AgreementNo set)
// or signing_failed with a reason.
type SigningFinished struct {
	SigningID   string `json:"signing_id"`
	Status      string `json:"status"`
	ReasonCode  string `json:"reason_code,omitempty"`
	AgreementNo string `json:"agreement_no,omitempty"`
}

func (SigningFinished) EventType() string { return "signing.finished" }
func (SigningFinished) EventVersion() int { return 1 }
