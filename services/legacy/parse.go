package legacy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paycore/paycore/events"
)

// Bounds of an import file. A larger file is refused as a whole with a
// message to split it, rather than eating the importer's memory.
const (
	MaxLineBytes = 16 << 10
	MaxRows      = 1_000_000
)

// BadRow is a line that cannot be imported, with why.
type BadRow struct {
	Line     int
	LegacyNo string // as far as it could be read; may be empty
	Reason   string // a Reason* constant or an events money code
	Field    string // the member at fault, if one
	Detail   string // for people; not part of the contract
}

func (b BadRow) String() string {
	s := "line " + strconv.Itoa(b.Line) + ": " + b.Reason
	if b.Field != "" {
		s += " (" + b.Field + ")"
	}
	if b.Detail != "" {
		s += ": " + b.Detail
	}
	return s
}

// Duplicate is a line that repeats an earlier one exactly; it is not
// imported twice, and it is not an error.
type Duplicate struct {
	Line, SameAs int
	LegacyNo     string
}

// Parsed is what a file holds.
type Parsed struct {
	Agreements []Agreement // good rows, in line order, each legacy number once
	Bad        []BadRow    // in line order
	Duplicates []Duplicate
	Rows       int // non-blank lines
}

// Parse reads an import file (see Row) and checks every line; today is
// the import's Beijing date (YYYY-MM-DD). It fails only when the file
// cannot be read or exceeds MaxRows; bad lines are in Parsed.Bad.
func Parse(r io.Reader, today string) (Parsed, error) {
	var p Parsed
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		text, tooLong, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return Parsed{}, fmt.Errorf("legacy: reading line %d: %w", line, err)
		}
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a BOM some editors write
		}
		if tooLong || len(bytes.TrimSpace(text)) > 0 {
			p.Rows++
			if p.Rows > MaxRows {
				return Parsed{}, fmt.Errorf("legacy: more than %d rows: split the file", MaxRows)
			}
			if tooLong {
				p.Bad = append(p.Bad, BadRow{Line: line, Reason: ReasonLineTooLong, Detail: fmt.Sprintf("longer than %d bytes", MaxLineBytes)})
			} else if a, bad := parseLine(line, text, today); bad != nil {
				p.Bad = append(p.Bad, *bad)
			} else {
				p.Agreements = append(p.Agreements, a)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	p.dedupe()
	return p, nil
}

// readLine returns the next line without its line ending, or tooLong
// (and the rest of the line skipped) when it exceeds MaxLineBytes. The
// error is io.EOF at the end of the input.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return buf, tooLong, err
		}
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > MaxLineBytes {
				tooLong, buf = true, nil
			}
		}
		if !isPrefix {
			return buf, tooLong, nil
		}
	}
}

// parseLine decodes and checks one non-blank line.
func parseLine(line int, text []byte, today string) (Agreement, *BadRow) {
	if !utf8.Valid(text) {
		return Agreement{}, &BadRow{Line: line, Reason: ReasonMalformedJSON, Detail: "not valid UTF-8"}
	}
	var r Row
	if err := events.DecodeStrict(text, &r); err != nil {
		b := decodeFailure(err)
		b.Line, b.LegacyNo = line, legacyNoOf(text)
		return Agreement{}, &b
	}
	return r.check(line, today)
}

// decodeFailure classifies an events.DecodeStrict error.
func decodeFailure(err error) BadRow {
	var e *events.Error
	if !errors.As(err, &e) || e.Field() == "" {
		return BadRow{Reason: ReasonMalformedJSON, Detail: "not one JSON object"}
	}
	switch d := e.Detail(); {
	case d == "unknown member":
		return BadRow{Reason: ReasonUnknownField, Field: e.Field(), Detail: "unknown member"}
	case d == "required":
		return BadRow{Reason: ReasonMissingField, Field: e.Field(), Detail: "is missing or null"}
	case strings.HasPrefix(d, "must be"):
		return BadRow{Reason: ReasonWrongType, Field: e.Field(), Detail: d}
	}
	return BadRow{Reason: ReasonMalformedJSON, Field: e.Field(), Detail: e.Detail()}
}

// legacyNoOf returns the legacy number of a line that failed to decode,
// if a plain look finds one, so the report can name the row.
func legacyNoOf(text []byte) string {
	var probe struct {
		LegacyNo any `json:"legacy_no"`
	}
	if err := json.Unmarshal(text, &probe); err != nil {
		return ""
	}
	if s, ok := probe.LegacyNo.(string); ok && legacyNoRE.MatchString(s) {
		return s
	}
	return ""
}

// dedupe keeps one row per legacy number: exact repeats become
// Duplicates, and a number given with different content turns every one
// of its lines into a bad row, since the file does not say which is right.
func (p *Parsed) dedupe() {
	byNo := map[string][]Agreement{}
	for _, a := range p.Agreements {
		byNo[a.LegacyNo] = append(byNo[a.LegacyNo], a)
	}
	var kept []Agreement
	for _, a := range p.Agreements {
		rows := byNo[a.LegacyNo]
		switch {
		case !allSame(rows):
			lines := make([]string, len(rows))
			for i, r := range rows {
				lines[i] = strconv.Itoa(r.Line)
			}
			p.Bad = append(p.Bad, BadRow{Line: a.Line, LegacyNo: a.LegacyNo, Reason: ReasonDuplicateLegacyNo, Field: "legacy_no",
				Detail: "different content on lines " + strings.Join(lines, ", ")})
		case a.Line == rows[0].Line:
			kept = append(kept, a)
		default:
			p.Duplicates = append(p.Duplicates, Duplicate{Line: a.Line, SameAs: rows[0].Line, LegacyNo: a.LegacyNo})
		}
	}
	p.Agreements = kept
	slices.SortFunc(p.Bad, func(a, b BadRow) int { return a.Line - b.Line })
}

func allSame(rows []Agreement) bool {
	for _, r := range rows[1:] {
		if !r.same(rows[0]) {
			return false
		}
	}
	return true
}
