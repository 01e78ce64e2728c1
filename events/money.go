package events

import (
	"github.com/shopspring/decimal"
)

// MaxAmount is the largest magnitude a Money may hold: 15 integer digits and
// two decimals, so every amount fits a DECIMAL(17,2) column. Bounding every
// Money (arithmetic results included) keeps MinorUnits exact in an int64 and
// guarantees that anything we encode can be decoded again.
const MaxAmount = "999999999999999.99"

// AmountPattern is the grammar of an amount string: optional minus sign,
// ASCII digits, and at most two decimals. No exponent, no plus sign, no
// whitespace. The JSON Schemas publish it, and ParseMoney accepts exactly
// the strings it matches whose magnitude is within MaxAmount.
const AmountPattern = `^-?[0-9]+(\.[0-9]{1,2})?$`

const (
	scale         = 2                        // decimal places, fixed: CNY has fen
	maxMinorUnits = int64(99999999999999999) // MaxAmount in fen
	maxIntDigits  = 15                       // significant integer digits allowed by MaxAmount
)

// Money is an exact amount of a currency with a fixed scale of two decimal
// places. It is a value type; the zero Money is "unset" (it has no currency)
// and is rejected by arithmetic and by MarshalJSON, so a forgotten field
// fails loudly instead of silently meaning zero yuan.
//
// Money is deliberately not comparable: == would compare decimal internals
// (pointers), not amounts. Use Equal or Cmp.
type Money struct {
	_        [0]func() // makes Money non-comparable, so == does not compile
	amount   decimal.Decimal
	currency Currency
}

// ParseMoney parses a plain decimal amount string such as "12", "12.3",
// "-12.34" in the given currency. The grammar is AmountPattern; anything
// else ("", "1e3", "+1", " 1", "1.", ".5", "NaN", "Inf") fails with
// ErrAmountMalformed. More than two decimals fails with
// ErrAmountScaleExceeded even when the extra digits are zeros ("1.230"),
// because silently dropping digits of money is never acceptable. Magnitudes
// beyond MaxAmount fail with ErrAmountTooLarge, and any currency other than
// CNY with ErrCurrencyUnsupported. Amount errors take precedence over
// currency errors.
//
// The amount is parsed by hand into integer fen rather than through
// decimal.NewFromString, which also accepts exponent notation ("1e3").
func ParseMoney(amount, currency string) (Money, error) {
	fen, err := parseFen(amount)
	if err != nil {
		return Money{}, err
	}
	cur, err := ParseCurrency(currency)
	if err != nil {
		return Money{}, err
	}
	return fromMinorUnits(fen, cur), nil
}

// ParsePositiveMoney is ParseMoney restricted to amounts greater than zero,
// as required for payment and transfer instructions. Negative amounts fail
// with ErrAmountNegative and zero (including "-0") with
// ErrAmountNotPositive, so callers can tell a sign bug from an empty amount.
func ParsePositiveMoney(amount, currency string) (Money, error) {
	m, err := ParseMoney(amount, currency)
	if err != nil {
		return Money{}, err
	}
	switch {
	case m.IsNegative():
		return Money{}, newError(CodeAmountNegative, "amount", quote(amount)+" is negative", nil)
	case m.IsZero():
		return Money{}, newError(CodeAmountNotPositive, "amount", quote(amount)+" is zero", nil)
	}
	return m, nil
}

// CNY parses amount as CNY and panics if it is invalid. It exists for tests
// and compile-time constants; never feed it external input.
func CNY(amount string) Money {
	m, err := ParseMoney(amount, CurrencyCNY.String())
	if err != nil {
		panic("events.CNY(" + quote(amount) + "): " + err.Error())
	}
	return m
}

// ZeroCNY returns 0.00 CNY, the starting point for sums (the zero Money
// cannot be used for that, as it has no currency).
func ZeroCNY() Money {
	return fromMinorUnits(0, CurrencyCNY)
}

// fromMinorUnits builds a Money from fen. Every constructor goes through it
// so the amount always has exponent -2, which Decimal and MinorUnits rely on.
// The caller guarantees |fen| <= maxMinorUnits and a valid currency.
func fromMinorUnits(fen int64, c Currency) Money {
	return Money{amount: decimal.New(fen, -scale), currency: c}
}

// parseFen converts an amount string matching AmountPattern into fen,
// checking grammar first, then scale, then magnitude.
func parseFen(s string) (int64, error) {
	malformed := func() (int64, error) {
		return 0, newError(CodeAmountMalformed, "amount", quote(s)+" is not a plain decimal like 12.34", nil)
	}
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	if intPart == "" {
		return malformed()
	}
	frac := ""
	if i < len(s) {
		if s[i] != '.' {
			return malformed()
		}
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fracStart:i]
		if frac == "" || i != len(s) {
			return malformed()
		}
	}
	if len(frac) > scale {
		return 0, newError(CodeAmountScaleExceeded, "amount", quote(s)+" has more than 2 decimal places", nil)
	}
	// Leading zeros carry no magnitude; strip them before counting digits so
	// "000001.00" is accepted just as AmountPattern accepts it.
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(intPart) > maxIntDigits {
		return 0, newError(CodeAmountTooLarge, "amount", quote(s)+" exceeds "+MaxAmount, nil)
	}
	for len(frac) < scale {
		frac += "0" // "12.3" is 1230 fen
	}
	var fen int64
	for _, d := range intPart + frac {
		fen = fen*10 + int64(d-'0') // at most 17 digits: cannot overflow int64
	}
	if neg {
		fen = -fen
	}
	return fen, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Currency returns the currency, or the zero Currency for an unset Money.
func (m Money) Currency() Currency { return m.currency }

// Decimal returns the exact amount with exponent -2 (so "12.30" keeps its
// trailing zero in Coefficient/Exponent terms). Decimal values are immutable.
func (m Money) Decimal() decimal.Decimal { return m.amount }

// MinorUnits returns the amount in fen (hundredths of a yuan). It is always
// exact: MaxAmount in fen fits comfortably in an int64.
func (m Money) MinorUnits() int64 { return m.amount.Shift(scale).IntPart() }

// String formats the amount with exactly two decimals, e.g. "12.30" or
// "-0.05", without the currency; it is the same text used on the wire.
func (m Money) String() string { return m.amount.StringFixed(scale) }
