package events

import (
	"bytes"
	"encoding/json"
)

// UnmarshalOwn and Registry.DecodeOwn read records that paycore itself
// wrote to its internal topics (inboxes, event logs). They run one standard
// JSON decode with unknown fields disallowed, then the same validation as
// Unmarshal and Decode (envelope fields, Validator, money rules), but skip
// the member-level checks (duplicate keys, wrong-case names) that guard
// input from outside: our own encoder never writes those, and the strict
// path parses every record twice, which was the largest CPU cost of a
// processor. Anything read from a channel goes through the strict path.

// UnmarshalOwn decodes an envelope paycore wrote.
//
// A record in the exact layout our encoder writes is read without the
// general decoder (parseOwnEnvelope), and its payload is then checked
// only for being an object: its full syntax is checked by DecodeOwn,
// which every reader of own records calls next. Anything else takes the
// standard decoder.
func UnmarshalOwn(data []byte) (Envelope, error) {
	if e, ok := parseOwnEnvelope(data); ok {
		e.OccurredAt = e.OccurredAt.UTC()
		if err := e.validate(true); err != nil {
			return Envelope{}, err
		}
		return e, nil
	}
	var e Envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Envelope{}, newError(CodeEnvelopeMalformed, "", "", err)
	}
	e.OccurredAt = e.OccurredAt.UTC()
	if err := e.validate(true); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// DecodeOwn returns the payload of an envelope paycore wrote.
func (r *Registry) DecodeOwn(e Envelope) (Payload, error) {
	if err := e.validate(true); err != nil {
		return nil, err
	}
	k := Kind{Type: e.Type, Version: e.Version}
	reg, ok := r.byKind[k]
	if !ok {
		return nil, newError(CodeEventTypeUnknown, "type", k.String()+" is not registered", nil)
	}
	p, err := decodePayload(k, reg.goType, e.Payload)
	if err != nil {
		return nil, err
	}
	return r.upcastToCurrent(k, p)
}
