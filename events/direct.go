package events

import "time"

// The legacy direct path (直连): the old link between an institution and a
// payer bank, kept running in parallel during cutover. A direct payment is
// ONE leg, a debit of the customer at the payer bank; the institution's
// settlement with that bank happens outside paycore, as it did before
// NetsUnion. The direct-path processor (topics direct.inbox and
// direct.events) keeps two kinds of aggregates: direct payments with their
// legacy refunds (keyed by TxnID), and each institution's legacy ledger
// (keyed by LegacyLedgerKey): its prefunded balance and the refunds the
// bank advanced for it.

// LegacyLedgerKey is the aggregate and partition key of channelID's legacy
// ledger on the direct-path topics.
func LegacyLedgerKey(channelID string) string { return "ledger/" + channelID }

// Steps of a direct payment and of a legacy refund.
const (
	DirectStepAwaitDebit    = "await_debit"    // DirectDebit sent
	DirectStepQueryDebit    = "query_debit"    // debit timed out; QueryDirectDebit sent
	RefundStepAwaitPrefund  = "await_prefund"  // DrawPrefund sent to the ledger
	RefundStepAwaitCredit   = "await_credit"   // DirectRefundCredit sent
	RefundStepQueryCredit   = "query_credit"   // credit timed out; QueryDirectRefundCredit sent
	RefundStepReturnPrefund = "return_prefund" // credit refused; ReturnPrefund sent to the ledger
)

// StartDirectPayment runs a payment over the direct link: the cutover
// router sends it to direct.inbox (keyed by TxnID) for a payment whose
// first routing decision was the direct path.
type StartDirectPayment struct {
	Payment      StartPayment `json:"payment"`
	RouteVersion int          `json:"route_version,omitempty"`
	RouteClause  string       `json:"route_clause,omitempty"`
}

func (StartDirectPayment) EventType() string { return "direct.start_payment" }
func (StartDirectPayment) EventVersion() int { return 1 }

// FireDirectDeadline is the direct-path processor's timer command, sent to
// its own inbox: handling it, not the timer, changes state. RefundID names
// the refund whose deadline passed, or is empty for the payment's.
type FireDirectDeadline struct {
	TxnID    string    `json:"txn_id"`
	RefundID string    `json:"refund_id,omitempty"`
	Deadline time.Time `json:"deadline"`
}

func (FireDirectDeadline) EventType() string { return "direct.fire_deadline" }
func (FireDirectDeadline) EventVersion() int { return 1 }

// DirectPaymentStarted opens a direct payment. FinalDeadline bounds the
// debit: past it, a debit still unknown makes the payment presumed_failure.
type DirectPaymentStarted struct {
	Request       StartDirectPayment `json:"request"`
	Deadline      time.Time          `json:"deadline"`
	FinalDeadline time.Time          `json:"final_deadline"`
}

func (DirectPaymentStarted) EventType() string { return "direct.payment_started" }
func (DirectPaymentStarted) EventVersion() int { return 1 }

// DirectPaymentStepChanged records a direct payment moving to a status
// query (attempt n) after its debit timed out.
type DirectPaymentStepChanged struct {
	TxnID    string    `json:"txn_id"`
	Step     string    `json:"step"`
	Attempt  int       `json:"attempt"`
	Deadline time.Time `json:"deadline"`
	Cause    string    `json:"cause"`
}

func (DirectPaymentStepChanged) EventType() string { return "direct.payment_step_changed" }
func (DirectPaymentStepChanged) EventVersion() int { return 1 }

// DirectPaymentFinished records the one final status of a direct payment:
// success, failure or presumed_failure. PayerDebited is what the path knew
// at the end: yes, no or unknown.
type DirectPaymentFinished struct {
	TxnID        string `json:"txn_id"`
	Status       string `json:"status"`
	ReasonCode   string `json:"reason_code,omitempty"`
	PayerDebited string `json:"payer_debited"`
}

func (DirectPaymentFinished) EventType() string { return "direct.payment_finished" }
func (DirectPaymentFinished) EventVersion() int { return 1 }

// StartLegacyRefund asks the direct-path processor to refund part or all of
// direct payment TxnID with Method, the institution's legacy refund method
// under rules version RouteVersion. The intake sends it keyed by TxnID.
type StartLegacyRefund struct {
	RefundID       string `json:"refund_id"`
	TxnID          string `json:"txn_id"`
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
	Amount         Money  `json:"amount"`
	Method         string `json:"method"`
	RouteVersion   int    `json:"route_version,omitempty"`
}

func (StartLegacyRefund) EventType() string { return "direct.start_refund" }
func (StartLegacyRefund) EventVersion() int { return 1 }

// LegacyRefundRejected records a legacy refund refused before any money
// moved (not_direct_payment is answered without an event: there is no
// payment to record it on). It is final for the refund.
type LegacyRefundRejected struct {
	Request    StartLegacyRefund `json:"request"`
	ReasonCode string            `json:"reason_code"`
}

func (LegacyRefundRejected) EventType() string { return "direct.refund_rejected" }
func (LegacyRefundRejected) EventVersion() int { return 1 }

// LegacyRefundRedirected records a refund under the closed method: paycore
// moves no money and answers redirected (refund_path_closed); the
// institution pays the customer by super online banking. The amount counts
// against the payment's refundable remainder, since the institution was
// told to pay it.
type LegacyRefundRedirected struct {
	Request     StartLegacyRefund `json:"request"`
	Instruction string            `json:"instruction"`
}

func (LegacyRefundRedirected) EventType() string { return "direct.refund_redirected" }
func (LegacyRefundRedirected) EventVersion() int { return 1 }

// LegacyRefundStarted records a refund accepted against its direct payment
// (bank_advance or prefund): its amount is held against the refundable
// remainder from here on. Step is the first step: await_credit
// (bank_advance, with Deadline and FinalDeadline) or await_prefund.
type LegacyRefundStarted struct {
	Request       StartLegacyRefund `json:"request"`
	PayerKey      string            `json:"payer_key"`
	AgreementNo   string            `json:"agreement_no"`
	Step          string            `json:"step"`
	Deadline      time.Time         `json:"deadline,omitzero"`
	FinalDeadline time.Time         `json:"final_deadline,omitzero"`
}

func (LegacyRefundStarted) EventType() string { return "direct.refund_started" }
func (LegacyRefundStarted) EventVersion() int { return 1 }

// LegacyRefundStepChanged records a legacy refund reaching its next step.
// FinalDeadline is set on entering await_credit; ReasonCode on entering
// return_prefund (the bank's refusal, the refund's failure reason).
type LegacyRefundStepChanged struct {
	TxnID         string    `json:"txn_id"`
	RefundID      string    `json:"refund_id"`
	Step          string    `json:"step"`
	Attempt       int       `json:"attempt"`
	Deadline      time.Time `json:"deadline,omitzero"`
	FinalDeadline time.Time `json:"final_deadline,omitzero"`
	Cause         string    `json:"cause"`
	ReasonCode    string    `json:"reason_code,omitempty"`
}

func (LegacyRefundStepChanged) EventType() string { return "direct.refund_step_changed" }
func (LegacyRefundStepChanged) EventVersion() int { return 1 }

// LegacyRefundFinished records a legacy refund's final status: success,
// failure or presumed_success (the credit stayed unknown). A failure
// releases the amount back to the payment's refundable remainder.
type LegacyRefundFinished struct {
	TxnID         string `json:"txn_id"`
	RefundID      string `json:"refund_id"`
	Status        string `json:"status"`
	ReasonCode    string `json:"reason_code,omitempty"`
	PayerCredited string `json:"payer_credited"` // yes / no / unknown
}

func (LegacyRefundFinished) EventType() string { return "direct.refund_finished" }
func (LegacyRefundFinished) EventVersion() int { return 1 }

// Commands and events of an institution's legacy ledger (keyed by
// LegacyLedgerKey). Replies to a payment's refund go to direct.inbox keyed
// by TxnID.

// ReceivePrefund records a wire from the institution to the designated
// account for legacy refunds (the prefund method), entered by an operator.
type ReceivePrefund struct {
	FundingID string `json:"funding_id"`
	ChannelID string `json:"channel_id"`
	Amount    Money  `json:"amount"`
}

func (ReceivePrefund) EventType() string { return "direct.receive_prefund" }
func (ReceivePrefund) EventVersion() int { return 1 }

// PrefundReceived records prefunded money available to legacy refunds.
type PrefundReceived struct {
	FundingID    string `json:"funding_id"`
	ChannelID    string `json:"channel_id"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (PrefundReceived) EventType() string { return "direct.prefund_received" }
func (PrefundReceived) EventVersion() int { return 1 }

// DrawPrefund asks the ledger to take a refund's amount out of the
// prefunded balance.
type DrawPrefund struct {
	RefundID  string `json:"refund_id"`
	TxnID     string `json:"txn_id"`
	ChannelID string `json:"channel_id"`
	Amount    Money  `json:"amount"`
}

func (DrawPrefund) EventType() string { return "direct.draw_prefund" }
func (DrawPrefund) EventVersion() int { return 1 }

// PrefundDrawn records a refund paid out of the prefunded balance; it is
// also the reply to the refund.
type PrefundDrawn struct {
	RefundID     string `json:"refund_id"`
	TxnID        string `json:"txn_id"`
	ChannelID    string `json:"channel_id"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (PrefundDrawn) EventType() string { return "direct.prefund_drawn" }
func (PrefundDrawn) EventVersion() int { return 1 }

// PrefundDrawRefused records a draw the prefunded balance could not cover
// (prefund_insufficient); it is also the reply to the refund.
type PrefundDrawRefused struct {
	RefundID   string `json:"refund_id"`
	TxnID      string `json:"txn_id"`
	ChannelID  string `json:"channel_id"`
	Amount     Money  `json:"amount"`
	Balance    Money  `json:"balance"`
	ReasonCode string `json:"reason_code"`
}

func (PrefundDrawRefused) EventType() string { return "direct.prefund_draw_refused" }
func (PrefundDrawRefused) EventVersion() int { return 1 }

// ReturnPrefund gives a drawn amount back to the prefunded balance (the
// payer bank refused the customer's credit).
type ReturnPrefund struct {
	RefundID  string `json:"refund_id"`
	TxnID     string `json:"txn_id"`
	ChannelID string `json:"channel_id"`
	Amount    Money  `json:"amount"`
}

func (ReturnPrefund) EventType() string { return "direct.return_prefund" }
func (ReturnPrefund) EventVersion() int { return 1 }

// PrefundReturned records a drawn amount back in the prefunded balance; it
// is also the reply to the refund.
type PrefundReturned struct {
	RefundID     string `json:"refund_id"`
	TxnID        string `json:"txn_id"`
	ChannelID    string `json:"channel_id"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (PrefundReturned) EventType() string { return "direct.prefund_returned" }
func (PrefundReturned) EventVersion() int { return 1 }

// RecordAdvance tells the ledger that the bank advanced a refund for the
// institution (bank_advance): the institution owes it.
type RecordAdvance struct {
	RefundID  string `json:"refund_id"`
	TxnID     string `json:"txn_id"`
	ChannelID string `json:"channel_id"`
	Amount    Money  `json:"amount"`
}

func (RecordAdvance) EventType() string { return "direct.record_advance" }
func (RecordAdvance) EventVersion() int { return 1 }

// RefundAdvanced records the institution's debt for one advanced refund.
type RefundAdvanced struct {
	RefundID         string `json:"refund_id"`
	TxnID            string `json:"txn_id"`
	ChannelID        string `json:"channel_id"`
	Amount           Money  `json:"amount"`
	OutstandingAfter Money  `json:"outstanding_after"`
}

func (RefundAdvanced) EventType() string { return "direct.refund_advanced" }
func (RefundAdvanced) EventVersion() int { return 1 }

// RepayAdvance records a wire by which the institution repays advanced
// refunds, entered by an operator.
type RepayAdvance struct {
	RepaymentID string `json:"repayment_id"`
	ChannelID   string `json:"channel_id"`
	Amount      Money  `json:"amount"`
}

func (RepayAdvance) EventType() string { return "direct.repay_advance" }
func (RepayAdvance) EventVersion() int { return 1 }

// AdvanceRepaid records a repayment reducing the outstanding debt.
type AdvanceRepaid struct {
	RepaymentID      string `json:"repayment_id"`
	ChannelID        string `json:"channel_id"`
	Amount           Money  `json:"amount"`
	OutstandingAfter Money  `json:"outstanding_after"`
}

func (AdvanceRepaid) EventType() string { return "direct.advance_repaid" }
func (AdvanceRepaid) EventVersion() int { return 1 }

// RepaymentRefused records a repayment above the outstanding debt
// (repayment_exceeds_debt): the operator's entry is wrong, nothing changes.
type RepaymentRefused struct {
	RepaymentID string `json:"repayment_id"`
	ChannelID   string `json:"channel_id"`
	Amount      Money  `json:"amount"`
	Outstanding Money  `json:"outstanding"`
	ReasonCode  string `json:"reason_code"`
}

func (RepaymentRefused) EventType() string { return "direct.repayment_refused" }
func (RepaymentRefused) EventVersion() int { return 1 }

// Payer-bank side of the direct link (payer.inbox, keyed by payer key).
// Replies go to direct.inbox keyed by TxnID.

// DirectDebit asks the payer bank to debit the customer over the direct
// link under an agreement of the channel (signed over NetsUnion or carried
// over from the direct era). Balance and the agreement's limits are
// checked as for a NetsUnion debit.
type DirectDebit struct {
	TxnID       string `json:"txn_id"`
	AgreementNo string `json:"agreement_no"`
	PayerKey    string `json:"payer_key"`
	ChannelID   string `json:"channel_id"`
	Amount      Money  `json:"amount"`
}

func (DirectDebit) EventType() string { return "payer.direct_debit" }
func (DirectDebit) EventVersion() int { return 1 }

// QueryDirectDebit asks the payer bank what happened to a direct debit.
type QueryDirectDebit struct {
	TxnID    string `json:"txn_id"`
	PayerKey string `json:"payer_key"`
	Attempt  int    `json:"attempt"`
}

func (QueryDirectDebit) EventType() string { return "payer.query_direct_debit" }
func (QueryDirectDebit) EventVersion() int { return 1 }

// DirectDebited records a direct debit of the customer's account. The
// money goes to the institution's settlement at the payer bank, outside
// paycore.
type DirectDebited struct {
	TxnID        string `json:"txn_id"`
	AgreementNo  string `json:"agreement_no"`
	ChannelID    string `json:"channel_id"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
	Day          string `json:"day"`
}

func (DirectDebited) EventType() string { return "payer.direct_debited" }
func (DirectDebited) EventVersion() int { return 1 }

// DirectDebitRefused records a direct debit the bank refused (or, with
// not_received_by_bank, one a status query closed unseen).
type DirectDebitRefused struct {
	TxnID      string `json:"txn_id"`
	ReasonCode string `json:"reason_code"`
}

func (DirectDebitRefused) EventType() string { return "payer.direct_debit_refused" }
func (DirectDebitRefused) EventVersion() int { return 1 }

// DirectDebitStatusReported answers a QueryDirectDebit (a reply only).
// Status is done, refused or unknown.
type DirectDebitStatusReported struct {
	TxnID      string `json:"txn_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (DirectDebitStatusReported) EventType() string { return "payer.direct_debit_status_reported" }
func (DirectDebitStatusReported) EventVersion() int { return 1 }

// DirectRefundCredit asks the payer bank to credit the customer for a
// legacy refund. Funding says where the money comes from: bank_advance
// (the bank's own, owed by the institution) or prefund (the institution's
// prefunded account).
type DirectRefundCredit struct {
	RefundID    string `json:"refund_id"`
	TxnID       string `json:"txn_id"`
	PayerKey    string `json:"payer_key"`
	AgreementNo string `json:"agreement_no"`
	ChannelID   string `json:"channel_id"`
	Funding     string `json:"funding"`
	Amount      Money  `json:"amount"`
}

func (DirectRefundCredit) EventType() string { return "payer.direct_refund_credit" }
func (DirectRefundCredit) EventVersion() int { return 1 }

// QueryDirectRefundCredit asks the payer bank what happened to a legacy
// refund credit.
type QueryDirectRefundCredit struct {
	RefundID string `json:"refund_id"`
	TxnID    string `json:"txn_id"`
	PayerKey string `json:"payer_key"`
	Attempt  int    `json:"attempt"`
}

func (QueryDirectRefundCredit) EventType() string { return "payer.query_direct_refund_credit" }
func (QueryDirectRefundCredit) EventVersion() int { return 1 }

// DirectRefundCredited records a legacy refund credited to the customer.
type DirectRefundCredited struct {
	RefundID     string `json:"refund_id"`
	TxnID        string `json:"txn_id"`
	ChannelID    string `json:"channel_id"`
	Funding      string `json:"funding"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (DirectRefundCredited) EventType() string { return "payer.direct_refund_credited" }
func (DirectRefundCredited) EventVersion() int { return 1 }

// DirectRefundCreditRefused records a legacy refund credit the bank
// refused (account_not_found, or not_received_by_bank from a query).
type DirectRefundCreditRefused struct {
	RefundID   string `json:"refund_id"`
	TxnID      string `json:"txn_id"`
	ReasonCode string `json:"reason_code"`
}

func (DirectRefundCreditRefused) EventType() string { return "payer.direct_refund_credit_refused" }
func (DirectRefundCreditRefused) EventVersion() int { return 1 }

// DirectRefundCreditStatusReported answers a QueryDirectRefundCredit (a
// reply only).
type DirectRefundCreditStatusReported struct {
	RefundID   string `json:"refund_id"`
	TxnID      string `json:"txn_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (DirectRefundCreditStatusReported) EventType() string {
	return "payer.direct_refund_credit_status_reported"
}
func (DirectRefundCreditStatusReported) EventVersion() int { return 1 }
