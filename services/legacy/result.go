package legacy

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
)

// Status says what became of a line.
type Status string

// Statuses of a line, in the report's status column.
const (
	// StatusImported: the bank took the agreement over in this import,
	// and the mapping was recorded.
	StatusImported Status = "imported"
	// StatusAlreadyImported: an earlier import had; the bank answered its
	// original answer again and nothing new was recorded (a missing
	// mapping, after an interrupted import, is recorded now).
	StatusAlreadyImported Status = "already_imported"
	// StatusRefused: the bank refused; Reason is its reason code.
	StatusRefused Status = "refused"
	// StatusBadRow: the line cannot be imported as it is; Reason says why.
	StatusBadRow Status = "bad_row"
	// StatusConflict: the mapping log contradicts the row; not sent.
	StatusConflict Status = "conflict"
	// StatusDuplicate: repeats an earlier line exactly; imported once.
	StatusDuplicate Status = "duplicate"
	// StatusNoAnswer: sent, but the bank did not answer in time.
	StatusNoAnswer Status = "no_answer"
	// StatusWouldImport and StatusWouldCheck are the dry run's: a row
	// not yet mapped, and a row already mapped that an import would send
	// again.
	StatusWouldImport Status = "would_import"
	StatusWouldCheck  Status = "would_check"
)

// Line is the outcome of one non-blank line of the file.
type Line struct {
	Line        int
	LegacyNo    string
	Status      Status
	AgreementNo string // the new number, when the row has one
	Reason      string // why not imported: a reason code
	Detail      string
}

// Result is what an import did.
type Result struct {
	// ImportID derives from the file's bytes: the same file always has
	// the same import ID.
	ImportID string
	DryRun   bool
	Lines    []Line // sorted by line
	// MappingsWritten counts legacy.agreement_mapped events written.
	MappingsWritten int
}

// Count returns how many lines ended with status s.
func (r Result) Count(s Status) int {
	n := 0
	for _, l := range r.Lines {
		if l.Status == s {
			n++
		}
	}
	return n
}

// Reasons returns, for the lines with status s, how many had each reason.
func (r Result) Reasons(s Status) map[string]int {
	out := map[string]int{}
	for _, l := range r.Lines {
		if l.Status == s {
			out[l.Reason]++
		}
	}
	return out
}

// ReportHeader is the first line of the report file.
var ReportHeader = []string{"line", "legacy_no", "status", "agreement_no", "reason", "detail"}

// WriteReport writes the report: CSV (RFC 4180) with ReportHeader, one
// record per non-blank line of the file, in line order.
func (r Result) WriteReport(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ReportHeader); err != nil {
		return err
	}
	for _, l := range r.Lines {
		if err := cw.Write([]string{strconv.Itoa(l.Line), l.LegacyNo, string(l.Status), l.AgreementNo, l.Reason, l.Detail}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (r *Result) sortLines() {
	slices.SortStableFunc(r.Lines, func(a, b Line) int { return a.Line - b.Line })
}
