package events

import "github.com/shopspring/decimal"

// maxAmount is MaxAmount as a decimal, for bounds checks after arithmetic.
var maxAmount = decimal.New(maxMinorUnits, -scale)

// Add returns m + o.
//
// Add and Sub return errors rather than panicking: besides a currency
// mismatch (today only reachable with an unset Money, since CNY is the only
// currency), a sum can exceed MaxAmount when it is driven by data such as a
// batch of decoded events, and a payment consumer must be able to reject
// that one input instead of crashing mid-batch. Keeping every Money within
// MaxAmount is what guarantees that anything we encode can be decoded again.
//
// Errors: ErrCurrencyUnsupported if either operand is unset,
// ErrCurrencyMismatch if the currencies differ, ErrAmountTooLarge if the
// result is beyond MaxAmount.
func (m Money) Add(o Money) (Money, error) {
	if err := sameCurrency(m, o); err != nil {
		return Money{}, err
	}
	return bounded(m.amount.Add(o.amount), m.currency)
}

// Sub returns m - o with the same errors as Add.
func (m Money) Sub(o Money) (Money, error) {
	if err := sameCurrency(m, o); err != nil {
		return Money{}, err
	}
	return bounded(m.amount.Sub(o.amount), m.currency)
}

// Neg returns -m. It cannot fail: the bound is symmetric.
func (m Money) Neg() Money {
	return Money{amount: m.amount.Neg(), currency: m.currency}
}

// Cmp returns -1, 0 or +1 as m is less than, equal to or greater than o.
// It panics if the currencies differ: an int result has no way to report
// the error, and any answer would be wrong. Use Equal when the operands may
// legitimately differ in currency.
func (m Money) Cmp(o Money) int {
	if m.currency != o.currency {
		panic("events: Money.Cmp across currencies " + quote(m.currency.String()) + " and " + quote(o.currency.String()))
	}
	return m.amount.Cmp(o.amount)
}

// Equal reports whether m and o have the same currency and amount. It is
// the replacement for ==, which Money deliberately does not support.
func (m Money) Equal(o Money) bool {
	return m.currency == o.currency && m.amount.Equal(o.amount)
}

// IsZero reports whether the amount is zero (regardless of currency).
func (m Money) IsZero() bool { return m.amount.IsZero() }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.amount.IsNegative() }

// IsPositive reports whether the amount is above zero.
func (m Money) IsPositive() bool { return m.amount.IsPositive() }

func sameCurrency(m, o Money) error {
	if !m.currency.IsValid() || !o.currency.IsValid() {
		return newError(CodeCurrencyUnsupported, "currency", "arithmetic on unset Money", nil)
	}
	if m.currency != o.currency {
		return newError(CodeCurrencyMismatch, "currency", m.currency.String()+" vs "+o.currency.String(), nil)
	}
	return nil
}

// bounded wraps an arithmetic result, enforcing the MaxAmount invariant.
// Operands have exponent -2, so sums and differences do too.
func bounded(d decimal.Decimal, c Currency) (Money, error) {
	if d.Abs().GreaterThan(maxAmount) {
		return Money{}, newError(CodeAmountTooLarge, "amount", d.StringFixed(scale)+" exceeds "+MaxAmount, nil)
	}
	return Money{amount: d, currency: c}, nil
}
