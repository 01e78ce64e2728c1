package events

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func probe() ProbeSent {
	return ProbeSent{
		ProbeID: "probe-1",
		Note:    "smoke test <ops>",
		Amount:  CNY("0.01"),
		SentAt:  time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC),
	}
}

func probeMeta() Meta {
	return Meta{
		ID:            DeriveID("cmd-1", "probe_sent"),
		CorrelationID: "corr-1",
		CausationID:   "cmd-1",
		OccurredAt:    time.Date(2025, 3, 1, 17, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func TestRegistryEncodeDecode(t *testing.T) {
	reg := Catalog()
	e, err := reg.New("probe-1", 1, probe(), probeMeta())
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "diagnostics.probe_sent" || e.Version != 1 || e.Sequence != 1 || e.AggregateID != "probe-1" {
		t.Fatalf("envelope header = %+v", e)
	}
	if e.OccurredAt.Location() != time.UTC {
		t.Fatalf("OccurredAt not normalised to UTC: %v", e.OccurredAt)
	}
	wantPayload := `{"probe_id":"probe-1","note":"smoke test <ops>","amount":{"amount":"0.01","currency":"CNY"},"sent_at":"2025-03-01T09:30:00Z"}`
	if string(e.Payload) != wantPayload {
		t.Fatalf("Payload = %s\nwant      %s", e.Payload, wantPayload)
	}

	// Through the wire codec and back, as a consumer would see it.
	data, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Decode(wire)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := p.(ProbeSent)
	if !ok {
		t.Fatalf("Decode returned %T, want ProbeSent value", p)
	}
	want := probe()
	if got.ProbeID != want.ProbeID || got.Note != want.Note || !got.Amount.Equal(want.Amount) || !got.SentAt.Equal(want.SentAt) {
		t.Fatalf("Decode = %+v, want %+v", got, want)
	}
}

func TestRegistryNewRejects(t *testing.T) {
	reg := Catalog()
	tests := []struct {
		name    string
		payload Payload
		meta    func(*Meta)
		code    string
		field   string
	}{
		{name: "unregistered type", payload: otherEvent{}, code: CodeEventTypeUnknown},
		{name: "pointer payload", payload: &ProbeSent{}, code: CodeEventTypeUnknown},
		{name: "nil payload", payload: nil, code: CodeEventTypeUnknown},
		{name: "empty probe id", payload: func() Payload { p := probe(); p.ProbeID = ""; return p }(), code: CodePayloadInvalid, field: "probe_id"},
		{name: "unset amount", payload: func() Payload { p := probe(); p.Amount = Money{}; return p }(), code: CodePayloadInvalid, field: "amount"},
		{name: "missing meta id", payload: probe(), meta: func(m *Meta) { m.ID = "" }, code: CodeEnvelopeFieldMissing, field: "id"},
		{name: "missing causation", payload: probe(), meta: func(m *Meta) { m.CausationID = "" }, code: CodeEnvelopeFieldMissing, field: "causation_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := probeMeta()
			if tt.meta != nil {
				tt.meta(&meta)
			}
			_, err := reg.New("probe-1", 1, tt.payload, meta)
			wantCode(t, err, tt.code)
			if tt.field != "" && err.(*Error).Field() != tt.field {
				t.Fatalf("Field() = %q, want %q", err.(*Error).Field(), tt.field)
			}
		})
	}
}

func TestRegistryDecodeRejects(t *testing.T) {
	reg := Catalog()
	base, err := reg.New("probe-1", 1, probe(), probeMeta())
	if err != nil {
		t.Fatal(err)
	}
	withPayload := func(payload string) Envelope {
		e := base
		e.Payload = json.RawMessage(payload)
		return e
	}
	const amount = `"amount":{"amount":"0.01","currency":"CNY"}`
	tests := []struct {
		name      string
		envelope  Envelope
		code      string
		field     string
		alsoMatch error // a cause that must stay reachable through errors.Is
	}{
		{name: "unknown type", envelope: func() Envelope { e := base; e.Type = "diagnostics.probe_lost"; return e }(), code: CodeEventTypeUnknown},
		{name: "unknown version", envelope: func() Envelope { e := base; e.Version = 2; return e }(), code: CodeEventTypeUnknown},
		{name: "invalid envelope", envelope: func() Envelope { e := base; e.ID = ""; return e }(), code: CodeEnvelopeFieldMissing},
		{name: "unknown field", envelope: withPayload(`{"probe_id":"p","note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z","extra":1}`), code: CodePayloadInvalid, field: "extra"},
		{name: "wrong case field", envelope: withPayload(`{"PROBE_ID":"p","note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "PROBE_ID"},
		{name: "unknown nested field", envelope: withPayload(`{"probe_id":"p","note":"","amount":{"amount":"1","currency":"CNY","x":1},"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, alsoMatch: ErrAmountMalformed},
		{name: "missing field", envelope: withPayload(`{"probe_id":"p",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "note"},
		{name: "missing amount", envelope: withPayload(`{"probe_id":"p","note":"","sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "amount"},
		{name: "null field", envelope: withPayload(`{"probe_id":null,"note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "probe_id"},
		{name: "duplicate field", envelope: withPayload(`{"probe_id":"p","probe_id":"q","note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid},
		{name: "float amount", envelope: withPayload(`{"probe_id":"p","note":"","amount":{"amount":0.01,"currency":"CNY"},"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, alsoMatch: ErrAmountMalformed},
		{name: "wrong type", envelope: withPayload(`{"probe_id":7,"note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "probe_id"},
		{name: "empty probe id", envelope: withPayload(`{"probe_id":"","note":"",` + amount + `,"sent_at":"2025-03-01T09:30:00Z"}`), code: CodePayloadInvalid, field: "probe_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := reg.Decode(tt.envelope)
			wantCode(t, err, tt.code)
			if p != nil {
				t.Fatalf("Decode returned payload %+v alongside error", p)
			}
			if tt.field != "" && err.(*Error).Field() != tt.field {
				t.Fatalf("Field() = %q, want %q (error: %v)", err.(*Error).Field(), tt.field, err)
			}
			if tt.alsoMatch != nil && !errors.Is(err, tt.alsoMatch) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.alsoMatch)
			}
		})
	}
}

func TestCatalogTypes(t *testing.T) {
	reg := Catalog()
	kinds := reg.Types()
	if !slices.Contains(kinds, Kind{Type: "diagnostics.probe_sent", Version: 1}) {
		t.Fatalf("Catalog().Types() = %v, missing diagnostics.probe_sent v1", kinds)
	}
	for _, k := range kinds {
		if goType, ok := reg.Lookup(k); !ok || goType.Kind() != reflect.Struct {
			t.Errorf("Lookup(%v) = %v, %v", k, goType, ok)
		}
	}
}

func TestRegistryTypesSorted(t *testing.T) {
	reg := NewRegistry()
	reg.Register(otherEventV2{})
	reg.Register(ProbeSent{})
	reg.Register(otherEvent{})
	want := []Kind{{"diagnostics.probe_sent", 1}, {"test.other", 1}, {"test.other", 2}}
	if got := reg.Types(); !slices.Equal(got, want) {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*Registry)
		want  string
	}{
		{name: "duplicate", setup: func(r *Registry) { r.Register(ProbeSent{}); r.Register(ProbeSent{}) }, want: "registered twice"},
		{name: "pointer", setup: func(r *Registry) { r.Register(&ProbeSent{}) }, want: "struct value"},
		{name: "nil", setup: func(r *Registry) { r.Register(nil) }, want: "struct value"},
		{name: "bad type name", setup: func(r *Registry) { r.Register(badName{}) }, want: "does not match"},
		{name: "bad version", setup: func(r *Registry) { r.Register(badVersion{}) }, want: "version"},
		{name: "untagged field", setup: func(r *Registry) { r.Register(untagged{}) }, want: "json tag"},
		{name: "embedded field", setup: func(r *Registry) { r.Register(embedded{}) }, want: "embedded"},
		{name: "pointer validator", setup: func(r *Registry) { r.Register(pointerValidator{}) }, want: "value receiver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic = %q, want it to mention %q", msg, tt.want)
				}
			}()
			tt.setup(NewRegistry())
		})
	}
}

type otherEvent struct {
	N int `json:"n"`
}

func (otherEvent) EventType() string { return "test.other" }
func (otherEvent) EventVersion() int { return 1 }

type otherEventV2 struct {
	N int `json:"n"`
}

func (otherEventV2) EventType() string { return "test.other" }
func (otherEventV2) EventVersion() int { return 2 }

type badName struct{}

func (badName) EventType() string { return "Test.Bad" }
func (badName) EventVersion() int { return 1 }

type badVersion struct{}

func (badVersion) EventType() string { return "test.bad_version" }
func (badVersion) EventVersion() int { return 0 }

type untagged struct {
	N int
}

func (untagged) EventType() string { return "test.untagged" }
func (untagged) EventVersion() int { return 1 }

type embedded struct {
	otherEvent
	Extra int `json:"extra"`
}

func (embedded) EventType() string { return "test.embedded" }
func (embedded) EventVersion() int { return 1 }

type pointerValidator struct{}

func (pointerValidator) EventType() string { return "test.pointer_validator" }
func (pointerValidator) EventVersion() int { return 1 }
func (*pointerValidator) Validate() error  { return nil }
