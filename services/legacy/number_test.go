package legacy

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/payerkey"
)

func testDeriver(t *testing.T) payerkey.Deriver {
	t.Helper()
	d, err := payerkey.NewDeriver("test-payer-key-secret")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A new number is a valid paycore number routing to the payer key, for
// legacy numbers of every length up to the maximum, and keeps nothing of
// the legacy number: a long number is mapped, never cut to fit.
func TestNewAgreementNoIsNetsUnionFormForAnyLength(t *testing.T) {
	key := testDeriver(t).Key("6222020000000101")
	for n := 1; n <= events.LegacyNoMaxLen; n++ {
		legacyNo := strings.Repeat("9", n)
		no := NewAgreementNo(key, "alipay", legacyNo)
		got, err := payerkey.FromAgreementNo(no)
		if err != nil || got != key || len(no) != payerkey.AgreementNoLen {
			t.Fatalf("length %d: %q routes to %q (%v)", n, no, got, err)
		}
		if n >= 8 && strings.Contains(no, legacyNo[:8]) {
			t.Errorf("length %d: %q carries part of the legacy number", n, no)
		}
		want := events.MappingNotNetsUnionForm
		if n > payerkey.AgreementNoLen {
			want = events.MappingExceedsField
		}
		if r := mappingReason(legacyNo); r != want {
			t.Errorf("length %d: reason %s, want %s", n, r, want)
		}
	}
}

// The number depends on exactly (payer key, channel, legacy number), and
// on all of the legacy number: numbers differing only in their last
// character (where truncation would cut) map apart.
func TestNewAgreementNoIsDeterministic(t *testing.T) {
	d := testDeriver(t)
	k1, k2 := d.Key("6222020000000101"), d.Key("6222020000000102")
	long := "2018052100010020030040050060070080090010"
	base := NewAgreementNo(k1, "alipay", long)
	if again := NewAgreementNo(k1, "alipay", long); again != base {
		t.Fatalf("not deterministic: %s, %s", base, again)
	}
	for name, other := range map[string]string{
		"last character": NewAgreementNo(k1, "alipay", long[:len(long)-1]+"1"),
		"truncated":      NewAgreementNo(k1, "alipay", long[:payerkey.AgreementNoLen]),
		"channel":        NewAgreementNo(k1, "tenpay", long),
		"payer key":      NewAgreementNo(k2, "alipay", long),
		// Parts are length-prefixed: shifting a character between the
		// channel and the number changes the result.
		"boundary": NewAgreementNo(k1, "alipay2", long[1:]),
	} {
		if other == base {
			t.Errorf("%s: same number %s", name, base)
		}
	}
}

// No collisions in a large random set: 200,000 random legacy numbers of
// random lengths (1-64) on a handful of accounts, where a collision would
// matter (the same payer key), and none of them equals a signed number.
func TestNewAgreementNoHasNoCollisions(t *testing.T) {
	d := testDeriver(t)
	keys := []string{d.Key("6222020000000101"), d.Key("6222020000000102"), d.Key("6222020000000103")}
	rng := rand.New(rand.NewPCG(2018, 630))
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
	seen := map[string]string{}
	legacy := map[string]bool{}
	for len(legacy) < 200_000 {
		b := make([]byte, 1+rng.IntN(events.LegacyNoMaxLen))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		no := string(b)
		if legacy[no] {
			continue
		}
		legacy[no] = true
		key := keys[rng.IntN(len(keys))]
		agr := NewAgreementNo(key, "alipay", no)
		if prev, dup := seen[agr]; dup {
			t.Fatalf("%s and %s both map to %s", prev, no, agr)
		}
		seen[agr] = no
	}
	for i := range 1000 {
		signed := payerkey.AgreementNo(keys[0], events.DeriveID("signing", "alipay", string(rune('a'+i%26)), string(rune(i))))
		if no, dup := seen[signed]; dup {
			t.Fatalf("signed number %s equals the mapping of %s", signed, no)
		}
	}
}
