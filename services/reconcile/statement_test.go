package reconcile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

func TestParseStatement(t *testing.T) {
	a, b := txnN(1), txnN(2)
	good := "txn_id,amount,bank_status\n" + a + ",10.50,debited\n" + b + ",0.00,not_found\n"
	st, err := ParseStatement(strings.NewReader(good), events.BankPayer)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{a, events.CNY("10.50"), BankDebited}, {b, events.CNY("0"), BankNotFound}}
	if len(st.Rows) != 2 || st.Bank != events.BankPayer {
		t.Fatalf("ParseStatement = %+v", st)
	}
	for i, r := range st.Rows {
		if r.TxnID != want[i].TxnID || !r.Amount.Equal(want[i].Amount) || r.Status != want[i].Status {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
	}
	var out bytes.Buffer
	if err := WriteStatement(&out, st.Rows); err != nil || out.String() != good {
		t.Errorf("WriteStatement = %q, %v; want %q", out.String(), err, good)
	}
	if st, err := ParseStatement(strings.NewReader("txn_id,amount,bank_status\r\n"), events.BankReserve); err != nil || len(st.Rows) != 0 {
		t.Errorf("header only (CRLF): %+v, %v", st, err)
	}
}

// TestParseStatementRefuses has one row per reason a statement is
// refused; each names its line.
func TestParseStatementRefuses(t *testing.T) {
	a := txnN(1)
	const header = "txn_id,amount,bank_status\n"
	tests := []struct {
		name, bank, file string
		line             int
		reason           string
	}{
		{"empty file", "payer", "", 1, "empty file"},
		{"wrong header", "payer", "txn,amount,status\n", 1, `header "txn,amount,status"`},
		{"header in another order", "payer", "amount,txn_id,bank_status\n", 1, "header"},
		{"too few fields", "payer", header + a + ",1.00\n", 2, "2 fields, want 3"},
		{"too many fields", "payer", header + a + ",1.00,debited,x\n", 2, "4 fields, want 3"},
		{"bad quoting", "payer", header + a + `,"1.00,debited` + "\n", 2, "quote"},
		{"not a transaction ID", "payer", header + "T-1,1.00,debited\n", 2, `txn_id "T-1" is not a transaction ID`},
		{"upper-case ID", "payer", header + strings.ToUpper(a) + ",1.00,debited\n", 2, "is not a transaction ID"},
		{"float amount", "payer", header + a + ",1e3,debited\n", 2, `amount "1e3"`},
		{"three decimals", "payer", header + a + ",1.005,debited\n", 2, `amount "1.005"`},
		{"negative amount", "payer", header + a + ",-1.00,debited\n", 2, "is negative"},
		{"amount with spaces", "payer", header + a + ", 1.00,debited\n", 2, `amount " 1.00"`},
		{"status of the other bank", "payer", header + a + ",1.00,credited\n", 2, `bank_status "credited" is not one the payer bank reports`},
		{"reserve banks do not reverse", "reserve", header + a + ",1.00,reversed\n", 2, `bank_status "reversed"`},
		{"unknown status", "reserve", header + a + ",1.00,ok\n", 2, `bank_status "ok"`},
		{"duplicate", "payer", header + a + ",1.00,debited\n" + txnN(2) + ",1.00,debited\n" + a + ",1.00,debited\n", 4,
			"txn_id " + a + " is already on line 2"},
		{"later line", "payer", header + a + ",1.00,debited\n" + txnN(2) + ",abc,debited\n", 3, `amount "abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseStatement(strings.NewReader(tt.file), tt.bank)
			var le *LineError
			if !errors.As(err, &le) || !errors.Is(err, ErrMalformedStatement) {
				t.Fatalf("ParseStatement = %+v, %v; want a *LineError", st, err)
			}
			if le.Line != tt.line || !strings.Contains(le.Reason, tt.reason) {
				t.Errorf("error %q, want line %d and %q", err, tt.line, tt.reason)
			}
			if st.Rows != nil {
				t.Errorf("rows returned with the error: %+v", st.Rows)
			}
		})
	}
	if _, err := ParseStatement(strings.NewReader(header), "clearing"); err == nil || errors.Is(err, ErrMalformedStatement) {
		t.Errorf("unknown bank: %v", err)
	}
}
