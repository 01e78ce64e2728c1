package events

import (
	"encoding/json"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// TypePattern is the grammar of an event type's wire name: dot-separated
// lowercase snake_case segments, at least two, such as
// "payment.payer_debited". The first segment names the aggregate or area.
const TypePattern = `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`

var typeRE = regexp.MustCompile(TypePattern)

// Envelope is the unit stored in the event log and published on Kafka: one
// payload plus the metadata needed to order, deduplicate and trace it. The
// JSON member names in the tags are the wire contract.
type Envelope struct {
	// ID identifies the event; a lowercase canonical UUID, normally from
	// DeriveID so that retries reproduce it.
	ID string `json:"id"`
	// Type is the stable wire name, matching TypePattern.
	Type string `json:"type"`
	// Version is the payload schema version of Type, starting at 1.
	Version int `json:"version"`
	// AggregateID is the stream the event belongs to, e.g. a payment ID.
	AggregateID string `json:"aggregate_id"`
	// Sequence is the event's 1-based position within its aggregate's
	// stream; the store uses (AggregateID, Sequence) for optimistic locking.
	Sequence uint64 `json:"sequence"`
	// CorrelationID ties together everything caused by one business
	// request, end to end.
	CorrelationID string `json:"correlation_id"`
	// CausationID is the ID of the command or event that directly caused
	// this one.
	CausationID string `json:"causation_id"`
	// OccurredAt is when the fact happened, always in UTC.
	OccurredAt time.Time `json:"occurred_at"`
	// Payload is the JSON object encoding of the registered payload type
	// for (Type, Version).
	Payload json.RawMessage `json:"payload"`
	// Chain links the event to its aggregate's previous event in the event
	// log: 64 lowercase hex digits of HMAC-SHA256(key, previous event's
	// chain value || this envelope encoded without Chain), set by the
	// processor runtime when it appends the event (see package
	// events/chain). Absent on events written before chaining existed, on
	// commands and on replies.
	Chain string `json:"chain,omitempty"`
}

// Validate checks the envelope's own invariants (not the payload's
// contents, which need the Registry). It fails with ErrEnvelopeFieldMissing
// for absent or zero fields and ErrEnvelopeFieldInvalid for ill-formed ones;
// Field() names the wire field. It does not require OccurredAt to be in UTC,
// because Marshal, Unmarshal and Registry.New normalise it.
func (e Envelope) Validate() error { return e.validate(false) }

// validate checks e; with payloadIsJSON the caller vouches that Payload is
// syntactically valid JSON (it came out of a JSON decoder or encoder), so
// only its shape (an object) is checked. The hot path validates every
// envelope several times; re-scanning the payload each time was a tenth of
// a processor's CPU.
func (e Envelope) validate(payloadIsJSON bool) error {
	switch {
	case e.ID == "":
		return missing("id")
	case !isCanonicalUUID(e.ID):
		return invalid("id", quote(e.ID)+" is not a lowercase canonical UUID")
	case e.Type == "":
		return missing("type")
	case !validType(e.Type):
		return invalid("type", quote(e.Type)+" does not match "+TypePattern)
	case e.Version == 0:
		return missing("version")
	case e.Version < 0:
		return invalid("version", strconv.Itoa(e.Version)+" is negative")
	case e.AggregateID == "":
		return missing("aggregate_id")
	case e.Sequence == 0:
		return missing("sequence") // sequences are 1-based; 0 means unset
	case e.CorrelationID == "":
		return missing("correlation_id")
	case e.CausationID == "":
		return missing("causation_id")
	case e.OccurredAt.IsZero():
		return missing("occurred_at")
	case e.OccurredAt.UTC().Year() < 1 || e.OccurredAt.UTC().Year() > 9999:
		return invalid("occurred_at", "year outside 0001-9999 cannot be encoded as RFC 3339")
	case len(e.Payload) == 0:
		return missing("payload")
	case payloadIsJSON && !startsJSONObject(e.Payload), !payloadIsJSON && !isJSONObject(e.Payload):
		return invalid("payload", "payload must be a JSON object")
	case e.Chain != "" && !isChainValue(e.Chain):
		return invalid("chain", quote(e.Chain)+" is not 64 lowercase hex digits")
	}
	return nil
}

// ChainPattern is the grammar of Envelope.Chain.
const ChainPattern = `^[0-9a-f]{64}$`

func isChainValue(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func missing(field string) error {
	return newError(CodeEnvelopeFieldMissing, field, "required", nil)
}

func invalid(field, detail string) error {
	return newError(CodeEnvelopeFieldInvalid, field, detail, nil)
}

// isJSONObject reports whether raw is valid JSON whose top-level value is
// an object. Leading whitespace is tolerated; json.Valid rejects anything
// after the value.
// validTypes caches type names that matched TypePattern: a process sees a
// few dozen distinct types, millions of times each.
var validTypes sync.Map

func validType(t string) bool {
	if _, ok := validTypes.Load(t); ok {
		return true
	}
	if !typeRE.MatchString(t) {
		return false
	}
	validTypes.Store(t, struct{}{})
	return true
}

// startsJSONObject reports whether already-valid JSON is an object.
func startsJSONObject(raw json.RawMessage) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '{'
	}
	return false
}

func isJSONObject(raw json.RawMessage) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return json.Valid(raw)
		}
		return false
	}
	return false
}
