package processor

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/paycore/paycore/events"
)

// EncodeSnapshot encodes a handler's snapshot struct as compact JSON
// without HTML escaping, so that envelopes stored inside it keep the exact
// bytes events.Marshal gave them (a re-sent reply must be byte-identical).
func EncodeSnapshot(v any) ([]byte, error) { return events.EncodeJSON(v) }

// DecodeSnapshot decodes exactly one JSON value into v, rejecting unknown
// members and trailing data: a snapshot from another version of the code
// must fail Restore loudly, not restore half a state.
func DecodeSnapshot(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the snapshot")
	}
	return nil
}
