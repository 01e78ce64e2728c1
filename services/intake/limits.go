package intake

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/paycore/paycore/events"
)

// checkLimits refuses a record before any JSON parser sees it: too large,
// not UTF-8, nested too deep, or not one syntactically valid JSON object.
// Size and depth come first and cost one pass each, so a hostile record
// costs no more than reading it.
func (c Config) checkLimits(value []byte) *rejection {
	if len(value) > c.MaxValueBytes {
		return reject(events.ReasonPayloadTooLarge, "",
			"record is "+strconv.Itoa(len(value))+" bytes, the limit is "+strconv.Itoa(c.MaxValueBytes))
	}
	// encoding/json would silently replace invalid bytes with U+FFFD, so
	// two readers could disagree on a string; refuse them outright.
	if !utf8.Valid(value) {
		return reject(events.ReasonMalformedJSON, "", "record is not valid UTF-8")
	}
	if nestedDeeperThan(value, c.MaxDepth) {
		return reject(events.ReasonPayloadTooLarge, "",
			"JSON nesting is deeper than "+strconv.Itoa(c.MaxDepth)+" levels")
	}
	if len(value) == 0 {
		return reject(events.ReasonMalformedJSON, "", "record is empty")
	}
	if !json.Valid(value) {
		return reject(events.ReasonMalformedJSON, "", "record is not valid JSON"+syntaxErrorAt(value))
	}
	if firstByte(value) != '{' {
		return reject(events.ReasonMalformedJSON, "", "record is not a JSON object")
	}
	return nil
}

// nestedDeeperThan reports whether objects and arrays in data nest deeper
// than limit. It only tracks strings (where brackets do not count), so it
// works on any bytes; on invalid JSON its answer is still a fair measure.
func nestedDeeperThan(data []byte, limit int) bool {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// firstByte returns the first byte of data after JSON whitespace, or 0.
func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

// syntaxErrorAt locates the syntax error in data, which json.Valid refused,
// so the channel developer knows where to look.
func syntaxErrorAt(data []byte) string {
	var v json.RawMessage
	var syntaxErr *json.SyntaxError
	if err := json.Unmarshal(data, &v); errors.As(err, &syntaxErr) {
		return " (error at byte " + strconv.FormatInt(syntaxErr.Offset, 10) + ")"
	}
	return ""
}
