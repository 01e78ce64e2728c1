// Package reqschema generates the channel contract in schemas/requests:
// one JSON Schema (draft 2020-12) per request type, the envelope with its
// typed body, and README.md, the guide for channel developers.
//
// Both are generated from the Go types of package events and the rules of
// package intake, so what the documents promise is what the intake
// enforces; a test fails when the checked-in files drift. It is a separate
// package so that the schema library stays out of the intake's binary.
package reqschema

//go:generate go run ./internal/genreqschemas -out ../../../schemas/requests

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/invopop/jsonschema"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/schemagen"
	"github.com/paycore/paycore/services/intake"
)

// RegenerateCommand rewrites the checked-in files.
const RegenerateCommand = "go generate ./services/intake/..."

// ReadmeFile is the name of the channel developer guide.
const ReadmeFile = "README.md"

// Version is the request version the schemas describe.
const Version = 1

// baseID prefixes every schema $id; it is where the files live.
const baseID = "https://github.com/paycore/paycore/schemas/requests/"

// PositiveAmountPattern is events.AmountPattern without the sign and without
// zero: the amounts of requests (a payment, an agreement's limits) must be
// greater than zero. Like the codec, it does not bound the magnitude
// (events.MaxAmount); the description says so.
const PositiveAmountPattern = `^([0-9]*[1-9][0-9]*(\.[0-9]{1,2})?|[0-9]+\.([0-9]?[1-9]|[1-9][0-9]?))$`

// FileName returns the schema file of a request type, "<type>.v1.json".
func FileName(requestType string) string {
	return requestType + ".v" + strconv.Itoa(Version) + ".json"
}

// Files renders every schema and the README, keyed by file name. Output is
// deterministic, so it can be diffed.
func Files() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, rt := range requestTypes() {
		out, err := schemagen.Render(requestSchema(rt))
		if err != nil {
			return nil, fmt.Errorf("reqschema: %s: %w", rt.name, err)
		}
		files[FileName(rt.name)] = out
	}
	readme, err := renderReadme()
	if err != nil {
		return nil, fmt.Errorf("reqschema: %s: %w", ReadmeFile, err)
	}
	files[ReadmeFile] = readme
	return files, nil
}

// Write makes dir hold exactly Files(): it writes every file and deletes
// *.json files no request type generates any more. Other files stay.
func Write(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	return schemagen.WriteFiles(dir, files)
}

// requestType describes one request type for the generators.
type requestType struct {
	name     string
	summary  string
	body     reflect.Type
	fields   map[string]field // constraints of body members, by wire name
	example  any              // a valid body
	outcomes string           // what answers it, for the README
}

// field is what a schema says about one member beyond its JSON type.
type field struct {
	pattern     string
	description string
}

func requestTypes() []requestType {
	amount := field{pattern: PositiveAmountPattern, description: "the amount to debit the customer and credit your reserve account; greater than zero"}
	agreementNo := field{pattern: intake.AgreementNoPattern, description: "the agreement number of a signed outcome"}
	ex := newExamples()
	byName := map[string]requestType{
		events.RequestSignAgreement: {
			summary: "Bind a customer's bank account to the channel (协议签约). The payer bank checks the holder's " +
				"identity and sends an SMS code to the phone; the outcome carries the signing_id to confirm with.",
			body: reflect.TypeFor[events.SignAgreementBody](),
			fields: map[string]field{
				"payer_account":     {intake.PayerAccountPattern, "the customer's account (card) number, 12-32 digits"},
				"holder_name":       {intake.HolderNamePattern, "the account holder's name, 1-64 characters, no control characters"},
				"id_number":         {intake.IDNumberPattern, "the holder's PRC resident ID number, 15 or 18 characters"},
				"phone":             {intake.PhonePattern, "the mobile number the bank sends the SMS code to, 11 digits"},
				"per_payment_limit": {PositiveAmountPattern, "the most one payment may take; greater than zero and not above daily_limit"},
				"daily_limit":       {PositiveAmountPattern, "the most all payments of one Beijing-time day (UTC+8) may take; greater than zero"},
			},
			example:  ex.sign,
			outcomes: "`sms_sent` with `signing_id` (confirm with it), or `signing_failed` with a reason code, or `rejected`.",
		},
		events.RequestConfirmSigning: {
			summary: "Complete a signing with the SMS code the customer received.",
			body:    reflect.TypeFor[events.ConfirmSigningBody](),
			fields: map[string]field{
				"signing_id": {intake.SigningIDPattern, "the signing_id of the sms_sent outcome"},
				"sms_code":   {intake.SMSCodePattern, "the code the customer received, 4-8 digits"},
			},
			example:  ex.confirm,
			outcomes: "`signed` with `agreement_no`, or `signing_failed` with a reason code (`sms_code_invalid`, `sms_code_expired`, `sms_attempts_exceeded`, ...), or `rejected`.",
		},
		events.RequestPay: {
			summary: "Debit the customer under an agreement (协议支付) and credit the channel's reserve account.",
			body:    reflect.TypeFor[events.PayBody](),
			fields: map[string]field{
				"agreement_no": agreementNo,
				"amount":       amount,
			},
			example:  ex.pay,
			outcomes: "`success`, `failure`, `presumed_success` or `presumed_failure` with `transaction_id`, or `rejected`.",
		},
		events.RequestRefund: {
			summary: "Refund part or all of a successful or presumed-successful payment (退款): debit your reserve " +
				"account, credit the customer. Several partial refunds may follow one payment; together they never exceed it.",
			body: reflect.TypeFor[events.RefundBody](),
			fields: map[string]field{
				"txn_id": {intake.TxnIDPattern, "the transaction_id of the original payment's outcome"},
				"amount": {PositiveAmountPattern, "the amount to refund; greater than zero, at most what is left of the payment"},
			},
			example: ex.refund,
			outcomes: "`success`, `failure` (e.g. `insufficient_reserve_funds`), `presumed_success` or `presumed_failure` with " +
				"`transaction_id` and `refund_id`, or `rejected` (`payment_not_found`, `payment_not_refundable`, " +
				"`refund_exceeds_original`, `refund_other_channel`, ...).",
		},
		events.RequestLegacyRefund: {
			summary: "Refund part or all of a successful payment that took the legacy direct path (its outcome has " +
				"`path` `direct`), during cutover (切量). Your legacy refund method, agreed with the bank and set in the " +
				"cutover rules, decides how: `bank_advance` (the bank credits the customer now, you repay it later), " +
				"`prefund` (paid out of the funds you wired to the designated account first) or `closed` (answered " +
				"`redirected`: pay the customer yourself by super online banking, 超级网银). Together the legacy " +
				"refunds of one payment never exceed it.",
			body: reflect.TypeFor[events.LegacyRefundBody](),
			fields: map[string]field{
				"txn_id": {intake.TxnIDPattern, "the transaction_id of the direct payment's outcome"},
				"amount": {PositiveAmountPattern, "the amount to refund; greater than zero, at most what is left of the payment"},
			},
			example: ex.legacyRefund,
			outcomes: "`success`, `failure` (e.g. `prefund_insufficient`) or `presumed_success` with `transaction_id`, " +
				"`refund_id` and `path` `direct`; `redirected` (`refund_path_closed`); or `rejected` (`not_direct_payment`, " +
				"`payment_not_refundable`, `refund_exceeds_original`, `refund_other_channel`, `legacy_path_unavailable`, ...).",
		},
		events.RequestTerminateAgreement: {
			summary: "End an agreement (解约). Later payments under it fail with agreement_terminated.",
			body:    reflect.TypeFor[events.TerminateAgreementBody](),
			fields: map[string]field{
				"agreement_no": agreementNo,
			},
			example:  ex.terminate,
			outcomes: "`terminated`, or a refusal with a reason code, or `rejected`.",
		},
	}
	var out []requestType
	for _, name := range intake.RequestTypes() {
		rt, ok := byName[name]
		if !ok {
			panic("reqschema: no description of request type " + name)
		}
		rt.name = name
		out = append(out, rt)
	}
	return out
}

// envelopeFields constrains the members every request shares.
var envelopeFields = map[string]field{
	"channel_id":      {intake.ChannelIDPattern, "your channel ID, as agreed with the operator"},
	"order_id":        {intake.OrderIDPattern, "your order ID; outcomes are keyed by it. 1-64 printable ASCII characters, no spaces"},
	"idempotency_key": {intake.IdempotencyKeyPattern, "unique per channel: a repeat with the same body gets the original outcome, with another body duplicate_key_different_body. 1-128 printable ASCII characters, no spaces"},
}

// requestSchema is the schema of one request type: events.Request with
// type and version fixed and the body replaced by the type's body schema.
func requestSchema(rt requestType) *jsonschema.Schema {
	s := schemagen.Reflect(reflect.TypeFor[events.Request]())
	s.ID = jsonschema.ID(baseID + FileName(rt.name))
	s.Title = rt.name + " request v" + strconv.Itoa(Version)
	s.Description = rt.summary + " Publish it on the requests topic; see README.md."
	s.Comments = "Generated from Go types by `" + RegenerateCommand + "`. DO NOT EDIT."
	s.Examples = []any{exampleRequest(rt)}

	property(s, "type", func(p *jsonschema.Schema) { p.Const = rt.name })
	property(s, "version", func(p *jsonschema.Schema) { p.Const = Version })
	constrain(s, envelopeFields)

	body := schemagen.Reflect(rt.body)
	body.Version = "" // $schema belongs to the root only
	if len(body.Definitions) > 0 {
		panic("reqschema: body of " + rt.name + " needs $defs; hoist them into the root")
	}
	body.Description = "The " + rt.name + " body (Go type " + rt.body.String() + ")."
	constrain(body, rt.fields)
	s.Properties.Set("body", body)
	return s
}

// constrain applies fields to the properties of s. A money member gets the
// pattern on its amount. Naming a member s lacks is a generator bug.
func constrain(s *jsonschema.Schema, fields map[string]field) {
	for name, f := range fields {
		property(s, name, func(p *jsonschema.Schema) {
			p.Description = f.description
			if p.Type != "object" {
				p.Pattern = f.pattern
				return
			}
			if amount, ok := p.Properties.Get("amount"); ok {
				amount.Pattern = f.pattern
				amount.Description = "Exact decimal amount greater than zero, at most 2 decimals and at most " + events.MaxAmount + "; a string, never a JSON number."
				return
			}
			panic("reqschema: " + name + " is an object but not money")
		})
	}
}

func property(s *jsonschema.Schema, name string, apply func(*jsonschema.Schema)) {
	p, ok := s.Properties.Get(name)
	if !ok {
		panic("reqschema: schema " + s.Title + " has no member " + name)
	}
	apply(p)
}
