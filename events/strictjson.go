package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// decodeObject splits data, which must be exactly one JSON object, into its
// members keyed by their exact names.
//
// encoding/json alone is too lenient for money and event data: it matches
// member names case-insensitively and lets a duplicated name silently
// override the first one, so two systems can read different amounts from
// the same bytes. decodeObject rejects duplicates and trailing data, and
// callers compare names exactly.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string) // inside an object the decoder only yields string keys
		if _, dup := members[name]; dup {
			return nil, errors.New("duplicate member " + quote(name))
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		members[name] = value
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return members, nil
}

// isJSONString reports whether raw, a valid JSON value, is a string.
func isJSONString(raw json.RawMessage) bool {
	return len(raw) > 0 && raw[0] == '"'
}

// isJSONNull reports whether raw, a valid JSON value, is null.
func isJSONNull(raw json.RawMessage) bool {
	return string(raw) == "null"
}
