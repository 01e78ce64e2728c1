package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
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
	data, err := EncodeJSON(e)
	if err != nil {
		return nil, newError(CodeEnvelopeMalformed, "", "encoding envelope", err)
	}
	return data, nil
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
