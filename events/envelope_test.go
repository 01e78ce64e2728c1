package events

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func validEnvelope() Envelope {
	return Envelope{
		ID:            DeriveID("cmd-1", "probe_sent"),
		Type:          "diagnostics.probe_sent",
		Version:       1,
		AggregateID:   "probe-1",
		Sequence:      1,
		CorrelationID: "corr-1",
		CausationID:   "cmd-1",
		OccurredAt:    time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC),
		Payload:       json.RawMessage(`{"k":"<v>"}`),
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	e := validEnvelope()
	data, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + e.ID + `","type":"diagnostics.probe_sent","version":1,"aggregate_id":"probe-1","sequence":1,` +
		`"correlation_id":"corr-1","causation_id":"cmd-1","occurred_at":"2025-03-01T09:30:00.123456789Z","payload":{"k":"<v>"}}`
	if string(data) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", data, want)
	}
	back, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	assertEnvelopeEqual(t, back, e)
}

func TestEnvelopeNormalisesToUTC(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	e := validEnvelope()
	e.OccurredAt = time.Date(2025, 3, 1, 17, 30, 0, 0, shanghai)
	data, err := Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"occurred_at":"2025-03-01T09:30:00Z"`)) {
		t.Fatalf("Marshal did not normalise to UTC: %s", data)
	}

	offset := strings.Replace(string(data), "2025-03-01T09:30:00Z", "2025-03-01T17:30:00+08:00", 1)
	back, err := Unmarshal([]byte(offset))
	if err != nil {
		t.Fatal(err)
	}
	if back.OccurredAt.Location() != time.UTC || !back.OccurredAt.Equal(e.OccurredAt) {
		t.Fatalf("Unmarshal OccurredAt = %v, want %v in UTC", back.OccurredAt, e.OccurredAt)
	}
}

func TestEnvelopeUnmarshalCompactsPayload(t *testing.T) {
	data, err := Marshal(validEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	spaced := bytes.Replace(data, []byte(`{"k":"<v>"}`), []byte("{ \"k\" :\n \"<v>\" }"), 1)
	e, err := Unmarshal(spaced)
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Payload) != `{"k":"<v>"}` {
		t.Fatalf("Payload = %s", e.Payload)
	}
}

func TestEnvelopeValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Envelope)
		code   string
		field  string
	}{
		{name: "valid", mutate: func(*Envelope) {}},
		{name: "missing id", mutate: func(e *Envelope) { e.ID = "" }, code: CodeEnvelopeFieldMissing, field: "id"},
		{name: "id not uuid", mutate: func(e *Envelope) { e.ID = "evt-1" }, code: CodeEnvelopeFieldInvalid, field: "id"},
		{name: "id uppercase", mutate: func(e *Envelope) { e.ID = strings.ToUpper(e.ID) }, code: CodeEnvelopeFieldInvalid, field: "id"},
		{name: "missing type", mutate: func(e *Envelope) { e.Type = "" }, code: CodeEnvelopeFieldMissing, field: "type"},
		{name: "type without area", mutate: func(e *Envelope) { e.Type = "probe_sent" }, code: CodeEnvelopeFieldInvalid, field: "type"},
		{name: "type camel case", mutate: func(e *Envelope) { e.Type = "diagnostics.ProbeSent" }, code: CodeEnvelopeFieldInvalid, field: "type"},
		{name: "missing version", mutate: func(e *Envelope) { e.Version = 0 }, code: CodeEnvelopeFieldMissing, field: "version"},
		{name: "negative version", mutate: func(e *Envelope) { e.Version = -1 }, code: CodeEnvelopeFieldInvalid, field: "version"},
		{name: "missing aggregate", mutate: func(e *Envelope) { e.AggregateID = "" }, code: CodeEnvelopeFieldMissing, field: "aggregate_id"},
		{name: "zero sequence", mutate: func(e *Envelope) { e.Sequence = 0 }, code: CodeEnvelopeFieldMissing, field: "sequence"},
		{name: "missing correlation", mutate: func(e *Envelope) { e.CorrelationID = "" }, code: CodeEnvelopeFieldMissing, field: "correlation_id"},
		{name: "missing causation", mutate: func(e *Envelope) { e.CausationID = "" }, code: CodeEnvelopeFieldMissing, field: "causation_id"},
		{name: "missing occurred_at", mutate: func(e *Envelope) { e.OccurredAt = time.Time{} }, code: CodeEnvelopeFieldMissing, field: "occurred_at"},
		{name: "occurred_at year 10000", mutate: func(e *Envelope) { e.OccurredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, code: CodeEnvelopeFieldInvalid, field: "occurred_at"},
		{name: "missing payload", mutate: func(e *Envelope) { e.Payload = nil }, code: CodeEnvelopeFieldMissing, field: "payload"},
		{name: "payload array", mutate: func(e *Envelope) { e.Payload = json.RawMessage(`[1]`) }, code: CodeEnvelopeFieldInvalid, field: "payload"},
		{name: "payload null", mutate: func(e *Envelope) { e.Payload = json.RawMessage(`null`) }, code: CodeEnvelopeFieldInvalid, field: "payload"},
		{name: "payload invalid json", mutate: func(e *Envelope) { e.Payload = json.RawMessage(`{"a":}`) }, code: CodeEnvelopeFieldInvalid, field: "payload"},
		{name: "payload trailing data", mutate: func(e *Envelope) { e.Payload = json.RawMessage(`{} {}`) }, code: CodeEnvelopeFieldInvalid, field: "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := validEnvelope()
			tt.mutate(&e)
			_, err := Marshal(e)
			wantCode(t, err, tt.code)
			if tt.code != "" && err.(*Error).Field() != tt.field {
				t.Fatalf("Field() = %q, want %q", err.(*Error).Field(), tt.field)
			}
		})
	}
}

func TestEnvelopeUnmarshalRejects(t *testing.T) {
	valid, err := Marshal(validEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	replace := func(old, new string) string {
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("fixture does not contain %s", old)
		}
		return strings.Replace(string(valid), old, new, 1)
	}
	tests := []struct {
		name  string
		in    string
		code  string
		field string
	}{
		{name: "not json", in: `nope`, code: CodeEnvelopeMalformed},
		{name: "empty", in: ``, code: CodeEnvelopeMalformed},
		{name: "array", in: `[]`, code: CodeEnvelopeMalformed},
		{name: "trailing data", in: string(valid) + `{}`, code: CodeEnvelopeMalformed},
		{name: "unknown member", in: replace(`"id":`, `"tenant":"x","id":`), code: CodeEnvelopeMalformed, field: "tenant"},
		{name: "wrong case member", in: replace(`"id":`, `"ID":`), code: CodeEnvelopeMalformed, field: "ID"},
		{name: "duplicate member", in: replace(`"sequence":1`, `"sequence":1,"sequence":2`), code: CodeEnvelopeMalformed},
		{name: "version as string", in: replace(`"version":1`, `"version":"1"`), code: CodeEnvelopeMalformed, field: "version"},
		{name: "fractional sequence", in: replace(`"sequence":1`, `"sequence":1.5`), code: CodeEnvelopeMalformed, field: "sequence"},
		{name: "negative sequence", in: replace(`"sequence":1`, `"sequence":-1`), code: CodeEnvelopeMalformed, field: "sequence"},
		{name: "bad timestamp", in: replace(`"2025-03-01T09:30:00.123456789Z"`, `"yesterday"`), code: CodeEnvelopeMalformed, field: "occurred_at"},
		{name: "absent id", in: replace(`"id":"`+validEnvelope().ID+`",`, ``), code: CodeEnvelopeFieldMissing, field: "id"},
		{name: "null aggregate", in: replace(`"aggregate_id":"probe-1"`, `"aggregate_id":null`), code: CodeEnvelopeFieldMissing, field: "aggregate_id"},
		{name: "null occurred_at", in: replace(`"2025-03-01T09:30:00.123456789Z"`, `null`), code: CodeEnvelopeFieldMissing, field: "occurred_at"},
		{name: "zero sequence", in: replace(`"sequence":1`, `"sequence":0`), code: CodeEnvelopeFieldMissing, field: "sequence"},
		{name: "null payload", in: replace(`{"k":"<v>"}`, `null`), code: CodeEnvelopeFieldInvalid, field: "payload"},
		{name: "string payload", in: replace(`{"k":"<v>"}`, `"{}"`), code: CodeEnvelopeFieldInvalid, field: "payload"},
		{name: "bad id", in: replace(validEnvelope().ID, `not-a-uuid`), code: CodeEnvelopeFieldInvalid, field: "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.in))
			wantCode(t, err, tt.code)
			if tt.field != "" && err.(*Error).Field() != tt.field {
				t.Fatalf("Field() = %q, want %q (error: %v)", err.(*Error).Field(), tt.field, err)
			}
		})
	}
}

func assertEnvelopeEqual(t *testing.T, got, want Envelope) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.Version != want.Version ||
		got.AggregateID != want.AggregateID || got.Sequence != want.Sequence ||
		got.CorrelationID != want.CorrelationID || got.CausationID != want.CausationID ||
		!got.OccurredAt.Equal(want.OccurredAt) || got.OccurredAt.Location() != time.UTC ||
		!bytes.Equal(got.Payload, want.Payload) {
		t.Fatalf("envelope mismatch:\n got %+v\nwant %+v", got, want)
	}
}
