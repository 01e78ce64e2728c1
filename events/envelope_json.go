package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"time"
)

var envelopeFields = wireFields(reflect.TypeFor[Envelope]())

// Marshal validates e and encodes it as compact JSON with OccurredAt in UTC
// (RFC 3339 with nanoseconds) and the payload compacted, without HTML
// escaping. Re-encoding a decoded envelope is byte-for-byte stable, which
// keeps hashes and deduplication of re-published events reliable.
func Marshal(e Envelope) ([]byte, error) {
	e.OccurredAt = e.OccurredAt.UTC()
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return appendEnvelope(make([]byte, 0, envelopeOverhead+len(e.Payload)), e), nil
}

// envelopeOverhead is a generous estimate of an envelope's bytes besides
// its payload: member names, three UUIDs, a timestamp, a chain value.
const envelopeOverhead = 400

// appendEnvelope appends the encoding of a valid e to dst, byte for byte
// what EncodeJSON gives for it (a test holds the two equal), without
// reflection: every record paycore writes is an envelope, and the
// reflective encoder (plus its re-scan of the payload to compact it) was
// a measurable share of a processor's CPU. The payload is copied as is
// when it holds no whitespace byte at all (our encoder's output never
// does), otherwise compacted.
func appendEnvelope(dst []byte, e Envelope) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, e.ID)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, e.Type)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(e.Version), 10)
	dst = append(dst, `,"aggregate_id":`...)
	dst = appendJSONString(dst, e.AggregateID)
	dst = append(dst, `,"sequence":`...)
	dst = strconv.AppendUint(dst, e.Sequence, 10)
	dst = append(dst, `,"correlation_id":`...)
	dst = appendJSONString(dst, e.CorrelationID)
	dst = append(dst, `,"causation_id":`...)
	dst = appendJSONString(dst, e.CausationID)
	dst = append(dst, `,"occurred_at":"`...)
	dst = e.OccurredAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","payload":`...)
	if bytes.ContainsAny(e.Payload, " \t\r\n") {
		var compact bytes.Buffer
		_ = json.Compact(&compact, e.Payload) // valid: the caller validated e
		dst = append(dst, compact.Bytes()...)
	} else {
		dst = append(dst, e.Payload...)
	}
	if e.Chain != "" {
		dst = append(dst, `,"chain":`...)
		dst = appendJSONString(dst, e.Chain)
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string the way EncodeJSON writes
// it (HTML not escaped). Plain printable ASCII without quote or backslash,
// what IDs and type names are, is copied; anything else goes through the
// standard encoder.
func appendJSONString(dst []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			enc, _ := EncodeJSON(s) // a string always encodes
			return append(dst, enc...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// EncodeJSON is json.Marshal without HTML escaping, used for everything
// paycore writes (envelopes, outcomes, rejects, snapshots) so that text
// such as "<ops>" or an order ID "a<b" reaches channels, ClickHouse and
// operators as written, and re-encoding decoded data never rewrites it.
func EncodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Unmarshal decodes and validates one envelope. Decoding is strict: the
// input must be a single JSON object with no duplicate, unknown or
// differently-cased members and correctly typed values, otherwise it fails
// with ErrEnvelopeMalformed. Absent or null required fields fail with
// ErrEnvelopeFieldMissing and ill-formed ones with ErrEnvelopeFieldInvalid
// (see Envelope.Validate). Unknown envelope members are rejected rather than
// ignored because the envelope changes only by coordinated release; a
// consumer must not drop metadata it does not understand.
//
// On success OccurredAt is in UTC and Payload is compacted. The payload's
// contents are not inspected beyond being a JSON object; use
// Registry.Decode for that.
func Unmarshal(data []byte) (Envelope, error) {
	members, err := decodeObject(data)
	if err != nil {
		return Envelope{}, newError(CodeEnvelopeMalformed, "", "", err)
	}
	err = checkMembers(members, envelopeFields,
		func(name string) error { return newError(CodeEnvelopeMalformed, name, "unknown member", nil) },
		missing)
	if err != nil {
		return Envelope{}, err
	}
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		field := ""
		var typeErr *json.UnmarshalTypeError
		var timeErr *time.ParseError
		switch {
		case errors.As(err, &typeErr):
			field = typeErr.Field
		case errors.As(err, &timeErr):
			field = "occurred_at" // the envelope's only time field
		}
		return Envelope{}, newError(CodeEnvelopeMalformed, field, "", err)
	}
	e.OccurredAt = e.OccurredAt.UTC()
	// The decoder has checked the payload's syntax; compact it so that
	// re-encoding is byte-stable, then check the rest.
	if startsJSONObject(e.Payload) {
		var compact bytes.Buffer
		_ = json.Compact(&compact, e.Payload) // cannot fail: decoded above
		e.Payload = compact.Bytes()
	}
	if err := e.validate(true); err != nil {
		return Envelope{}, err
	}
	return e, nil
}
