package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/paycore/paycore/events"
)

// What a bank did with a transaction (Row.Status, the bank_status column).
const (
	BankDebited  = "debited"   // payer bank: the customer's account was debited
	BankCredited = "credited"  // reserve bank: the reserve account was credited
	BankRefused  = "refused"   // the bank refused (or closed it after a query)
	BankReversed = "reversed"  // payer bank: debited, then reversed
	BankNotFound = "not_found" // the bank has no record of the transaction
)

// bankStatuses lists the statuses each bank reports.
var bankStatuses = map[string][]string{
	events.BankPayer:   {BankDebited, BankRefused, BankReversed, BankNotFound},
	events.BankReserve: {BankCredited, BankRefused, BankNotFound},
}

// ValidBank reports an unknown bank side.
func ValidBank(bank string) error {
	if _, ok := bankStatuses[bank]; !ok {
		return fmt.Errorf("reconcile: bank %q is neither %s nor %s", bank, events.BankPayer, events.BankReserve)
	}
	return nil
}

// StatementHeader is the first line of a bank statement.
var StatementHeader = []string{"txn_id", "amount", "bank_status"}

// Row is one line of a bank statement: the bank's record of a
// transaction. Amount is what the bank moved (debited, reversed,
// credited), 0.00 when it moved nothing (refused, not_found).
type Row struct {
	TxnID  string
	Amount events.Money
	Status string
}

// Statement is a bank's record of a batch.
type Statement struct {
	Bank string
	Rows []Row
}

// ErrMalformedStatement is wrapped by every error of ParseStatement.
var ErrMalformedStatement = errors.New("malformed bank statement")

// LineError names the line of a statement that could not be read.
type LineError struct {
	Line   int
	Reason string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Unwrap makes errors.Is(err, ErrMalformedStatement) hold.
func (e *LineError) Unwrap() error { return ErrMalformedStatement }

var txnIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// maxStatementRows bounds a statement held in memory.
const maxStatementRows = 10_000_000

// ParseStatement reads bank's statement strictly: the header
// txn_id,amount,bank_status exactly; then one row per transaction with a
// transaction ID (lowercase UUID, as paycore issues them), a non-negative
// amount in yuan with at most two decimals, and a status the bank reports.
// A transaction listed twice is an error. The first problem fails it with
// a *LineError naming the line: a statement is evidence, and guessing at
// a bad line could start a correction that moves money.
func ParseStatement(r io.Reader, bank string) (Statement, error) {
	if err := ValidBank(bank); err != nil {
		return Statement{}, err
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(StatementHeader)
	cr.ReuseRecord = true
	st := Statement{Bank: bank}
	seen := map[string]int{}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF && n > 0 {
			return st, nil
		}
		if err != nil {
			return Statement{}, readError(err, rec)
		}
		line, _ := cr.FieldPos(0)
		switch {
		case n == 0:
			if !slices.Equal(rec, StatementHeader) {
				return Statement{}, &LineError{line, fmt.Sprintf("header %q, want %q", strings.Join(rec, ","), strings.Join(StatementHeader, ","))}
			}
			continue
		case n > maxStatementRows:
			return Statement{}, &LineError{line, fmt.Sprintf("more than %d rows", maxStatementRows)}
		}
		row, reason := parseRow(rec, bank)
		if reason == "" {
			if first, dup := seen[row.TxnID]; dup {
				reason = fmt.Sprintf("txn_id %s is already on line %d", row.TxnID, first)
			}
		}
		if reason != "" {
			return Statement{}, &LineError{line, reason}
		}
		seen[row.TxnID] = line
		st.Rows = append(st.Rows, row)
	}
}

// readError turns an error of the CSV reader into a *LineError; io.EOF
// means the file had no header.
func readError(err error, rec []string) error {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return &LineError{1, "empty file; want the header " + strings.Join(StatementHeader, ",")}
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		return &LineError{pe.StartLine, fmt.Sprintf("%d fields, want %d (%s)", len(rec), len(StatementHeader), strings.Join(StatementHeader, ","))}
	case errors.As(err, &pe):
		return &LineError{pe.Line, pe.Err.Error()}
	}
	return fmt.Errorf("reconcile: reading statement: %w", err)
}

// parseRow returns the row of rec, or why it is not one.
func parseRow(rec []string, bank string) (Row, string) {
	txn, amount, status := rec[0], rec[1], rec[2]
	if !txnIDPattern.MatchString(txn) {
		return Row{}, fmt.Sprintf("txn_id %q is not a transaction ID (lowercase UUID)", txn)
	}
	m, err := events.ParseMoney(amount, events.CurrencyCNY.String())
	if err != nil {
		return Row{}, fmt.Sprintf("amount %q: %v", amount, err)
	}
	if m.IsNegative() {
		return Row{}, fmt.Sprintf("amount %q is negative", amount)
	}
	if !slices.Contains(bankStatuses[bank], status) {
		return Row{}, fmt.Sprintf("bank_status %q is not one the %s bank reports (%s)", status, bank, strings.Join(bankStatuses[bank], ", "))
	}
	return Row{TxnID: txn, Amount: m, Status: status}, ""
}

// WriteStatement writes rows as a statement, header first, in the order
// given.
func WriteStatement(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(StatementHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.TxnID, r.Amount.String(), r.Status}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
