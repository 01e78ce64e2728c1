package reqschema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/cutover"
	"github.com/paycore/paycore/services/intake"
	"github.com/paycore/paycore/services/intake/reqschema"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/paycore/paycore/services/processor"
)

// dir is the checked-in output, relative to this package's directory.
const dir = "../../../schemas/requests"

// TestFilesUpToDate fails when schemas/requests differs from what the Go
// types and intake rules generate: a changed, missing or extra file.
func TestFilesUpToDate(t *testing.T) {
	want, err := reqschema.Files()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Join(dir, reqschema.ReadmeFile))
	var problems []string
	onDisk := map[string]bool{}
	for _, path := range paths {
		name := filepath.Base(path)
		got, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue // reported as missing below
		}
		if err != nil {
			t.Fatal(err)
		}
		onDisk[name] = true
		expected, ok := want[name]
		switch {
		case !ok:
			problems = append(problems, "extra file "+name+" (no request type generates it)")
		case !bytes.Equal(got, expected):
			problems = append(problems, name+" is out of date")
		}
	}
	for name := range want {
		if !onDisk[name] {
			problems = append(problems, "missing file "+name)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		t.Fatalf("schemas/requests does not match the code:\n  %s\nregenerate with: %s",
			strings.Join(problems, "\n  "), reqschema.RegenerateCommand)
	}
}

// TestSchemasAgreeWithIntake runs each example and hostile variants of it
// through both the schema and the intake: what one accepts, the other
// must accept too.
func TestSchemasAgreeWithIntake(t *testing.T) {
	files, err := reqschema.Files()
	if err != nil {
		t.Fatal(err)
	}
	handle := intakeHandler(t)
	examples := reqschema.ExampleRequests()

	// mutation turns an example into a variant; ok reports whether it
	// applied to this request type (a pay request has no sms_code).
	type mutation func(doc map[string]any) (ok bool)
	body := func(doc map[string]any) map[string]any { return doc["body"].(map[string]any) }
	set := func(member string, value any) mutation {
		return func(doc map[string]any) bool { doc[member] = value; return true }
	}
	setBody := func(member string, value any) mutation {
		return func(doc map[string]any) bool {
			if _, ok := body(doc)[member]; !ok {
				return false
			}
			body(doc)[member] = value
			return true
		}
	}
	setAmount := func(member, amount string) mutation {
		return func(doc map[string]any) bool {
			m, ok := body(doc)[member].(map[string]any)
			if ok {
				m["amount"] = amount
			}
			return ok
		}
	}
	money := func(amount string) map[string]any { return map[string]any{"amount": amount, "currency": "CNY"} }

	tests := []struct {
		name   string
		mutate mutation
		valid  bool
		// codecOnly marks a rule JSON Schema cannot express: the schema
		// accepts the variant, the intake refuses it. Listed so the gap is
		// known and stays small.
		codecOnly bool
	}{
		{name: "example", mutate: func(map[string]any) bool { return true }, valid: true},
		{name: "amount 12.3 (one decimal)", mutate: setAmount("amount", "12.3"), valid: true},
		{name: "amount 0.01", mutate: setAmount("amount", "0.01"), valid: true},
		{name: "extra member", mutate: set("priority", "high")},
		{name: "version 2", mutate: set("version", 2)},
		{name: "version as string", mutate: set("version", "1")},
		{name: "unknown type", mutate: set("type", "withdraw")},
		{name: "channel_id too long", mutate: set("channel_id", strings.Repeat("c", 33))},
		{name: "order_id with space", mutate: set("order_id", "ord 1")},
		{name: "empty idempotency_key", mutate: set("idempotency_key", "")},
		{name: "null body", mutate: set("body", nil)},
		{name: "body extra member", mutate: func(doc map[string]any) bool { body(doc)["memo"] = "x"; return true }},
		{name: "amount as JSON number", mutate: setBody("amount", map[string]any{"amount": 12.3, "currency": "CNY"})},
		{name: "amount zero", mutate: setAmount("amount", "0.00")},
		{name: "amount negative", mutate: setAmount("amount", "-1")},
		{name: "amount exponent", mutate: setAmount("amount", "1e3")},
		{name: "amount three decimals", mutate: setAmount("amount", "0.001")},
		{name: "currency USD", mutate: setBody("amount", map[string]any{"amount": "1.00", "currency": "USD"})},
		{name: "amount above maximum", mutate: setAmount("amount", "1000000000000000"), codecOnly: true},
		{name: "agreement_no lower case", mutate: func(doc map[string]any) bool {
			no, ok := body(doc)["agreement_no"].(string)
			if ok {
				body(doc)["agreement_no"] = strings.ToLower(no)
			}
			return ok
		}},
		{name: "signing_id upper case", mutate: func(doc map[string]any) bool {
			id, ok := body(doc)["signing_id"].(string)
			if ok {
				body(doc)["signing_id"] = strings.ToUpper(id)
			}
			return ok
		}},
		{name: "sms_code letters", mutate: setBody("sms_code", "12a4")},
		{name: "payer_account short", mutate: setBody("payer_account", "12345")},
		{name: "holder_name control character", mutate: setBody("holder_name", "张\u0007三")},
		{name: "holder_name 64 characters", mutate: setBody("holder_name", strings.Repeat("张", 64)), valid: true},
		{name: "holder_name 65 characters", mutate: setBody("holder_name", strings.Repeat("张", 65))},
		{name: "id_number lower-case x", mutate: setBody("id_number", "11010519491231002x")},
		{name: "id_number 15 digits", mutate: setBody("id_number", "110105491231002"), valid: true},
		{name: "phone 12 digits", mutate: setBody("phone", "138001380000")},
		{name: "limit zero", mutate: setAmount("per_payment_limit", "0")},
		{name: "limit above daily", mutate: setBody("per_payment_limit", money("20000.01")), codecOnly: true},
	}
	for _, typ := range intake.RequestTypes() {
		schema := compile(t, files, reqschema.FileName(typ))
		for _, tt := range tests {
			var doc map[string]any
			if err := json.Unmarshal(examples[typ], &doc); err != nil {
				t.Fatal(err)
			}
			if !tt.mutate(doc) {
				continue
			}
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				value, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				inst, err := validator.UnmarshalJSON(bytes.NewReader(value))
				if err != nil {
					t.Fatal(err)
				}
				schemaErr := schema.Validate(inst)
				accepted, reason := handle(value)
				switch {
				case tt.valid && (schemaErr != nil || !accepted):
					t.Fatalf("valid request refused: schema: %v; intake: %s\n%s", schemaErr, reason, value)
				case tt.codecOnly && (schemaErr != nil || accepted):
					t.Fatalf("known gap changed: schema: %v; intake accepted %v; update the test\n%s", schemaErr, accepted, value)
				case !tt.valid && !tt.codecOnly && (schemaErr == nil || accepted):
					t.Fatalf("invalid request accepted: schema: %v; intake: %s\n%s", schemaErr, reason, value)
				}
			})
		}
	}
}

func compile(t *testing.T, files map[string][]byte, name string) *validator.Schema {
	t.Helper()
	doc, err := validator.UnmarshalJSON(bytes.NewReader(files[name]))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return s
}

// intakeHandler returns a function that reports whether the intake turns
// a record into a command, and otherwise its reason.
func intakeHandler(t *testing.T) func([]byte) (bool, string) {
	deriver, err := payerkey.NewDeriver("test-secret")
	if err != nil {
		t.Fatal(err)
	}
	// With the cutover on, so that every request type of the guide,
	// legacy_refund included, is accepted.
	factory, err := intake.NewFactory(intake.Config{
		Topics: intake.Topics{SagaInbox: "saga", PayerInbox: "payer", Outcomes: "outcomes", Rejects: "rejects",
			CutoverInbox: "cutover", DirectInbox: "direct"},
		Deriver: deriver,
		Routes:  cutover.Static(nil),
	}, events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	h := factory(0)
	return func(value []byte) (bool, string) {
		out, err := h.Handle(processor.Message{Topic: "requests", Value: value, Time: time.Unix(1740821400, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 1 {
			return true, ""
		}
		var o events.Outcome
		if err := json.Unmarshal(out.Messages[0].Value, &o); err != nil {
			t.Fatal(err)
		}
		return false, o.ReasonCode + ": " + o.Reason
	}
}

// TestPositiveAmountPattern checks the pattern against the codec: it must
// match exactly the amounts events.ParseMoney accepts as positive, up to
// the magnitude bound, which the pattern does not express.
func TestPositiveAmountPattern(t *testing.T) {
	re := regexp.MustCompile(reqschema.PositiveAmountPattern)
	for _, s := range []string{
		"1", "0.01", "0.1", "0.10", "10", "10.00", "007", "00.50", "999999999999999.99", "12.3",
		"0", "00", "0.0", "0.00", "-1", "-0.01", "+1", "1.", ".5", "1e3", "0.001", "1,00", " 1", "1 ", "",
	} {
		m, err := events.ParsePositiveMoney(s, "CNY")
		codec := err == nil && m.IsPositive()
		if re.MatchString(s) != codec {
			t.Errorf("%q: pattern %v, codec %v (%v)", s, re.MatchString(s), codec, err)
		}
	}
}

// TestReadmeListsEveryReasonCode guards the guide's promise that it
// documents every reason code and every intake rule.
func TestReadmeListsEveryReasonCode(t *testing.T) {
	files, err := reqschema.Files()
	if err != nil {
		t.Fatal(err)
	}
	readme := string(files[reqschema.ReadmeFile])
	for code := range events.Reasons {
		if !strings.Contains(readme, "| `"+code+"` |") {
			t.Errorf("README.md does not list reason code %s", code)
		}
	}
	for _, typ := range intake.RequestTypes() {
		if !strings.Contains(readme, "### `"+typ+"`") {
			t.Errorf("README.md does not describe request type %s", typ)
		}
	}
	if !strings.Contains(readme, "kcat -P -b 127.0.0.1:19092 -t paycore.requests -k ") {
		t.Error("README.md lost its kcat example")
	}
}
