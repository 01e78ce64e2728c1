package events

import (
	"bytes"
	"strconv"
	"time"
)

// parseOwnEnvelope reads data when it has exactly the layout appendEnvelope
// writes, with plain strings (printable ASCII, no quote or backslash, so
// nothing to unescape), and returns false for anything else, which then
// takes the standard decoder. The payload is the bytes between "payload":
// and the envelope's end (the closing brace, or the chain member a chained
// event ends with), found without scanning it: the payload is scanned
// once, by Registry.DecodeOwn, instead of twice.
//
// The two layouts cannot be confused: an unchained record ends with the
// payload's brace and the envelope's, "}}"; a chained one with `"}`.
func parseOwnEnvelope(data []byte) (Envelope, bool) {
	p := ownParser{b: data}
	var e Envelope
	ok := p.lit(`{"id":`) && p.str(&e.ID) &&
		p.lit(`,"type":`) && p.str(&e.Type) &&
		p.lit(`,"version":`) && p.int(&e.Version) &&
		p.lit(`,"aggregate_id":`) && p.str(&e.AggregateID) &&
		p.lit(`,"sequence":`) && p.uint(&e.Sequence) &&
		p.lit(`,"correlation_id":`) && p.str(&e.CorrelationID) &&
		p.lit(`,"causation_id":`) && p.str(&e.CausationID) &&
		p.lit(`,"occurred_at":`) && p.time(&e.OccurredAt) &&
		p.lit(`,"payload":`)
	if !ok {
		return Envelope{}, false
	}
	rest := data[p.i:]
	n := len(rest)
	switch {
	case n >= chainTailSize+2 && rest[n-1] == '}' && rest[n-2] == '"':
		tail := rest[n-chainTailSize:]
		if string(tail[:len(ownChainMember)]) != ownChainMember {
			return Envelope{}, false
		}
		e.Chain = string(tail[len(ownChainMember) : chainTailSize-2])
		if !isChainValue(e.Chain) {
			return Envelope{}, false
		}
		rest = rest[:n-chainTailSize]
	case n >= 3 && rest[n-1] == '}' && rest[n-2] == '}':
		rest = rest[:n-1]
	default:
		return Envelope{}, false
	}
	if len(rest) < 2 || rest[0] != '{' || rest[len(rest)-1] != '}' {
		return Envelope{}, false
	}
	e.Payload = bytes.Clone(rest)
	return e, true
}

// ownChainMember opens the chain member that ends a chained envelope;
// chainTailSize is the member with its 64 hex digits and the closing
// quote and brace.
const (
	ownChainMember = `,"chain":"`
	chainTailSize  = len(ownChainMember) + 64 + 2
)

// ownParser walks the fixed layout of an own envelope.
type ownParser struct {
	b []byte
	i int
}

// lit consumes s.
func (p *ownParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

// quoted returns the plain contents of the JSON string at the cursor.
func (p *ownParser) quoted() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[p.i+1 : j]
			p.i = j + 1
			return s, true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

func (p *ownParser) str(dst *string) bool {
	s, ok := p.quoted()
	if ok {
		*dst = string(s)
	}
	return ok
}

// digits returns the run of ASCII digits at the cursor, with a leading
// minus when signed; like the JSON grammar, no leading zeros.
func (p *ownParser) digits(signed bool) []byte {
	j := p.i
	if signed && j < len(p.b) && p.b[j] == '-' {
		j++
	}
	start := j
	for j < len(p.b) && isDigit(p.b[j]) {
		j++
	}
	if j == start || (p.b[start] == '0' && j > start+1) {
		return nil
	}
	d := p.b[p.i:j]
	p.i = j
	return d
}

func (p *ownParser) int(dst *int) bool {
	d := p.digits(true)
	v, err := strconv.Atoi(string(d))
	if d == nil || err != nil {
		return false
	}
	*dst = v
	return true
}

func (p *ownParser) uint(dst *uint64) bool {
	d := p.digits(false)
	v, err := strconv.ParseUint(string(d), 10, 64)
	if d == nil || err != nil {
		return false
	}
	*dst = v
	return true
}

// time reads a timestamp exactly as the standard decoder does, through
// time.Time's UnmarshalJSON.
func (p *ownParser) time(dst *time.Time) bool {
	start := p.i
	if _, ok := p.quoted(); !ok {
		return false
	}
	return dst.UnmarshalJSON(p.b[start:p.i]) == nil
}
