package events

import (
	"strconv"
	"strings"
	"time"
)

// Refunds (退款) reverse a payment's legs: debit the channel's reserve
// account at the reserve bank, then credit the customer at the payer bank.
//
// A refund belongs to its original payment: every refund command and event
// on the saga topics is keyed by the original TxnID, so all refunds of a
// payment live in the payment's partition and the payment aggregate checks
// "total refunded never exceeds the original" without a lock or a race.
// RefundID (derived from the refund request's channel and idempotency key)
// tells the refunds of one payment apart.

// StartRefund asks the saga processor to refund part or all of payment
// TxnID. The intake sends it keyed by TxnID.
type StartRefund struct {
	RefundID       string `json:"refund_id"`
	TxnID          string `json:"txn_id"`
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
	Amount         Money  `json:"amount"`
}

func (StartRefund) EventType() string { return "saga.start_refund" }
func (StartRefund) EventVersion() int { return 1 }

// Refund steps, in RefundStepChanged.Step.
const (
	RefundStepAwaitReserve  = "await_reserve_debit"  // DebitReserve sent
	RefundStepQueryReserve  = "query_reserve_debit"  // reserve debit timed out; QueryReserveDebit sent
	RefundStepAwaitPayer    = "await_payer_credit"   // reserve debited; CreditPayer sent
	RefundStepQueryPayer    = "query_payer_credit"   // payer credit timed out; QueryPayerCredit sent
	RefundStepAwaitReversal = "await_reserve_return" // payer refused; ReverseReserveDebit sent
)

// RefundStarted records a refund accepted against its payment: the amount
// is held against the payment's refundable remainder from here on, so a
// concurrent refund cannot take it too. The event belongs to the payment
// aggregate (AggregateID = TxnID).
type RefundStarted struct {
	Request        StartRefund `json:"request"`
	ReserveAccount string      `json:"reserve_account"`
	SubAccount     string      `json:"sub_account"`
	PayerKey       string      `json:"payer_key"`
	AgreementNo    string      `json:"agreement_no"`
	Deadline       time.Time   `json:"deadline"`
	FinalDeadline  time.Time   `json:"final_deadline"`
}

func (RefundStarted) EventType() string { return "refund.started" }
func (RefundStarted) EventVersion() int { return 1 }

// RefundRejected records a refund request the payment refused before any
// money moved (refund_exceeds_original, payment_not_refundable, a reused
// idempotency key with another body). It is final for the refund.
type RefundRejected struct {
	Request    StartRefund `json:"request"`
	ReasonCode string      `json:"reason_code"`
}

func (RefundRejected) EventType() string { return "refund.rejected" }
func (RefundRejected) EventVersion() int { return 1 }

// RefundStepChanged records a refund reaching its next step.
type RefundStepChanged struct {
	RefundID      string    `json:"refund_id"`
	Step          string    `json:"step"`
	Attempt       int       `json:"attempt"`
	Deadline      time.Time `json:"deadline"`
	FinalDeadline time.Time `json:"final_deadline,omitempty"`
	ReasonCode    string    `json:"reason_code,omitempty"`
}

func (RefundStepChanged) EventType() string { return "refund.step_changed" }
func (RefundStepChanged) EventVersion() int { return 1 }

// RefundFinished records a refund's final status, which never changes.
// A failed or presumed-failed refund releases its amount back to the
// payment's refundable remainder; success and presumed success keep it.
type RefundFinished struct {
	RefundID      string `json:"refund_id"`
	Status        string `json:"status"`
	ReasonCode    string `json:"reason_code,omitempty"`
	ReserveDebit  string `json:"reserve_debited"` // yes / no / unknown
	PayerCredited string `json:"payer_credited"`  // yes / no / unknown
}

func (RefundFinished) EventType() string { return "refund.finished" }
func (RefundFinished) EventVersion() int { return 1 }

// Reserve-bank side of a refund. The reserve account is split into
// sub-accounts (分户) so that the refund debits of one hot account spread
// over partitions: these commands are keyed by SubAccount (see
// SubAccountKey), replies go to saga.inbox keyed by TxnID.

// DebitReserve asks the reserve bank to debit a reserve sub-account for a
// refund. The bank never lets the reserve account go below zero; it
// rebalances between sub-accounts before refusing, so the debit is refused
// (insufficient_reserve_funds) only when the account as a whole cannot pay.
type DebitReserve struct {
	DebitID        string `json:"debit_id"`
	TxnID          string `json:"txn_id"`
	RefundID       string `json:"refund_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	ChannelID      string `json:"channel_id"`
	Amount         Money  `json:"amount"`
}

func (DebitReserve) EventType() string { return "reserve.debit_reserve" }
func (DebitReserve) EventVersion() int { return 1 }

// QueryReserveDebit asks the reserve bank what happened to a refund debit.
type QueryReserveDebit struct {
	DebitID    string `json:"debit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	SubAccount string `json:"sub_account"`
	Attempt    int    `json:"attempt"`
}

func (QueryReserveDebit) EventType() string { return "reserve.query_debit" }
func (QueryReserveDebit) EventVersion() int { return 1 }

// ReverseReserveDebit returns a refund debit to the reserve sub-account (the
// compensation when the payer bank refused the customer's credit).
type ReverseReserveDebit struct {
	DebitID    string `json:"debit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	SubAccount string `json:"sub_account"`
	Attempt    int    `json:"attempt"`
}

func (ReverseReserveDebit) EventType() string { return "reserve.reverse_debit" }
func (ReverseReserveDebit) EventVersion() int { return 1 }

// ReserveDebited records a refund debit of a reserve sub-account; it is
// also the reply to the saga.
type ReserveDebited struct {
	DebitID        string `json:"debit_id"`
	TxnID          string `json:"txn_id"`
	RefundID       string `json:"refund_id"`
	ReserveAccount string `json:"reserve_account"`
	SubAccount     string `json:"sub_account"`
	Amount         Money  `json:"amount"`
	BalanceAfter   Money  `json:"balance_after"`
}

func (ReserveDebited) EventType() string { return "reserve.reserve_debited" }
func (ReserveDebited) EventVersion() int { return 1 }

// ReserveDebitRefused records a refund debit the reserve bank refused.
type ReserveDebitRefused struct {
	DebitID    string `json:"debit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	ReasonCode string `json:"reason_code"`
}

func (ReserveDebitRefused) EventType() string { return "reserve.reserve_debit_refused" }
func (ReserveDebitRefused) EventVersion() int { return 1 }

// ReserveDebitReversed records a refund debit returned to its sub-account.
type ReserveDebitReversed struct {
	DebitID      string `json:"debit_id"`
	TxnID        string `json:"txn_id"`
	RefundID     string `json:"refund_id"`
	SubAccount   string `json:"sub_account"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (ReserveDebitReversed) EventType() string { return "reserve.reserve_debit_reversed" }
func (ReserveDebitReversed) EventVersion() int { return 1 }

// ReserveDebitStatusReported answers a QueryReserveDebit (a reply on
// saga.inbox only). Status is one of the Leg* constants.
type ReserveDebitStatusReported struct {
	DebitID    string `json:"debit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (ReserveDebitStatusReported) EventType() string { return "reserve.debit_status_reported" }
func (ReserveDebitStatusReported) EventVersion() int { return 1 }

// Payer-bank side of a refund: credit the customer's account (keyed by
// PayerKey). A credit needs no balance check; it is refused only when the
// account cannot take money (account_not_found).

// CreditPayer asks the payer bank to credit the customer for a refund.
type CreditPayer struct {
	CreditID    string `json:"credit_id"`
	TxnID       string `json:"txn_id"`
	RefundID    string `json:"refund_id"`
	PayerKey    string `json:"payer_key"`
	AgreementNo string `json:"agreement_no"`
	ChannelID   string `json:"channel_id"`
	Amount      Money  `json:"amount"`
}

func (CreditPayer) EventType() string { return "payer.credit_payer" }
func (CreditPayer) EventVersion() int { return 1 }

// QueryPayerCredit asks the payer bank what happened to a refund credit.
type QueryPayerCredit struct {
	CreditID string `json:"credit_id"`
	TxnID    string `json:"txn_id"`
	RefundID string `json:"refund_id"`
	PayerKey string `json:"payer_key"`
	Attempt  int    `json:"attempt"`
}

func (QueryPayerCredit) EventType() string { return "payer.query_credit" }
func (QueryPayerCredit) EventVersion() int { return 1 }

// PayerCredited records a refund credited to the customer's account.
type PayerCredited struct {
	CreditID     string `json:"credit_id"`
	TxnID        string `json:"txn_id"`
	RefundID     string `json:"refund_id"`
	AgreementNo  string `json:"agreement_no"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (PayerCredited) EventType() string { return "payer.payer_credited" }
func (PayerCredited) EventVersion() int { return 1 }

// PayerCreditRefused records a refund credit the payer bank refused.
type PayerCreditRefused struct {
	CreditID   string `json:"credit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	ReasonCode string `json:"reason_code"`
}

func (PayerCreditRefused) EventType() string { return "payer.payer_credit_refused" }
func (PayerCreditRefused) EventVersion() int { return 1 }

// PayerCreditStatusReported answers a QueryPayerCredit (a reply on
// saga.inbox only).
type PayerCreditStatusReported struct {
	CreditID   string `json:"credit_id"`
	TxnID      string `json:"txn_id"`
	RefundID   string `json:"refund_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (PayerCreditStatusReported) EventType() string { return "payer.credit_status_reported" }
func (PayerCreditStatusReported) EventVersion() int { return 1 }

// FundReserve is a bank-side command (like OpenAccount for customers): the
// channel wires funds into its reserve account, making them available to
// refunds. Keyed by the reserve account; the bank spreads the amount over
// the account's sub-accounts. It and the payments' summarized postings are
// the only ways refundable money enters a reserve account.
type FundReserve struct {
	FundingID      string `json:"funding_id"`
	ReserveAccount string `json:"reserve_account"`
	Amount         Money  `json:"amount"`
}

func (FundReserve) EventType() string { return "reserve.fund_reserve" }
func (FundReserve) EventVersion() int { return 1 }

// SubAccountKey is the partition key of sub-account index of a reserve
// account: "<account>#<index>". Index runs from 0 to the configured
// sub-account count minus one.
func SubAccountKey(reserveAccount string, index int) string {
	return reserveAccount + "#" + strconv.Itoa(index)
}

// ParseSubAccountKey splits a key made by SubAccountKey.
func ParseSubAccountKey(key string) (reserveAccount string, index int, ok bool) {
	i := strings.LastIndexByte(key, '#')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(key[i+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != key[i+1:] {
		return "", 0, false
	}
	return key[:i], n, true
}
