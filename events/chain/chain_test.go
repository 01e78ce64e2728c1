package chain

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// probe returns event seq of aggregate agg, carrying amount.
func probe(t *testing.T, agg string, seq uint64, amount string) events.Envelope {
	t.Helper()
	at := time.Date(2026, 3, 1, 8, 0, int(seq), 0, time.UTC)
	env, err := events.Catalog().New(agg, seq, events.ProbeSent{ProbeID: agg, Amount: events.CNY(amount), SentAt: at}, events.Meta{
		ID: events.DeriveID(agg, string(rune('a'+seq))), CorrelationID: agg, CausationID: agg, OccurredAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func newChainer(t *testing.T, key []byte) *Chainer {
	t.Helper()
	c, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSealEncodesLikeMarshal: the spliced encoding Seal returns is exactly
// events.Marshal of the envelope with Chain set, and decodes back to it.
func TestSealEncodesLikeMarshal(t *testing.T) {
	c := newChainer(t, testKey)
	env := probe(t, "agg-1", 1, "12.30")
	wire, v, err := c.Seal(Value{}, env)
	if err != nil {
		t.Fatal(err)
	}
	env.Chain = v.String()
	want, err := events.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wire, want) {
		t.Fatalf("Seal encoded\n%s\nMarshal gives\n%s", wire, want)
	}
	back, err := events.Unmarshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	if back.Chain != v.String() {
		t.Fatalf("decoded chain %q, want %q", back.Chain, v)
	}
	got, chained, ok := c.CheckRecord(Value{}, wire)
	if !chained || !ok || got != v {
		t.Fatalf("CheckRecord of a sealed event = %v, %v, %v", got, chained, ok)
	}
}

// TestLinkCoversKeyPredecessorAndEveryByte: the value changes with the
// key, the previous value and the event's content, and nothing else.
func TestLinkCoversKeyPredecessorAndEveryByte(t *testing.T) {
	c := newChainer(t, testKey)
	env := probe(t, "agg-1", 2, "12.30")
	prev := Value{1}
	_, base, err := c.Seal(prev, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, again, _ := c.Seal(prev, env); again != base {
		t.Fatal("the same event and predecessor gave two values")
	}
	other := newChainer(t, []byte("another-key-another-key-another-key"))
	if _, v, _ := other.Seal(prev, env); v == base {
		t.Error("another key gave the same value")
	}
	if _, v, _ := c.Seal(Value{2}, env); v == base {
		t.Error("another predecessor gave the same value")
	}
	changed := probe(t, "agg-1", 2, "12.31")
	if _, v, _ := c.Seal(prev, changed); v == base {
		t.Error("another amount gave the same value")
	}
	moved := env
	moved.Sequence = 3
	if _, v, _ := c.Seal(prev, moved); v == base {
		t.Error("another sequence gave the same value")
	}
	// Chain itself is not covered: a value is never part of its own input.
	withChain := env
	withChain.Chain = strings.Repeat("ab", 32)
	if _, v, _ := c.Seal(prev, withChain); v != base {
		t.Error("the Chain member changed the value")
	}
}

func TestCheckRecordRejectsAlteredRecordsAndTellsUnchained(t *testing.T) {
	c := newChainer(t, testKey)
	env := probe(t, "agg-1", 1, "12.30")
	wire, v, _ := c.Seal(Value{}, env)
	altered := bytes.Replace(wire, []byte(`"12.30"`), []byte(`"99.30"`), 1)
	if bytes.Equal(altered, wire) {
		t.Fatal("fixture replacement did not apply")
	}
	if _, chained, ok := c.CheckRecord(Value{}, altered); !chained || ok {
		t.Fatalf("altered payload: chained %v ok %v, want a mismatch", chained, ok)
	}
	if _, chained, ok := c.CheckRecord(v, wire); !chained || ok {
		t.Fatalf("wrong predecessor: chained %v ok %v, want a mismatch", chained, ok)
	}
	// Re-encoded (here: a space inserted, which a JSON decoder ignores):
	// the bytes are not what was hashed.
	spaced := bytes.Replace(wire, []byte(`{"id"`), []byte(`{ "id"`), 1)
	if _, chained, ok := c.CheckRecord(Value{}, spaced); !chained || ok {
		t.Fatalf("re-encoded record: chained %v ok %v, want a mismatch", chained, ok)
	}
	legacy, _ := events.Marshal(env)
	if _, chained, _ := c.CheckRecord(Value{}, legacy); chained {
		t.Fatal("a record without chain value reported chained")
	}
}

func TestParse(t *testing.T) {
	v := Value{0xde, 0xad}
	got, ok, err := Parse(v.String())
	if err != nil || !ok || got != v {
		t.Fatalf("Parse(%s) = %v, %v, %v", v, got, ok, err)
	}
	if _, ok, err := Parse(""); ok || err != nil {
		t.Fatalf("empty: ok %v err %v", ok, err)
	}
	for _, bad := range []string{"abc", strings.Repeat("zz", 32), strings.Repeat("a", 66)} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	env := probe(t, "agg-1", 1, "1.00")
	env.Chain = strings.Repeat("AB", 32)
	if _, err := events.Marshal(env); err == nil {
		t.Error("an envelope with an upper-case chain value was encoded")
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k, err := LoadKey(write("ok", strings.Repeat("f", 64)+"\n"))
	if err != nil || string(k) != strings.Repeat("f", 64) {
		t.Fatalf("LoadKey = %q, %v", k, err)
	}
	if _, err := LoadKey(write("short", "too-short\n")); err == nil {
		t.Error("a 9-byte key was accepted")
	}
	if _, err := LoadKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
	if _, err := New(nil); err == nil {
		t.Error("New accepted an empty key")
	}
}

func TestKeyOfIsStable(t *testing.T) {
	if KeyOf("txn-1") != KeyOf("txn-1") || KeyOf("txn-1") == KeyOf("txn-2") {
		t.Fatal("KeyOf is not a function of the aggregate ID")
	}
}

// BenchmarkSeal and BenchmarkCheckRecord measure the per-event cost the runtime
// pays when it appends an event and when it rebuilds.
func BenchmarkSeal(b *testing.B) {
	c, _ := New(testKey)
	env := probe(&testing.T{}, "txn-0123456789", 3, "1234.56")
	for b.Loop() {
		if _, _, err := c.Seal(Value{}, env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckRecord(b *testing.B) {
	c, _ := New(testKey)
	wire, _, _ := c.Seal(Value{}, probe(&testing.T{}, "txn-0123456789", 3, "1234.56"))
	for b.Loop() {
		if _, _, ok := c.CheckRecord(Value{}, wire); !ok {
			b.Fatal("does not verify")
		}
	}
}
