package events

import (
	"encoding/json"
	"time"
)

// This file is the contract with upstream channels (payment institutions):
// the requests they publish on the requests topic and the outcomes they
// read back. Both are documented for channel developers in
// schemas/requests/README.md, with JSON Schemas next to it.

// Request types a channel may publish (Request.Type).
const (
	RequestSignAgreement      = "sign_agreement"
	RequestConfirmSigning     = "confirm_signing"
	RequestTerminateAgreement = "terminate_agreement"
	RequestPay                = "pay"
	RequestRefund             = "refund"
	// RequestLegacyRefund refunds a payment made over the legacy direct
	// path (see LegacyRefundBody).
	RequestLegacyRefund = "legacy_refund"
)

// Request is what a channel publishes. Body depends on Type (see the
// *Body types); Version is the body's schema version, currently 1.
// IdempotencyKey is unique per channel: the same key with the same body is
// answered with the original outcome, with a different body it is rejected
// with duplicate_key_different_body.
type Request struct {
	Type           string          `json:"type"`
	Version        int             `json:"version"`
	ChannelID      string          `json:"channel_id"`
	OrderID        string          `json:"order_id"`
	IdempotencyKey string          `json:"idempotency_key"`
	Body           json.RawMessage `json:"body"`
}

// SignAgreementBody asks the payer bank to bind a customer's account to the
// channel. The bank checks the holder's identity and sends an SMS code;
// the outcome carries the signing ID to confirm with.
type SignAgreementBody struct {
	PayerAccount    string `json:"payer_account"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number"`
	Phone           string `json:"phone"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
}

// ConfirmSigningBody completes a signing with the SMS code the customer
// received.
type ConfirmSigningBody struct {
	SigningID string `json:"signing_id"`
	SMSCode   string `json:"sms_code"`
}

// TerminateAgreementBody ends an agreement (解约). Payments on a terminated
// agreement fail with agreement_terminated.
type TerminateAgreementBody struct {
	AgreementNo string `json:"agreement_no"`
}

// PayBody debits the customer under an agreement and credits the channel's
// reserve account.
type PayBody struct {
	AgreementNo string `json:"agreement_no"`
	Amount      Money  `json:"amount"`
}

// RefundBody refunds part or all of a finished payment: debit the
// channel's reserve account, credit the customer. TxnID is the original
// payment's transaction_id (from its outcome). Several partial refunds may
// follow one payment; together they never exceed it.
type RefundBody struct {
	TxnID  string `json:"txn_id"`
	Amount Money  `json:"amount"`
}

// LegacyRefundBody refunds part or all of a payment that took the legacy
// direct path (its outcome has path "direct"). The institution's legacy
// refund method decides how: the bank advances the money (bank_advance),
// pays it out of the institution's prefunded account (prefund), or the
// path is closed and the answer is redirected (closed). Together the
// refunds of one payment never exceed it.
type LegacyRefundBody struct {
	TxnID  string `json:"txn_id"`
	Amount Money  `json:"amount"`
}

// Outcome statuses (Outcome.Status).
const (
	StatusRejected        = "rejected"         // request refused before any money moved; see ReasonCode
	StatusSMSSent         = "sms_sent"         // signing: identity verified, SMS code sent; confirm with SigningID
	StatusSigned          = "signed"           // signing: agreement active; AgreementNo set
	StatusSigningFailed   = "signing_failed"   // signing: refused by the bank; see ReasonCode
	StatusTerminated      = "terminated"       // agreement terminated
	StatusSuccess         = "success"          // payment: both legs confirmed
	StatusFailure         = "failure"          // payment: a leg refused; anything done was reversed
	StatusPresumedSuccess = "presumed_success" // payment: payer debited, reserve leg unknown at the deadline
	StatusPresumedFailure = "presumed_failure" // payment: payer leg unknown at the deadline
	// StatusRedirected answers a legacy_refund whose institution closed the
	// legacy refund path: no money moved; pay the customer by super online
	// banking (reason refund_path_closed).
	StatusRedirected = "redirected"
	// A refund ends in success, failure, presumed_success or
	// presumed_failure too, with the legs reversed: the reserve debit plays
	// the payer leg's part (unknown: presumed_failure) and the customer's
	// credit the reserve leg's (unknown: presumed_success).
)

// Outcome answers one request, on the outcomes topic keyed by OrderID.
// OutcomeID is stable: a redelivered outcome has the same ID, so channels
// deduplicate on it. Fields that do not apply to a request type are empty.
// Path and RouteVersion are set by the legacy direct path only: "direct"
// and the cutover rules version that routed the payment there, on the
// payment's outcome and on its legacy refunds' outcomes.
type Outcome struct {
	OutcomeID      string    `json:"outcome_id"`
	RequestType    string    `json:"request_type"`
	ChannelID      string    `json:"channel_id"`
	OrderID        string    `json:"order_id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Status         string    `json:"status"`
	ReasonCode     string    `json:"reason_code,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	TransactionID  string    `json:"transaction_id,omitempty"`
	RefundID       string    `json:"refund_id,omitempty"`
	SigningID      string    `json:"signing_id,omitempty"`
	AgreementNo    string    `json:"agreement_no,omitempty"`
	Amount         *Money    `json:"amount,omitempty"`
	Path           string    `json:"path,omitempty"`
	RouteVersion   int       `json:"route_version,omitempty"`
	DecidedAt      time.Time `json:"decided_at"`
}

// Rejected is kept on the rejects topic for every request paycore refused,
// verbatim, so an operator can see and replay it. Raw is the message value
// exactly as received (base64 in JSON, since it may not be valid UTF-8).
type Rejected struct {
	ReasonCode string    `json:"reason_code"`
	Reason     string    `json:"reason"`
	Topic      string    `json:"topic"`
	Partition  int       `json:"partition"`
	Offset     int64     `json:"offset"`
	Key        string    `json:"key"`
	ChannelID  string    `json:"channel_id,omitempty"`
	OrderID    string    `json:"order_id,omitempty"`
	Raw        []byte    `json:"raw"`
	RejectedAt time.Time `json:"rejected_at"`
}
