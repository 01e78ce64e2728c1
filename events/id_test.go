package events

import (
	"regexp"
	"testing"
)

var uuidV8 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDeriveIDIsDeterministic(t *testing.T) {
	a := DeriveID("cmd-7f3a", "payer_debited")
	b := DeriveID("cmd-7f3a", "payer_debited")
	if a != b {
		t.Fatalf("same parts gave %s and %s", a, b)
	}
	if !uuidV8.MatchString(a) || !isCanonicalUUID(a) {
		t.Fatalf("%s is not a canonical version 8 UUID", a)
	}
}

// TestDeriveIDGolden pins the derivation: changing it would give replayed
// commands new event IDs and break deduplication against stored events.
func TestDeriveIDGolden(t *testing.T) {
	const want = "3f890f51-b1ed-86ce-aa36-ee15ed1e9198" // cross-checked with an independent Python implementation
	if got := DeriveID("cmd-1", "payer_debited"); got != want {
		t.Fatalf("DeriveID(cmd-1, payer_debited) = %s, want %s", got, want)
	}
}

func TestDeriveIDIsDistinct(t *testing.T) {
	inputs := [][]string{
		{"ab", "c"},
		{"a", "bc"},
		{"abc"},
		{"a", "b", "c"},
		{"a\x00b"},
		{"a", "b"},
		{"a|b"},
		{""},
		{"", ""},
		{"cmd-1", "payer_debited"},
		{"cmd-1", "reserve_debited"},
		{"cmd-2", "payer_debited"},
	}
	seen := map[string][]string{}
	for _, parts := range inputs {
		id := DeriveID(parts...)
		if prev, dup := seen[id]; dup {
			t.Errorf("DeriveID(%q) == DeriveID(%q) == %s", parts, prev, id)
		}
		seen[id] = parts
	}
}

func TestDeriveIDWithoutPartsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("DeriveID() did not panic")
		}
	}()
	DeriveID()
}
