package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestMoneyJSONRoundTrip(t *testing.T) {
	for _, in := range []string{"0", "12.3", "-0.05", MaxAmount, "-" + MaxAmount} {
		t.Run(in, func(t *testing.T) {
			m := CNY(in)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"amount":"` + m.String() + `","currency":"CNY"}`
			if string(data) != want {
				t.Fatalf("Marshal = %s, want %s", data, want)
			}
			var back Money
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(m) {
				t.Fatalf("round trip = %s, want %s", back, m)
			}
		})
	}
}

func TestMoneyMarshalUnsetFails(t *testing.T) {
	_, err := Money{}.MarshalJSON()
	wantCode(t, err, CodeCurrencyUnsupported)
}

func TestMoneyUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		code string
	}{
		{name: "canonical", in: `{"amount":"12.30","currency":"CNY"}`, want: "12.30"},
		{name: "short form", in: `{"currency":"CNY","amount":"12.3"}`, want: "12.30"},
		{name: "escaped digits", in: `{"amount":"\u0031","currency":"CNY"}`, want: "1.00"},
		{name: "whitespace", in: " {\n\"amount\" : \"1\" , \"currency\":\"CNY\" } ", want: "1.00"},

		{name: "float amount", in: `{"amount":12.30,"currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "integer amount", in: `{"amount":12,"currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "exponent number", in: `{"amount":1e3,"currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "exponent string", in: `{"amount":"1e3","currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "null amount", in: `{"amount":null,"currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "missing amount", in: `{"currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "bare number", in: `12.30`, code: CodeAmountMalformed},
		{name: "bare string", in: `"12.30"`, code: CodeAmountMalformed},
		{name: "null", in: `null`, code: CodeAmountMalformed},
		{name: "unknown member", in: `{"amount":"1","currency":"CNY","fx":"1"}`, code: CodeAmountMalformed},
		{name: "wrong case member", in: `{"Amount":"1","currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "duplicate amount", in: `{"amount":"1","amount":"1000","currency":"CNY"}`, code: CodeAmountMalformed},
		{name: "trailing data", in: `{"amount":"1","currency":"CNY"}{}`, code: CodeAmountMalformed},
		{name: "scale", in: `{"amount":"1.001","currency":"CNY"}`, code: CodeAmountScaleExceeded},
		{name: "too large", in: `{"amount":"1000000000000000","currency":"CNY"}`, code: CodeAmountTooLarge},
		{name: "USD", in: `{"amount":"1","currency":"USD"}`, code: CodeCurrencyUnsupported},
		{name: "missing currency", in: `{"amount":"1"}`, code: CodeCurrencyUnsupported},
		{name: "numeric currency", in: `{"amount":"1","currency":156}`, code: CodeCurrencyUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Money
			err := m.UnmarshalJSON([]byte(tt.in)) // directly: json.Unmarshal would pre-empt some rows

			wantCode(t, err, tt.code)
			if tt.code == "" && m.String() != tt.want {
				t.Fatalf("got %s, want %s", m, tt.want)
			}
		})
	}
}

func TestMoneyInStructRejectsFloat(t *testing.T) {
	var v struct {
		Amount Money `json:"amount"`
	}
	err := json.Unmarshal([]byte(`{"amount":{"amount":0.1,"currency":"CNY"}}`), &v)
	wantCode(t, err, CodeAmountMalformed)
}

func TestCurrencyText(t *testing.T) {
	data, err := json.Marshal(CurrencyCNY)
	if err != nil || string(data) != `"CNY"` {
		t.Fatalf("Marshal(CNY) = %s, %v", data, err)
	}
	var c Currency
	wantCode(t, json.Unmarshal([]byte(`"EUR"`), &c), CodeCurrencyUnsupported)
	if _, err := json.Marshal(Currency{}); err == nil {
		t.Fatal("marshalling the zero Currency succeeded")
	}
}

// The canonical fast path must decide exactly as the strict decoder does:
// same Money or same reason code, for canonical-looking inputs that are
// valid, malformed, out of range or in an unsupported currency.
func TestMoneyCanonicalFastPathAgreesWithStrict(t *testing.T) {
	amounts := []string{"0", "0.00", "12.3", "12.30", "-0.05", "1.230", "1e3", "-", "", ".5", "1.",
		"--1", "1-1", MaxAmount, "-" + MaxAmount, "1000000000000000.00", "007.10"}
	currencies := []string{"CNY", "USD", "", "cny", "CN"}
	for _, a := range amounts {
		for _, c := range currencies {
			in := []byte(moneyPrefix + a + moneyMiddle + c + moneySuffix)
			plain := strings.Trim(a, "0123456789.-") == "" && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
			if _, _, ok := canonicalMoney(in); ok != plain {
				t.Fatalf("canonicalMoney(%s) taken = %v, want %v", in, ok, plain)
			}
			var fast Money
			fastErr := fast.UnmarshalJSON(in)
			// The same value with whitespace never takes the fast path.
			spaced := []byte(`{ "amount":"` + a + `", "currency":"` + c + `" }`)
			if _, _, ok := canonicalMoney(spaced); ok {
				t.Fatalf("canonicalMoney(%s) taken", spaced)
			}
			var strict Money
			strictErr := strict.UnmarshalJSON(spaced)
			if (fastErr == nil) != (strictErr == nil) {
				t.Fatalf("%s: fast err %v, strict err %v", in, fastErr, strictErr)
			}
			if fastErr != nil {
				if codeOf(fastErr) != codeOf(strictErr) {
					t.Fatalf("%s: fast code %s, strict code %s", in, codeOf(fastErr), codeOf(strictErr))
				}
				continue
			}
			if !fast.Equal(strict) {
				t.Fatalf("%s: fast %s, strict %s", in, fast, strict)
			}
		}
	}
}

func TestMoneyCanonicalFastPathRefusesNonCanonical(t *testing.T) {
	for _, in := range []string{
		`{"amount":"1","currency":"CNY","fx":"1"}`,
		`{"amount":"1\"","currency":"CNY"}`,
		`{"amount":"\u0031","currency":"CNY"}`,
		`{"currency":"CNY","amount":"1"}`,
		`{"amount":"1","currency":"CNY"}{}`,
		`{"amount":"1","amount":"2","currency":"CNY"}`,
	} {
		if _, _, ok := canonicalMoney([]byte(in)); ok {
			t.Errorf("canonicalMoney(%s) taken", in)
		}
	}
}

// codeOf returns the reason code of err, "" when it carries none.
func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return ""
}
