package intake

import (
	"regexp"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

// Field grammars of channel requests. They are exported so that the JSON
// Schemas in schemas/requests publish exactly what the intake enforces; a
// pattern is written so that Go's regexp and ECMA-262 (the JSON Schema
// dialect) read it the same way.
const (
	// ChannelIDPattern: a channel's ID, also part of every ID the intake
	// derives.
	ChannelIDPattern = `^[A-Za-z0-9_-]{1,32}$`
	// OrderIDPattern: printable ASCII without spaces. It keys the channel's
	// outcomes, so it must survive every Kafka tool unchanged.
	OrderIDPattern = `^[!-~]{1,64}$`
	// IdempotencyKeyPattern: printable ASCII without spaces.
	IdempotencyKeyPattern = `^[!-~]{1,128}$`
	// PayerAccountPattern: a bank account (card) number.
	PayerAccountPattern = `^[0-9]{12,32}$`
	// HolderNamePattern: 1 to 64 characters, none of them a control
	// character (which would corrupt logs and bank files).
	HolderNamePattern = `^[^\x00-\x1f\x7f-\x9f]{1,64}$`
	// IDNumberPattern: a PRC resident identity card number, 15 digits (first
	// generation) or 17 digits and a check character.
	IDNumberPattern = `^([0-9]{15}|[0-9]{17}[0-9X])$`
	// PhonePattern: a mainland mobile number.
	PhonePattern = `^[0-9]{11}$`
	// SMSCodePattern: the code the customer received.
	SMSCodePattern = `^[0-9]{4,8}$`
	// SigningIDPattern: the signing_id of an sms_sent outcome, a lowercase
	// UUID.
	SigningIDPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
	// AgreementNoPattern: an agreement number as payerkey.AgreementNo
	// issues it ("NU", then base32). The intake checks agreement numbers
	// with payerkey.FromAgreementNo itself; a test keeps the two in step.
	AgreementNoPattern = `^NU[A-Z2-7]{28}$`
)

var (
	channelIDRE      = regexp.MustCompile(ChannelIDPattern)
	orderIDRE        = regexp.MustCompile(OrderIDPattern)
	idempotencyKeyRE = regexp.MustCompile(IdempotencyKeyPattern)
	payerAccountRE   = regexp.MustCompile(PayerAccountPattern)
	holderNameRE     = regexp.MustCompile(HolderNamePattern)
	idNumberRE       = regexp.MustCompile(IDNumberPattern)
	phoneRE          = regexp.MustCompile(PhonePattern)
	smsCodeRE        = regexp.MustCompile(SMSCodePattern)
	signingIDRE      = regexp.MustCompile(SigningIDPattern)
)

// grammar pairs a field's wire path with its pattern, for envelope and body
// checks that share one shape of rejection.
type grammar struct {
	path string
	re   *regexp.Regexp
	// human says what the pattern means, for the rejection reason.
	human string
}

var (
	channelIDRule      = grammar{"channel_id", channelIDRE, "must be 1-32 characters A-Z, a-z, 0-9, _ or -"}
	orderIDRule        = grammar{"order_id", orderIDRE, "must be 1-64 printable ASCII characters without spaces"}
	idempotencyKeyRule = grammar{"idempotency_key", idempotencyKeyRE, "must be 1-128 printable ASCII characters without spaces"}
	payerAccountRule   = grammar{"body.payer_account", payerAccountRE, "must be 12-32 digits"}
	holderNameRule     = grammar{"body.holder_name", holderNameRE, "must be 1-64 characters without control characters"}
	idNumberRule       = grammar{"body.id_number", idNumberRE, "must be 15 digits, or 17 digits and a digit or X"}
	phoneRule          = grammar{"body.phone", phoneRE, "must be 11 digits"}
	smsCodeRule        = grammar{"body.sms_code", smsCodeRE, "must be 4-8 digits"}
)

// check returns a schema_violation for value unless it matches.
func (g grammar) check(value string) *rejection {
	if g.re.MatchString(value) {
		return nil
	}
	return schemaViolation(g.path, g.human)
}

// validSigningID reports whether id can name a signing at all.
func validSigningID(id string) bool { return signingIDRE.MatchString(id) }

// positiveAmount rejects a money amount that is not above zero, with the
// code channels act on (negative and zero are told apart).
func positiveAmount(m events.Money) *rejection {
	switch {
	case m.IsNegative():
		return reject(events.CodeAmountNegative, "body.amount", "must be greater than zero")
	case m.IsZero():
		return reject(events.CodeAmountNotPositive, "body.amount", "must be greater than zero")
	}
	return nil
}

// payerKeyOf returns the payer key embedded in an agreement number, or a
// rejection: a string that is not an agreement number names no agreement.
func payerKeyOf(agreementNo string) (string, *rejection) {
	key, err := payerkey.FromAgreementNo(agreementNo)
	if err != nil {
		return "", reject(events.ReasonAgreementNotFound, "body.agreement_no", "is not an agreement number issued by paycore")
	}
	return key, nil
}
