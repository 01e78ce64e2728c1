package intake

import (
	"errors"

	"github.com/paycore/paycore/events"
)

// rejection is the intake's answer to a record it refuses.
type rejection struct {
	code   string // a key of events.Reasons
	field  string // wire path of the field at fault ("body.amount"), or ""
	detail string // what is wrong, for people; echoes at most a short quote of the input
}

func reject(code, field, detail string) *rejection {
	return &rejection{code: code, field: field, detail: detail}
}

func schemaViolation(field, detail string) *rejection {
	return reject(events.ReasonSchemaViolation, field, detail)
}

// reason is the human-readable reason of the outcome, naming the field.
func (r *rejection) reason() string {
	if r.field == "" {
		return r.detail
	}
	return r.field + ": " + r.detail
}

// ReasonCodes lists every reason code the intake rejects with: the
// envelope's codes first, then the bodies' and the money codes. Each is a
// key of events.Reasons; the channel guide lists them as intake
// rejections.
func ReasonCodes() []string {
	return []string{
		events.ReasonPayloadTooLarge,
		events.ReasonMalformedJSON,
		events.ReasonSchemaViolation,
		events.ReasonUnknownRequestType,
		events.ReasonUnsupportedVersion,
		events.ReasonLimitsInvalid,
		events.ReasonAgreementNotFound,
		events.ReasonSigningNotFound,
		events.ReasonPaymentNotFound,
		events.ReasonNotDirectPayment,
		events.ReasonLegacyPathUnavailable,
		events.CodeAmountMalformed,
		events.CodeAmountNegative,
		events.CodeAmountNotPositive,
		events.CodeAmountScaleExceeded,
		events.CodeAmountTooLarge,
		events.CodeCurrencyUnsupported,
	}
}

// moneyCodes are the events.Error codes a Money member can fail with; they
// are reason codes of their own, more useful to a channel than
// schema_violation.
var moneyCodes = map[string]bool{
	events.CodeAmountMalformed:     true,
	events.CodeAmountNegative:      true,
	events.CodeAmountNotPositive:   true,
	events.CodeAmountScaleExceeded: true,
	events.CodeAmountTooLarge:      true,
	events.CodeCurrencyUnsupported: true,
}

// decodeRejection turns an events.DecodeStrict error about the object at
// path prefix ("" for the request, "body" for its body) into a rejection.
func decodeRejection(prefix string, err error) *rejection {
	var outer *events.Error
	if !errors.As(err, &outer) {
		return schemaViolation(prefix, "invalid value") // DecodeStrict only returns *events.Error
	}
	path := joinPath(prefix, outer.Field())
	// A money problem is wrapped in the member's payload_invalid error;
	// walk the chain by hand, since errors.As would stop at outer itself.
	for cur := errors.Unwrap(outer); cur != nil; cur = errors.Unwrap(cur) {
		inner, ok := cur.(*events.Error)
		if !ok || !moneyCodes[inner.Code()] {
			continue
		}
		detail := inner.Detail()
		if detail == "" {
			detail = events.Reasons[inner.Code()]
		}
		return reject(inner.Code(), joinPath(path, inner.Field()), detail)
	}
	detail := outer.Detail()
	if detail == "" {
		detail = "invalid value"
	}
	return schemaViolation(path, detail)
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}
