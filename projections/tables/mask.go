package tables

import "strings"

// Masking keeps a bank account recognisable (issuer prefix, last digits)
// without revealing it: at most the first 6 and the last 4 characters are
// kept, and never so many that fewer than minHidden stay hidden.
const (
	keepFirst = 6
	keepLast  = 4
	minHidden = 6
)

// MaskAccount returns account with every character but the first 6 and
// the last 4 replaced by '*', keeping its length, e.g.
// "6222020200112230001" -> "622202*********0001". Shorter accounts give
// away less: under 16 characters only the last 4 are kept, under 10
// nothing is. Characters are runes, so no multi-byte character is split;
// "" stays "".
func MaskAccount(account string) string {
	r := []rune(account)
	n := len(r)
	first, last := keepFirst, keepLast
	switch {
	case n-keepFirst-keepLast >= minHidden:
	case n-keepLast >= minHidden:
		first = 0
	default:
		first, last = 0, 0
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(string(r[:first]))
	b.WriteString(strings.Repeat("*", n-first-last))
	b.WriteString(string(r[n-last:]))
	return b.String()
}
