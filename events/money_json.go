package events

import "encoding/json"

// moneyJSON is the wire shape of Money. The amount is a string, never a JSON
// number, because every mainstream JSON stack decodes numbers as binary
// floats and 0.1 + 0.2 != 0.3.
type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON encodes m as {"amount":"12.30","currency":"CNY"}, always with
// two decimals. An unset Money fails with ErrCurrencyUnsupported.
func (m Money) MarshalJSON() ([]byte, error) {
	if !m.currency.IsValid() {
		return nil, newError(CodeCurrencyUnsupported, "currency", "Money is unset", nil)
	}
	return EncodeJSON(moneyJSON{Amount: m.String(), Currency: m.currency.String()})
}

// UnmarshalJSON decodes {"amount":"12.30","currency":"CNY"} with the rules of
// ParseMoney. It is strict: the value must be an object with exactly the
// members amount and currency, each a JSON string, with no duplicates. A
// JSON number for the amount fails with ErrAmountMalformed so that floats
// can never enter; null, like any non-object, fails the same way because a
// payment amount is never optional at this level (use *Money for that).
func (m *Money) UnmarshalJSON(data []byte) error {
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
