package events

// Reason codes answer rejected requests and failed transactions. They are
// part of the channel contract: stable, never renamed or reused. Reasons
// lists them with their meaning; the channel documentation is generated
// from it.
const (
	// Input the intake could not accept.
	ReasonMalformedJSON        = "malformed_json"
	ReasonSchemaViolation      = "schema_violation"
	ReasonUnknownRequestType   = "unknown_request_type"
	ReasonUnsupportedVersion   = "unsupported_version"
	ReasonPayloadTooLarge      = "payload_too_large"
	ReasonLimitsInvalid        = "limits_invalid"
	ReasonDuplicateKeyNewBody  = "duplicate_key_different_body"
	ReasonAccountNotFound      = "account_not_found"
	ReasonIdentityMismatch     = "identity_mismatch"
	ReasonAgreementExists      = "agreement_exists"
	ReasonSigningNotFound      = "signing_not_found"
	ReasonSigningNotPending    = "signing_not_pending"
	ReasonSMSCodeInvalid       = "sms_code_invalid"
	ReasonSMSCodeExpired       = "sms_code_expired"
	ReasonSMSAttemptsExceeded  = "sms_attempts_exceeded"
	ReasonAgreementNotFound    = "agreement_not_found"
	ReasonAgreementTerminated  = "agreement_terminated"
	ReasonAgreementOtherChan   = "agreement_other_channel"
	ReasonOverPerPaymentLimit  = "over_per_payment_limit"
	ReasonOverDailyLimit       = "over_daily_limit"
	ReasonInsufficientFunds    = "insufficient_funds"
	ReasonReserveAccountClosed = "reserve_account_closed"
	ReasonNotReceivedByBank    = "not_received_by_bank"
	ReasonPayerLegUnknown      = "payer_leg_unknown"
	ReasonReserveLegUnknown    = "reserve_leg_unknown"

	// Refunds.
	ReasonRefundExceedsOriginal = "refund_exceeds_original"
	ReasonPaymentNotFound       = "payment_not_found"
	ReasonPaymentNotRefundable  = "payment_not_refundable"
	ReasonRefundOtherChannel    = "refund_other_channel"
	ReasonReserveInsufficient   = "insufficient_reserve_funds"
	ReasonReserveDebitUnknown   = "reserve_debit_unknown"
	ReasonPayerCreditUnknown    = "payer_credit_unknown"

	// Legacy direct path (cutover) and its refunds.
	ReasonNotDirectPayment      = "not_direct_payment"
	ReasonRefundPathClosed      = "refund_path_closed"
	ReasonPrefundInsufficient   = "prefund_insufficient"
	ReasonRepaymentExceedsDebt  = "repayment_exceeds_debt"
	ReasonLegacyPathUnavailable = "legacy_path_unavailable"
)

// Reasons maps every reason code to its meaning for channel developers.
// The money codes of Error (amount_malformed, ...) are reason codes too and
// are listed here so the documentation is complete.
var Reasons = map[string]string{
	ReasonMalformedJSON:         "the message is not a JSON object, or not valid UTF-8",
	ReasonSchemaViolation:       "a field is missing, unknown, null or of the wrong type; the reason names it",
	ReasonUnknownRequestType:    "type is not one of sign_agreement, confirm_signing, terminate_agreement, pay, refund",
	ReasonUnsupportedVersion:    "version is not supported for this request type",
	ReasonPayloadTooLarge:       "the message exceeds the size limit (64 KiB) or nesting limit",
	ReasonLimitsInvalid:         "per_payment_limit must be positive and not above daily_limit",
	ReasonDuplicateKeyNewBody:   "the idempotency key was used before with a different body",
	ReasonAccountNotFound:       "the payer bank has no such account",
	ReasonIdentityMismatch:      "holder name, ID number or phone do not match the bank's records",
	ReasonAgreementExists:       "an active agreement already binds this account to the channel",
	ReasonSigningNotFound:       "no signing with this signing_id",
	ReasonSigningNotPending:     "the signing is already completed or failed",
	ReasonSMSCodeInvalid:        "wrong SMS code; the customer may retry until the attempt limit",
	ReasonSMSCodeExpired:        "the SMS code expired; start a new signing",
	ReasonSMSAttemptsExceeded:   "too many wrong SMS codes; start a new signing",
	ReasonAgreementNotFound:     "no agreement with this number",
	ReasonAgreementTerminated:   "the agreement was terminated (解约) by the customer or the channel",
	ReasonAgreementOtherChan:    "the agreement belongs to another channel",
	ReasonOverPerPaymentLimit:   "amount above the agreement's per-payment limit",
	ReasonOverDailyLimit:        "the agreement's daily limit (Beijing time day) would be exceeded",
	ReasonInsufficientFunds:     "the customer's balance is lower than the amount",
	ReasonReserveAccountClosed:  "the channel's reserve account does not accept credits",
	ReasonNotReceivedByBank:     "the payer bank never received the debit (found by status query); nothing moved",
	ReasonPayerLegUnknown:       "presumed failure: the payer bank's answer stayed unknown until the deadline",
	ReasonReserveLegUnknown:     "presumed success: the reserve bank's answer stayed unknown until the deadline",
	ReasonRefundExceedsOriginal: "the refund, with the refunds already made or running, would exceed the original payment",
	ReasonPaymentNotFound:       "no payment with this txn_id (refunds name the original payment's txn_id)",
	ReasonPaymentNotRefundable:  "only successful or presumed-success payments can be refunded, once they finished",
	ReasonRefundOtherChannel:    "the payment belongs to another channel",
	ReasonReserveInsufficient:   "the channel's reserve account (all its sub-accounts together) holds less than the refund",
	ReasonReserveDebitUnknown:   "presumed failure: the reserve bank's answer to the refund debit stayed unknown until the deadline",
	ReasonPayerCreditUnknown:    "presumed success: the payer bank's answer to the refund credit stayed unknown until the deadline",
	ReasonNotDirectPayment:      "no payment with this txn_id took the legacy direct path (refund NetsUnion payments with refund)",
	ReasonRefundPathClosed:      "the institution's legacy refund path is closed: no money moved; pay the customer by super online banking (超级网银)",
	ReasonPrefundInsufficient:   "the institution's prefunded balance for legacy refunds is lower than the refund",
	ReasonRepaymentExceedsDebt:  "the repayment is above the institution's outstanding advanced refunds",
	ReasonLegacyPathUnavailable: "this paycore runs without the legacy direct path (cutover not enabled)",
	CodeAmountMalformed:         "amount is not a decimal string such as \"12.34\"",
	CodeAmountNegative:          "amount is negative",
	CodeAmountNotPositive:       "amount must be greater than zero",
	CodeAmountScaleExceeded:     "amount has more than 2 decimals",
	CodeAmountTooLarge:          "amount above 999999999999999.99",
	CodeCurrencyUnsupported:     "currency is not CNY",
}
