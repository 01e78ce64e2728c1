package events

import (
	"strconv"
	"strings"
)

// Stable reason codes carried by *Error. They are part of the public
// contract (dashboards, dead-letter queues and API clients key on them), so
// existing values must never change meaning or spelling.
const (
	CodeAmountMalformed     = "amount_malformed"      // not a plain decimal string
	CodeAmountNegative      = "amount_negative"       // below zero where only positive amounts are allowed
	CodeAmountNotPositive   = "amount_not_positive"   // zero where only positive amounts are allowed
	CodeAmountScaleExceeded = "amount_scale_exceeded" // more than two decimal places
	CodeAmountTooLarge      = "amount_too_large"      // magnitude beyond MaxAmount
	CodeCurrencyUnsupported = "currency_unsupported"  // anything but CNY, including a missing currency
	CodeCurrencyMismatch    = "currency_mismatch"     // arithmetic across different currencies

	CodeEnvelopeMalformed    = "envelope_malformed"     // not a strict JSON object of the envelope shape
	CodeEnvelopeFieldMissing = "envelope_field_missing" // a required envelope field is absent or zero
	CodeEnvelopeFieldInvalid = "envelope_field_invalid" // an envelope field is present but ill-formed

	CodeEventTypeUnknown       = "event_type_unknown"       // (type, version) not in the registry
	CodeEventVersionSuperseded = "event_version_superseded" // an old version, readable but never written
	CodePayloadInvalid         = "payload_invalid"          // payload does not match its registered Go type
)

// Sentinels for errors.Is. A returned *Error matches the sentinel with the
// same code regardless of its field, detail or cause.
var (
	ErrAmountMalformed     = &Error{code: CodeAmountMalformed}
	ErrAmountNegative      = &Error{code: CodeAmountNegative}
	ErrAmountNotPositive   = &Error{code: CodeAmountNotPositive}
	ErrAmountScaleExceeded = &Error{code: CodeAmountScaleExceeded}
	ErrAmountTooLarge      = &Error{code: CodeAmountTooLarge}
	ErrCurrencyUnsupported = &Error{code: CodeCurrencyUnsupported}
	ErrCurrencyMismatch    = &Error{code: CodeCurrencyMismatch}

	ErrEnvelopeMalformed    = &Error{code: CodeEnvelopeMalformed}
	ErrEnvelopeFieldMissing = &Error{code: CodeEnvelopeFieldMissing}
	ErrEnvelopeFieldInvalid = &Error{code: CodeEnvelopeFieldInvalid}

	ErrUnknownEventType  = &Error{code: CodeEventTypeUnknown}
	ErrVersionSuperseded = &Error{code: CodeEventVersionSuperseded}
	ErrPayloadInvalid    = &Error{code: CodePayloadInvalid}
)

// Error is the validation error returned throughout this package. Code is
// stable and meant for machines; Error() is meant for humans and may change.
// Fields are unexported so that the shared sentinels cannot be mutated.
type Error struct {
	code   string
	field  string // wire name of the offending field, if any
	detail string // human-readable context; not part of the contract
	cause  error  // underlying error, exposed through Unwrap
}

func newError(code, field, detail string, cause error) *Error {
	return &Error{code: code, field: field, detail: detail, cause: cause}
}

// Code returns the stable reason code, one of the Code* constants.
func (e *Error) Code() string { return e.code }

// Field returns the wire name of the field at fault, or "" when the error
// is not about a single field.
func (e *Error) Field() string { return e.field }

// Detail returns the human-readable context of the error, such as
// "unknown member", without code, field or cause. It is for messages to
// people; like Error(), it is not part of the contract.
func (e *Error) Detail() string { return e.detail }

// Error renders "events: <code> (<field>): <detail>: <cause>", omitting
// empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("events: ")
	b.WriteString(e.code)
	if e.field != "" {
		b.WriteString(" (" + e.field + ")")
	}
	if e.detail != "" {
		b.WriteString(": " + e.detail)
	}
	if e.cause != nil {
		b.WriteString(": " + e.cause.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, so that for example a payload error
// caused by a malformed amount matches both ErrPayloadInvalid and
// ErrAmountMalformed.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code. Matching on the
// code alone lets callers compare against the bare sentinels while returned
// errors still carry field and detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code
}

// quote renders untrusted input for error details, truncated so that a
// hostile multi-megabyte value cannot balloon logs.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
