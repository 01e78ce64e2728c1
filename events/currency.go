package events

// Currency is an ISO 4217 currency supported by paycore. It is a struct
// with an unexported code, rather than a string type, so that code outside
// this package cannot conjure an unsupported currency with a conversion;
// the only ways to obtain one are CurrencyCNY and ParseCurrency.
//
// The zero Currency is invalid: it marks a Money that was never set.
type Currency struct {
	code string
}

// CurrencyCNY is the Chinese yuan renminbi, the only currency NetsUnion
// agreement payments settle in.
var CurrencyCNY = Currency{code: "CNY"}

// Currencies lists every supported currency. Schema generation uses it, so
// adding a currency here is all it takes for the schemas to follow.
func Currencies() []Currency {
	return []Currency{CurrencyCNY}
}

// ParseCurrency returns the supported currency with the given ISO 4217 code.
// Matching is exact and case-sensitive ("cny" is rejected) because codes are
// machine-produced and tolerance here would only hide producer bugs.
// Any other input fails with ErrCurrencyUnsupported.
func ParseCurrency(code string) (Currency, error) {
	for _, c := range Currencies() {
		if c.code == code {
			return c, nil
		}
	}
	return Currency{}, newError(CodeCurrencyUnsupported, "currency", quote(code)+" is not supported", nil)
}

// String returns the ISO 4217 code, or "" for the zero Currency.
func (c Currency) String() string { return c.code }

// IsValid reports whether c is a supported currency, i.e. not the zero value.
func (c Currency) IsValid() bool { return c.code != "" }

// MarshalText encodes c as its ISO 4217 code. The zero Currency fails with
// ErrCurrencyUnsupported so that an unset currency never reaches the wire.
func (c Currency) MarshalText() ([]byte, error) {
	if !c.IsValid() {
		return nil, newError(CodeCurrencyUnsupported, "currency", "currency is not set", nil)
	}
	return []byte(c.code), nil
}

// UnmarshalText decodes an ISO 4217 code with the rules of ParseCurrency.
func (c *Currency) UnmarshalText(text []byte) error {
	parsed, err := ParseCurrency(string(text))
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}
