package events

import "time"

// Commands and events of the payer-bank processor (topics payer.inbox and
// payer.events, keyed by the payer key: a keyed hash of the customer's
// account). One partition owns an account, the agreements on it and the
// payer legs that debit it, so a customer's debits, limits and reversals
// are serialized without locks.

// OpenAccount is a bank-side command: the customer account exists at the
// payer bank with an opening balance. It is the only way money enters the
// model, so the audit can prove conservation.
type OpenAccount struct {
	PayerKey       string `json:"payer_key"`
	Account        string `json:"account"`
	HolderName     string `json:"holder_name"`
	IDNumber       string `json:"id_number"`
	Phone          string `json:"phone"`
	OpeningBalance Money  `json:"opening_balance"`
}

func (OpenAccount) EventType() string { return "payer.open_account" }
func (OpenAccount) EventVersion() int { return 1 }

// VerifySigning asks the payer bank to check the holder's identity for a
// signing and send the SMS code.
type VerifySigning struct {
	SigningID       string `json:"signing_id"`
	ChannelID       string `json:"channel_id"`
	PayerKey        string `json:"payer_key"`
	PayerAccount    string `json:"payer_account"`
	HolderName      string `json:"holder_name"`
	IDNumber        string `json:"id_number"`
	Phone           string `json:"phone"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
}

func (VerifySigning) EventType() string { return "payer.verify_signing" }
func (VerifySigning) EventVersion() int { return 1 }

// ConfirmAgreement submits the customer's SMS code for a verified signing.
type ConfirmAgreement struct {
	SigningID string `json:"signing_id"`
	PayerKey  string `json:"payer_key"`
	SMSCode   string `json:"sms_code"`
	// Attempt identifies the submission, so a redelivered submission is
	// not counted twice against the attempt limit.
	Attempt string `json:"attempt"`
}

func (ConfirmAgreement) EventType() string { return "payer.confirm_agreement" }
func (ConfirmAgreement) EventVersion() int { return 1 }

// TerminateAgreement ends an agreement at the payer bank (解约).
type TerminateAgreement struct {
	RequestID      string `json:"request_id"`
	AgreementNo    string `json:"agreement_no"`
	PayerKey       string `json:"payer_key"`
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
}

func (TerminateAgreement) EventType() string { return "payer.terminate_agreement" }
func (TerminateAgreement) EventVersion() int { return 1 }

// DebitPayer asks the payer bank to debit the customer under an agreement.
type DebitPayer struct {
	TxnID       string `json:"txn_id"`
	AgreementNo string `json:"agreement_no"`
	PayerKey    string `json:"payer_key"`
	ChannelID   string `json:"channel_id"`
	Amount      Money  `json:"amount"`
}

func (DebitPayer) EventType() string { return "payer.debit_payer" }
func (DebitPayer) EventVersion() int { return 1 }

// QueryDebit asks the payer bank what happened to a debit (交易查询).
type QueryDebit struct {
	TxnID    string `json:"txn_id"`
	PayerKey string `json:"payer_key"`
	Attempt  int    `json:"attempt"`
}

func (QueryDebit) EventType() string { return "payer.query_debit" }
func (QueryDebit) EventVersion() int { return 1 }

// ReverseDebit asks the payer bank to return a debit to the customer (the
// compensation when the reserve leg refused).
type ReverseDebit struct {
	TxnID    string `json:"txn_id"`
	PayerKey string `json:"payer_key"`
	Attempt  int    `json:"attempt"`
}

func (ReverseDebit) EventType() string { return "payer.reverse_debit" }
func (ReverseDebit) EventVersion() int { return 1 }

// AccountOpened records a customer account at the payer bank (version 2;
// version 1 is AccountOpenedV1, read through an upcaster).
//
// Version 2 records the holder's identity as one structured member with
// the kind of identity document made explicit. NetsUnion identifies an
// agreement's holder by document type and number together (证件类型 +
// 证件号码); version 1 kept only the number, which meant a resident
// identity card without saying so. Grouping name, document and phone also
// makes the identity a signing must match one value.
type AccountOpened struct {
	PayerKey       string        `json:"payer_key"`
	Account        string        `json:"account"`
	Holder         AccountHolder `json:"holder"`
	OpeningBalance Money         `json:"opening_balance"`
}

func (AccountOpened) EventType() string { return "payer.account_opened" }
func (AccountOpened) EventVersion() int { return 2 }

// Validate requires the identity document's type: an identity without it
// cannot be matched against a signing.
func (e AccountOpened) Validate() error {
	if e.Holder.IDType == "" {
		return newError(CodePayloadInvalid, "holder.id_type", "required", nil)
	}
	return nil
}

// AccountHolder is the identity the payer bank holds for an account, the
// one a signing must match.
type AccountHolder struct {
	Name string `json:"name"`
	// IDType is the kind of identity document IDNumber belongs to, such as
	// IDTypeResidentID.
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
}

// IDTypeResidentID is the PRC resident identity card (居民身份证, NetsUnion
// document type 01): the document of every account opened before
// AccountOpened version 2, and of every account OpenAccount opens.
const IDTypeResidentID = "resident_id"

// SigningVerified records that the bank matched the holder's identity and
// sent an SMS code valid until CodeExpiresAt. It is also the reply to the
// signing saga.
type SigningVerified struct {
	SigningID       string    `json:"signing_id"`
	ChannelID       string    `json:"channel_id"`
	PayerKey        string    `json:"payer_key"`
	PerPaymentLimit Money     `json:"per_payment_limit"`
	DailyLimit      Money     `json:"daily_limit"`
	CodeExpiresAt   time.Time `json:"code_expires_at"`
}

func (SigningVerified) EventType() string { return "payer.signing_verified" }
func (SigningVerified) EventVersion() int { return 1 }

// SigningRefused records that the bank refused a signing (no account,
// identity mismatch, agreement exists, code expired or attempts exceeded).
// It is final for the signing and is also the reply to the saga.
type SigningRefused struct {
	SigningID  string `json:"signing_id"`
	ReasonCode string `json:"reason_code"`
}

func (SigningRefused) EventType() string { return "payer.signing_refused" }
func (SigningRefused) EventVersion() int { return 1 }

// SMSCodeRejected records a wrong SMS code; the customer may try again
// until the attempt limit.
type SMSCodeRejected struct {
	SigningID   string `json:"signing_id"`
	Attempt     string `json:"attempt"`
	FailedCount int    `json:"failed_count"`
}

func (SMSCodeRejected) EventType() string { return "payer.sms_code_rejected" }
func (SMSCodeRejected) EventVersion() int { return 1 }

// AgreementSigned records an active agreement and its number.
type AgreementSigned struct {
	SigningID       string `json:"signing_id"`
	AgreementNo     string `json:"agreement_no"`
	ChannelID       string `json:"channel_id"`
	PayerKey        string `json:"payer_key"`
	PerPaymentLimit Money  `json:"per_payment_limit"`
	DailyLimit      Money  `json:"daily_limit"`
}

func (AgreementSigned) EventType() string { return "payer.agreement_signed" }
func (AgreementSigned) EventVersion() int { return 1 }

// AgreementTerminated records the end of an agreement.
type AgreementTerminated struct {
	AgreementNo string `json:"agreement_no"`
	RequestID   string `json:"request_id"`
	BodyHash    string `json:"body_hash"`
}

func (AgreementTerminated) EventType() string { return "payer.agreement_terminated" }
func (AgreementTerminated) EventVersion() int { return 1 }

// PayerDebited records a debit of the customer's account. Day is the
// Beijing-time date (YYYY-MM-DD) the debit counts against the daily limit.
type PayerDebited struct {
	TxnID        string `json:"txn_id"`
	AgreementNo  string `json:"agreement_no"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
	Day          string `json:"day"`
}

func (PayerDebited) EventType() string { return "payer.payer_debited" }
func (PayerDebited) EventVersion() int { return 1 }

// PayerDebitRefused records a debit the bank refused, with the reason.
// A status query about a debit the bank never received records one with
// not_received_by_bank, so a late-arriving debit cannot execute after the
// switch concluded it failed.
type PayerDebitRefused struct {
	TxnID      string `json:"txn_id"`
	ReasonCode string `json:"reason_code"`
}

func (PayerDebitRefused) EventType() string { return "payer.payer_debit_refused" }
func (PayerDebitRefused) EventVersion() int { return 1 }

// PayerDebitReversed records the return of a debit to the customer.
type PayerDebitReversed struct {
	TxnID        string `json:"txn_id"`
	Amount       Money  `json:"amount"`
	BalanceAfter Money  `json:"balance_after"`
}

func (PayerDebitReversed) EventType() string { return "payer.payer_debit_reversed" }
func (PayerDebitReversed) EventVersion() int { return 1 }

// Leg statuses reported by status queries.
const (
	LegDone     = "done"     // debited / credited
	LegRefused  = "refused"  // refused, or never received and now closed
	LegReversed = "reversed" // debited, then reversed
	LegUnknown  = "unknown"  // the bank could not say (injected fault)
)

// DebitStatusReported answers a QueryDebit. It is a reply, not a state
// change of the bank, so it appears on saga.inbox only.
type DebitStatusReported struct {
	TxnID      string `json:"txn_id"`
	Attempt    int    `json:"attempt"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code,omitempty"`
}

func (DebitStatusReported) EventType() string { return "payer.debit_status_reported" }
func (DebitStatusReported) EventVersion() int { return 1 }

// TerminationRefused records a terminate request the bank refused, so a
// repeat of the same request gets the same answer.
type TerminationRefused struct {
	AgreementNo string `json:"agreement_no"`
	RequestID   string `json:"request_id"`
	BodyHash    string `json:"body_hash"`
	ReasonCode  string `json:"reason_code"`
}

func (TerminationRefused) EventType() string { return "payer.termination_refused" }
func (TerminationRefused) EventVersion() int { return 1 }
