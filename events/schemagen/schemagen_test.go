package schemagen_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	validator "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/schemagen"
)

// schemaDir is the checked-in output, relative to this package's directory
// (go test runs with the package directory as working directory).
const schemaDir = "../../schemas/events"

// TestSchemasUpToDate fails when schemas/events differs from what the Go
// types generate: a changed, missing or extra file.
func TestSchemasUpToDate(t *testing.T) {
	want, err := schemagen.Files(events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	onDisk := map[string]bool{}
	for _, path := range paths {
		name := filepath.Base(path)
		onDisk[name] = true
		expected, ok := want[name]
		if !ok {
			problems = append(problems, "extra file "+name+" (no registered type generates it)")
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, expected) {
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
		t.Fatalf("schemas/events does not match the Go types:\n  %s\nregenerate with: %s",
			strings.Join(problems, "\n  "), schemagen.RegenerateCommand)
	}
}

// TestSchemasAgreeWithCodec validates real encoder output against the
// generated schemas, and checks that the schemas reject what the decoder
// rejects, so that non-Go consumers and the Go codec agree.
func TestSchemasAgreeWithCodec(t *testing.T) {
	files, err := schemagen.Files(events.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	compile := func(name string) *validator.Schema {
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
	envelopeSchema := compile(schemagen.EnvelopeFile)
	probeSchema := compile(schemagen.FileName(events.Kind{Type: "diagnostics.probe_sent", Version: 1}))

	e, err := events.Catalog().New("probe-1", 1, events.ProbeSent{
		ProbeID: "probe-1",
		Amount:  events.CNY("-12.3"),
		SentAt:  time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC),
	}, events.Meta{
		ID:            events.DeriveID("cmd-1", "probe_sent"),
		CorrelationID: "corr-1",
		CausationID:   "cmd-1",
		OccurredAt:    time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	wire, err := events.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}

	reg := events.Catalog()
	decodeEnvelope := func(doc string) error {
		_, err := events.Unmarshal([]byte(doc))
		return err
	}
	decodePayload := func(doc string) error {
		withPayload := e
		withPayload.Payload = json.RawMessage(doc)
		_, err := reg.Decode(withPayload)
		return err
	}
	env, payload := string(wire), string(e.Payload)

	tests := []struct {
		name   string
		schema *validator.Schema
		decode func(string) error
		doc    string
		valid  bool
	}{
		{name: "envelope", schema: envelopeSchema, decode: decodeEnvelope, doc: env, valid: true},
		{name: "payload", schema: probeSchema, decode: decodePayload, doc: payload, valid: true},
		{name: "envelope id not uuid", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, e.ID, "evt-1", 1)},
		{name: "envelope zero sequence", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `"sequence":1`, `"sequence":0`, 1)},
		{name: "envelope unknown member", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `{"id"`, `{"x":1,"id"`, 1)},
		{name: "envelope bad timestamp", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `"2025-03-01T09:30:00Z"`, `"yesterday"`, 1)},
		{name: "envelope bad type", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `"diagnostics.probe_sent"`, `"ProbeSent"`, 1)},
		{name: "envelope with chain", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `"payload"`, `"chain":"`+strings.Repeat("0a", 32)+`","payload"`, 1), valid: true},
		{name: "envelope bad chain", schema: envelopeSchema, decode: decodeEnvelope, doc: strings.Replace(env, `"payload"`, `"chain":"`+strings.Repeat("0A", 32)+`","payload"`, 1)},
		{name: "float amount", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"-12.30"`, `-12.3`, 1)},
		{name: "three decimals", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"-12.30"`, `"-12.300"`, 1)},
		{name: "exponent", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"-12.30"`, `"1e3"`, 1)},
		{name: "currency USD", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"CNY"`, `"USD"`, 1)},
		{name: "missing note", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"note":"",`, ``, 1)},
		{name: "unknown member", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `{"probe_id"`, `{"x":1,"probe_id"`, 1)},
		{name: "bad sent_at", schema: probeSchema, decode: decodePayload, doc: strings.Replace(payload, `"2025-03-01T09:30:00Z"`, `"2025-03-01"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.valid && (tt.doc == env || tt.doc == payload) {
				t.Fatal("fixture replacement did not apply")
			}
			inst, err := validator.UnmarshalJSON(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr, codecErr := tt.schema.Validate(inst), tt.decode(tt.doc)
			if tt.valid && (schemaErr != nil || codecErr != nil) {
				t.Fatalf("valid document rejected: schema: %v; codec: %v\n%s", schemaErr, codecErr, tt.doc)
			}
			if !tt.valid && (schemaErr == nil || codecErr == nil) {
				t.Fatalf("invalid document accepted: schema: %v; codec: %v\n%s", schemaErr, codecErr, tt.doc)
			}
		})
	}
}
