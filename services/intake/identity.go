package intake

import (
	"bytes"
	"encoding/json"
)

// identity is what the intake could read of a request's identity, for the
// outcome of a rejection: the channel finds it by order ID, and the
// operator sees who sent it. A member is only used when it is present
// exactly once, is a string, and passes its own grammar, so a rejection is
// never keyed by text the channel did not unambiguously send.
type identity struct {
	requestType    string
	channelID      string
	orderID        string
	idempotencyKey string
}

// peekIdentity reads the identity members of a record that is a
// syntactically valid JSON object but failed strict decoding.
func peekIdentity(value []byte) identity {
	dec := json.NewDecoder(bytes.NewReader(value))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return identity{}
	}
	count := map[string]int{}
	text := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return identity{}
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return identity{}
		}
		switch name {
		case "type", "channel_id", "order_id", "idempotency_key":
			count[name]++
			var s string
			if json.Unmarshal(raw, &s) == nil {
				text[name] = s
			}
		}
	}
	read := func(name string, valid func(string) bool) string {
		if count[name] == 1 && valid(text[name]) {
			return text[name]
		}
		return ""
	}
	return identity{
		requestType:    read("type", func(s string) bool { return bodies[s] != nil }),
		channelID:      read("channel_id", channelIDRE.MatchString),
		orderID:        read("order_id", orderIDRE.MatchString),
		idempotencyKey: read("idempotency_key", idempotencyKeyRE.MatchString),
	}
}
