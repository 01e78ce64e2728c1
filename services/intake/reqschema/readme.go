package reqschema

import (
	"bytes"
	_ "embed"
	"maps"
	"reflect"
	"slices"
	"strings"
	"text/template"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/intake"
)

//go:embed readme.md.tmpl
var readmeTemplate string

// statuses describes every outcome status for channel developers. It names
// the events constants, so a renamed status fails to compile here rather
// than going stale in the guide.
var statuses = []struct{ Status, Answers, Meaning string }{
	{events.StatusRejected, "any request", "refused before anything happened; see `reason_code`"},
	{events.StatusSMSSent, "sign_agreement", "identity verified, SMS code sent; confirm with `signing_id`"},
	{events.StatusSigned, "confirm_signing", "agreement active; `agreement_no` is set"},
	{events.StatusSigningFailed, "sign_agreement, confirm_signing", "refused by the bank; see `reason_code`"},
	{events.StatusTerminated, "terminate_agreement", "agreement terminated"},
	{events.StatusSuccess, "pay", "both legs confirmed: customer debited, reserve account credited"},
	{events.StatusFailure, "pay", "a leg refused; anything done was reversed; see `reason_code`"},
	{events.StatusPresumedSuccess, "pay", "customer debited, reserve leg still unknown at the deadline (推定成功); final, reconciliation corrects it if wrong"},
	{events.StatusPresumedFailure, "pay", "payer leg still unknown at the deadline (推定失败); final, reconciliation refunds the customer if the bank did debit"},
	{events.StatusRedirected, "legacy_refund", "your legacy refund path is closed (`refund_path_closed`): paycore moved no money; pay the customer by super online banking (超级网银)"},
}

type readmeField struct{ Name, Type, Rule string }

type readmeRequest struct {
	Name, File, Summary, Outcomes, Example string
	Fields                                 []readmeField
}

type readmeReason struct{ Code, Meaning string }

type readmeData struct {
	Command                          string
	MaxValueKiB, MaxDepth            int
	Envelope                         []readmeField
	Requests                         []readmeRequest
	Statuses                         any
	OutcomeExample, RejectionExample string
	IntakeReasons, LaterReasons      []readmeReason
	PayExample, PayOrderID           string
}

func renderReadme() ([]byte, error) {
	data := readmeData{
		Command:          RegenerateCommand,
		MaxValueKiB:      intake.DefaultMaxValueBytes >> 10,
		MaxDepth:         intake.DefaultMaxDepth,
		Statuses:         statuses,
		OutcomeExample:   indentJSON(exampleOutcome()),
		RejectionExample: indentJSON(exampleRejection()),
		PayOrderID:       exampleIdentity[events.RequestPay].orderID,
		Envelope: []readmeField{
			{"type", "string", "the request type: " + strings.Join(intake.RequestTypes(), ", ")},
			{"version", "integer", "the body's version; 1"},
			envelopeField("channel_id"),
			envelopeField("order_id"),
			envelopeField("idempotency_key"),
			{"body", "object", "depends on `type`, see below"},
		},
	}
	for _, rt := range requestTypes() {
		data.Requests = append(data.Requests, readmeRequest{
			Name:     rt.name,
			File:     FileName(rt.name),
			Summary:  rt.summary,
			Outcomes: rt.outcomes,
			Example:  indentJSON(exampleRequest(rt)),
			Fields:   bodyFields(rt),
		})
		if rt.name == events.RequestPay {
			data.PayExample = string(exampleRequest(rt))
		}
	}
	intakeCodes := intake.ReasonCodes()
	for _, code := range intakeCodes {
		data.IntakeReasons = append(data.IntakeReasons, readmeReason{code, events.Reasons[code]})
	}
	for _, code := range slices.Sorted(maps.Keys(events.Reasons)) {
		if !slices.Contains(intakeCodes, code) {
			data.LaterReasons = append(data.LaterReasons, readmeReason{code, events.Reasons[code]})
		}
	}
	tmpl, err := template.New(ReadmeFile).Funcs(template.FuncMap{
		// A | inside a table cell, even in a code span, ends the cell.
		"cell": func(s string) string { return strings.ReplaceAll(s, "|", `\|`) },
	}).Parse(readmeTemplate)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func envelopeField(name string) readmeField {
	f := envelopeFields[name]
	return readmeField{name, "string", "`" + f.pattern + "`: " + f.description}
}

// bodyFields lists the members of rt's body in wire order.
func bodyFields(rt requestType) []readmeField {
	var out []readmeField
	for sf := range rt.body.Fields() {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		f, ok := rt.fields[name]
		if !ok {
			panic("reqschema: no rule for " + rt.name + " body member " + name)
		}
		typ, rule := "string", "`"+f.pattern+"`: "+f.description
		if sf.Type == reflect.TypeFor[events.Money]() {
			typ = "money"
			rule = f.description
		}
		out = append(out, readmeField{name, typ, rule})
	}
	return out
}
