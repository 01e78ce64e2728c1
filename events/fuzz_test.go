package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
)

var (
	amountRE = regexp.MustCompile(AmountPattern)
	scaleRE  = regexp.MustCompile(`^-?[0-9]+\.[0-9]{3,}$`) // well-formed but too many decimals
)

// FuzzParseMoney checks that ParseMoney never panics, accepts only what
// AmountPattern allows, reports a known code on failure, and that accepted
// amounts round-trip through String and JSON unchanged.
func FuzzParseMoney(f *testing.F) {
	for _, seed := range []string{"12", "12.3", "12.34", "-0.05", "0007.5", MaxAmount, "1e3", "+1", "NaN", "1.234", "1000000000000000", "", "-", ".5"} {
		f.Add(seed, "CNY")
	}
	f.Add("1", "USD")
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m, err := ParseMoney(amount, currency)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseMoney(%q, %q) error %v is not *Error", amount, currency, err)
			}
			// The error must agree with the grammar: malformed exactly when
			// the input is neither a valid amount nor one with excess decimals.
			matches, excessScale := amountRE.MatchString(amount), scaleRE.MatchString(amount)
			var consistent bool
			switch e.Code() {
			case CodeAmountMalformed:
				consistent = !matches && !excessScale
			case CodeAmountScaleExceeded:
				consistent = excessScale
			case CodeAmountTooLarge, CodeCurrencyUnsupported:
				consistent = matches
			}
			if !consistent {
				t.Fatalf("ParseMoney(%q, %q) = %s, inconsistent with AmountPattern", amount, currency, e.Code())
			}
			return
		}
		if !amountRE.MatchString(amount) {
			t.Fatalf("ParseMoney accepted %q, which AmountPattern rejects", amount)
		}
		if m.Decimal().Exponent() != -2 {
			t.Fatalf("ParseMoney(%q) exponent %d", amount, m.Decimal().Exponent())
		}
		if fen := m.MinorUnits(); fen > maxMinorUnits || fen < -maxMinorUnits {
			t.Fatalf("ParseMoney(%q) = %d fen, beyond bound", amount, fen)
		}
		again, err := ParseMoney(m.String(), currency)
		if err != nil || !again.Equal(m) {
			t.Fatalf("String round trip of %q: %s -> %v, %v", amount, m, again, err)
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("Marshal(%s): %v", m, err)
		}
		var back Money
		if err := json.Unmarshal(data, &back); err != nil || !back.Equal(m) {
			t.Fatalf("JSON round trip of %s: %s -> %v, %v", m, data, back, err)
		}
	})
}

// FuzzUnmarshalEnvelope checks that Unmarshal never panics, that whatever it
// accepts re-encodes to bytes that decode to the same envelope, that the
// encoding is a fixed point, and that Decode never panics on it either.
func FuzzUnmarshalEnvelope(f *testing.F) {
	reg := Catalog()
	valid, err := reg.New("probe-1", 1, probe(), probeMeta())
	if err != nil {
		f.Fatal(err)
	}
	seed, err := Marshal(valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(bytes.Replace(seed, []byte(`"sequence":1`), []byte(`"sequence":1,"sequence":2`), 1))
	f.Add(bytes.Replace(seed, []byte(`"0.01"`), []byte(`0.01`), 1))
	f.Add(bytes.Replace(seed, []byte(`Z"`), []byte(`+08:00"`), 1))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"id":"00000000-0000-0000-0000-000000000000","type":"a.b","version":1,"aggregate_id":"x","sequence":1,"correlation_id":"c","causation_id":"c","occurred_at":"2025-01-01T00:00:00Z","payload":{ "k" : [1, 2.5e3, "<&>"] }}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Unmarshal(data)
		if err != nil {
			var coded *Error
			if !errors.As(err, &coded) {
				t.Fatalf("Unmarshal error %v (%T) is not *Error", err, err)
			}
			return
		}
		_, _ = reg.Decode(e) // must not panic; most fuzz payloads are rightly rejected

		out, err := Marshal(e)
		if err != nil {
			t.Fatalf("Marshal of accepted envelope failed: %v\ninput: %q", err, data)
		}
		back, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-decoding failed: %v\nencoded: %s", err, out)
		}
		assertEnvelopeEqual(t, back, e)
		again, err := Marshal(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("encoding is not a fixed point:\n%s\n%s (%v)", out, again, err)
		}
	})
}
