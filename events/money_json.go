package events

import "encoding/json"

// The wire shape of Money is {"amount":"12.30","currency":"CNY"}. The
// amount is a string, never a JSON number, because every mainstream JSON
// stack decodes numbers as binary floats and 0.1 + 0.2 != 0.3.

// MarshalJSON encodes m as {"amount":"12.30","currency":"CNY"}, always with
// two decimals. An unset Money fails with ErrCurrencyUnsupported.
//
// It is built by hand, not through an encoder: both strings are plain
// ASCII (digits, '.', '-' and an ISO code) that JSON never escapes, and a
// Money is in nearly every payload, so an encoder per value was a
// measurable share of a processor's CPU.
func (m Money) MarshalJSON() ([]byte, error) {
	if !m.currency.IsValid() {
		return nil, newError(CodeCurrencyUnsupported, "currency", "Money is unset", nil)
	}
	amount, cur := m.String(), m.currency.String()
	out := make([]byte, 0, len(moneyPrefix)+len(amount)+len(moneyMiddle)+len(cur)+len(moneySuffix))
	out = append(out, moneyPrefix...)
	out = append(out, amount...)
	out = append(out, moneyMiddle...)
	out = append(out, cur...)
	return append(out, moneySuffix...), nil
}

// The canonical encoding is moneyPrefix amount moneyMiddle currency
// moneySuffix: what MarshalJSON writes, and what UnmarshalJSON reads
// without the general decoder.
const (
	moneyPrefix = `{"amount":"`
	moneyMiddle = `","currency":"`
	moneySuffix = `"}`
)

// canonicalMoney returns the amount and currency strings of data when it
// is exactly the canonical encoding with plain-ASCII contents (amount
// characters from AmountPattern's alphabet, currency letters), the form
// every record paycore writes has. Those strings need no unescaping, so
// they are what the strict decoder would hand to ParseMoney; anything else
// (other member order, whitespace, escapes, extra members) returns false
// and takes the strict path.
func canonicalMoney(data []byte) (amount, currency string, ok bool) {
	if len(data) < len(moneyPrefix)+len(moneyMiddle)+len(moneySuffix) ||
		string(data[:len(moneyPrefix)]) != moneyPrefix ||
		string(data[len(data)-len(moneySuffix):]) != moneySuffix {
		return "", "", false
	}
	body := data[len(moneyPrefix) : len(data)-len(moneySuffix)]
	i := 0
	for i < len(body) && (isDigit(body[i]) || body[i] == '.' || body[i] == '-') {
		i++
	}
	rest := body[i:]
	if len(rest) < len(moneyMiddle) || string(rest[:len(moneyMiddle)]) != moneyMiddle {
		return "", "", false
	}
	code := rest[len(moneyMiddle):]
	for _, c := range code {
		if c < 'A' || c > 'Z' {
			return "", "", false
		}
	}
	return string(body[:i]), string(code), true
}

// UnmarshalJSON decodes {"amount":"12.30","currency":"CNY"} with the rules of
// ParseMoney. It is strict: the value must be an object with exactly the
// members amount and currency, each a JSON string, with no duplicates. A
// JSON number for the amount fails with ErrAmountMalformed so that floats
// can never enter; null, like any non-object, fails the same way because a
// payment amount is never optional at this level (use *Money for that).
func (m *Money) UnmarshalJSON(data []byte) error {
	if amount, currency, ok := canonicalMoney(data); ok {
		parsed, err := ParseMoney(amount, currency)
		if err != nil {
			return err
		}
		*m = parsed
		return nil
	}
	members, err := decodeObject(data)
	if err != nil {
		return newError(CodeAmountMalformed, "amount", "money must be an object {amount, currency}", err)
	}
	for name := range members {
		if name != "amount" && name != "currency" {
			return newError(CodeAmountMalformed, name, "unknown member in money object", nil)
		}
	}
	rawAmount, ok := members["amount"]
	if !ok || !isJSONString(rawAmount) {
		return newError(CodeAmountMalformed, "amount", "amount must be a JSON string such as \"12.30\"", nil)
	}
	rawCurrency, ok := members["currency"]
	if !ok || !isJSONString(rawCurrency) {
		return newError(CodeCurrencyUnsupported, "currency", "currency must be a JSON string such as \"CNY\"", nil)
	}
	var amount, currency string
	if err := json.Unmarshal(rawAmount, &amount); err != nil {
		return newError(CodeAmountMalformed, "amount", "", err)
	}
	if err := json.Unmarshal(rawCurrency, &currency); err != nil {
		return newError(CodeCurrencyUnsupported, "currency", "", err)
	}
	parsed, err := ParseMoney(amount, currency)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
