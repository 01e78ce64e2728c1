package tables

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMaskAccount(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"19-digit debit card", "6222020200112230001", "622202*********0001"},
		{"16-digit card", "6222020200112233", "622202******2233"},
		{"32 digits, the longest intake accepts", "12345678901234567890123456789012", "123456**********************9012"},
		{"15 characters keep only the last 4", "622202020011223", "***********1223"},
		{"12 digits, the shortest intake accepts", "622202020011", "********0011"},
		{"10 characters keep the last 4", "1234567890", "******7890"},
		{"9 characters keep nothing", "123456789", "*********"},
		{"one character", "7", "*"},
		{"separators are masked too", "6222 0202 0011 2230 001", "6222 0************* 001"},
		{"runes, not bytes", "账户账户账户账户账户账户账户账户", "账户账户账户******账户账户"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskAccount(tt.in); got != tt.want {
				t.Errorf("MaskAccount(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestMaskAccountHides checks the rule for every length: the length is
// kept, at most 6 leading and 4 trailing characters survive, and at
// least 6 (or all, when shorter) are hidden.
func TestMaskAccountHides(t *testing.T) {
	const digits = "9876543210987654321098765432109876543210"
	for n := 0; n <= len(digits); n++ {
		account := digits[:n]
		got := MaskAccount(account)
		if utf8.RuneCountInString(got) != n {
			t.Fatalf("MaskAccount(%q) = %q: length changed", account, got)
		}
		hidden := strings.Count(got, "*")
		if hidden < min(n, minHidden) {
			t.Errorf("MaskAccount(%q) = %q hides %d characters, want at least %d", account, got, hidden, min(n, minHidden))
		}
		prefix := len(got) - len(strings.TrimLeft(got, "0123456789"))
		suffix := len(got) - len(strings.TrimRight(got, "0123456789"))
		if prefix > keepFirst || suffix > keepLast || prefix+hidden+suffix != n {
			t.Errorf("MaskAccount(%q) = %q: want at most %d leading and %d trailing characters, the rest masked",
				account, got, keepFirst, keepLast)
		}
		if n > 0 && strings.Contains(got, account) {
			t.Errorf("MaskAccount(%q) = %q contains the account", account, got)
		}
	}
}
