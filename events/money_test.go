package events

import (
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		name     string
		amount   string
		currency string
		want     string // String() on success
		wantFen  int64
		code     string
	}{
		{name: "integer", amount: "12", currency: "CNY", want: "12.00", wantFen: 1200},
		{name: "one decimal", amount: "12.3", currency: "CNY", want: "12.30", wantFen: 1230},
		{name: "two decimals", amount: "12.34", currency: "CNY", want: "12.34", wantFen: 1234},
		{name: "zero", amount: "0", currency: "CNY", want: "0.00"},
		{name: "negative zero", amount: "-0.00", currency: "CNY", want: "0.00"},
		{name: "negative", amount: "-0.05", currency: "CNY", want: "-0.05", wantFen: -5},
		{name: "leading zeros", amount: "0007.5", currency: "CNY", want: "7.50", wantFen: 750},
		{name: "max", amount: MaxAmount, currency: "CNY", want: MaxAmount, wantFen: 99999999999999999},
		{name: "min", amount: "-" + MaxAmount, currency: "CNY", want: "-" + MaxAmount, wantFen: -99999999999999999},
		{name: "max with leading zeros", amount: "0000999999999999999.99", currency: "CNY", want: MaxAmount, wantFen: 99999999999999999},

		{name: "empty", amount: "", currency: "CNY", code: CodeAmountMalformed},
		{name: "minus only", amount: "-", currency: "CNY", code: CodeAmountMalformed},
		{name: "exponent", amount: "1e3", currency: "CNY", code: CodeAmountMalformed},
		{name: "exponent after decimals", amount: "1.5E2", currency: "CNY", code: CodeAmountMalformed},
		{name: "leading plus", amount: "+1", currency: "CNY", code: CodeAmountMalformed},
		{name: "NaN", amount: "NaN", currency: "CNY", code: CodeAmountMalformed},
		{name: "Inf", amount: "Inf", currency: "CNY", code: CodeAmountMalformed},
		{name: "negative Infinity", amount: "-Infinity", currency: "CNY", code: CodeAmountMalformed},
		{name: "trailing dot", amount: "1.", currency: "CNY", code: CodeAmountMalformed},
		{name: "leading dot", amount: ".5", currency: "CNY", code: CodeAmountMalformed},
		{name: "two dots", amount: "1.2.3", currency: "CNY", code: CodeAmountMalformed},
		{name: "space", amount: " 1", currency: "CNY", code: CodeAmountMalformed},
		{name: "thousands separator", amount: "1,000", currency: "CNY", code: CodeAmountMalformed},
		{name: "hex", amount: "0x10", currency: "CNY", code: CodeAmountMalformed},
		{name: "fullwidth digit", amount: "１", currency: "CNY", code: CodeAmountMalformed},
		{name: "three decimals", amount: "1.234", currency: "CNY", code: CodeAmountScaleExceeded},
		{name: "three decimals trailing zero", amount: "1.230", currency: "CNY", code: CodeAmountScaleExceeded},
		{name: "too large", amount: "1000000000000000", currency: "CNY", code: CodeAmountTooLarge},
		{name: "too large negative", amount: "-1000000000000000.00", currency: "CNY", code: CodeAmountTooLarge},
		{name: "huge", amount: "123456789012345678901234567890", currency: "CNY", code: CodeAmountTooLarge},
		{name: "USD", amount: "1", currency: "USD", code: CodeCurrencyUnsupported},
		{name: "lowercase cny", amount: "1", currency: "cny", code: CodeCurrencyUnsupported},
		{name: "missing currency", amount: "1", currency: "", code: CodeCurrencyUnsupported},
		{name: "amount error wins", amount: "x", currency: "USD", code: CodeAmountMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMoney(tt.amount, tt.currency)
			wantCode(t, err, tt.code)
			if tt.code != "" {
				return
			}
			if got := m.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := m.MinorUnits(); got != tt.wantFen {
				t.Errorf("MinorUnits() = %d, want %d", got, tt.wantFen)
			}
			if m.Currency() != CurrencyCNY {
				t.Errorf("Currency() = %v, want CNY", m.Currency())
			}
			if exp := m.Decimal().Exponent(); exp != -2 {
				t.Errorf("Decimal().Exponent() = %d, want -2", exp)
			}
		})
	}
}

func TestParsePositiveMoney(t *testing.T) {
	tests := []struct {
		amount string
		code   string
	}{
		{amount: "0.01"},
		{amount: MaxAmount},
		{amount: "0", code: CodeAmountNotPositive},
		{amount: "-0", code: CodeAmountNotPositive},
		{amount: "0.00", code: CodeAmountNotPositive},
		{amount: "-0.01", code: CodeAmountNegative},
		{amount: "1.001", code: CodeAmountScaleExceeded},
		{amount: "abc", code: CodeAmountMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.amount, func(t *testing.T) {
			m, err := ParsePositiveMoney(tt.amount, "CNY")
			wantCode(t, err, tt.code)
			if tt.code == "" && !m.IsPositive() {
				t.Errorf("%s is not positive", m)
			}
		})
	}
}

func TestErrorsIsMatchesSentinelByCode(t *testing.T) {
	_, err := ParseMoney("1e3", "CNY")
	if !errors.Is(err, ErrAmountMalformed) {
		t.Fatalf("errors.Is(%v, ErrAmountMalformed) = false", err)
	}
	if errors.Is(err, ErrAmountTooLarge) {
		t.Fatalf("errors.Is(%v, ErrAmountTooLarge) = true", err)
	}
}

func TestCNYPanicsOnInvalidInput(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("CNY(\"1.001\") did not panic")
		}
	}()
	CNY("1.001")
}

func TestZeroCNY(t *testing.T) {
	z := ZeroCNY()
	if !z.IsZero() || z.Currency() != CurrencyCNY || z.String() != "0.00" {
		t.Fatalf("ZeroCNY() = %s %v", z, z.Currency())
	}
}

func TestMoneyArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		a, b    Money
		sum     string
		diff    string
		cmp     int
		sumCode string
		subCode string
	}{
		{name: "simple", a: CNY("0.10"), b: CNY("0.20"), sum: "0.30", diff: "-0.10", cmp: -1},
		{name: "equal", a: CNY("5"), b: CNY("5.00"), sum: "10.00", diff: "0.00", cmp: 0},
		{name: "negative operand", a: CNY("1.01"), b: CNY("-2.02"), sum: "-1.01", diff: "3.03", cmp: 1},
		{name: "sum at bound", a: CNY("999999999999999.98"), b: CNY("0.01"), sum: MaxAmount, diff: "999999999999999.97", cmp: 1},
		{name: "sum beyond bound", a: CNY(MaxAmount), b: CNY("0.01"), sumCode: CodeAmountTooLarge, diff: "999999999999999.98", cmp: 1},
		{name: "difference beyond bound", a: CNY("-" + MaxAmount), b: CNY("0.01"), sum: "-999999999999999.98", subCode: CodeAmountTooLarge, cmp: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := tt.a.Add(tt.b)
			wantCode(t, err, tt.sumCode)
			if tt.sumCode == "" && sum.String() != tt.sum {
				t.Errorf("%s + %s = %s, want %s", tt.a, tt.b, sum, tt.sum)
			}
			diff, err := tt.a.Sub(tt.b)
			wantCode(t, err, tt.subCode)
			if tt.subCode == "" && diff.String() != tt.diff {
				t.Errorf("%s - %s = %s, want %s", tt.a, tt.b, diff, tt.diff)
			}
			if got := tt.a.Cmp(tt.b); got != tt.cmp {
				t.Errorf("Cmp = %d, want %d", got, tt.cmp)
			}
			if got := tt.a.Equal(tt.b); got != (tt.cmp == 0) {
				t.Errorf("Equal = %v, want %v", got, tt.cmp == 0)
			}
		})
	}
}

func TestMoneyArithmeticKeepsScale(t *testing.T) {
	sum, err := CNY("0.1").Add(CNY("0.2"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Decimal().Exponent() != -2 || sum.MinorUnits() != 30 || !sum.Equal(CNY("0.30")) {
		t.Fatalf("0.1 + 0.2 = %s (exp %d)", sum, sum.Decimal().Exponent())
	}
}

func TestMoneyUnsetIsRejected(t *testing.T) {
	var unset Money
	_, err := unset.Add(CNY("1"))
	wantCode(t, err, CodeCurrencyUnsupported)
	_, err = CNY("1").Sub(unset)
	wantCode(t, err, CodeCurrencyUnsupported)
	if unset.Equal(ZeroCNY()) {
		t.Error("unset Money equals 0.00 CNY")
	}
	defer func() {
		if recover() == nil {
			t.Error("Cmp across currencies did not panic")
		}
	}()
	unset.Cmp(ZeroCNY())
}

func TestMoneySignPredicates(t *testing.T) {
	tests := []struct {
		m              Money
		zero, neg, pos bool
		negated        string
	}{
		{m: CNY("0"), zero: true, negated: "0.00"},
		{m: CNY("-3.5"), neg: true, negated: "3.50"},
		{m: CNY("3.5"), pos: true, negated: "-3.50"},
	}
	for _, tt := range tests {
		t.Run(tt.m.String(), func(t *testing.T) {
			if tt.m.IsZero() != tt.zero || tt.m.IsNegative() != tt.neg || tt.m.IsPositive() != tt.pos {
				t.Errorf("IsZero/IsNegative/IsPositive = %v/%v/%v, want %v/%v/%v",
					tt.m.IsZero(), tt.m.IsNegative(), tt.m.IsPositive(), tt.zero, tt.neg, tt.pos)
			}
			if got := tt.m.Neg(); got.String() != tt.negated || got.Currency() != CurrencyCNY {
				t.Errorf("Neg() = %s %v, want %s CNY", got, got.Currency(), tt.negated)
			}
		})
	}
}
