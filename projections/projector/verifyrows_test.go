package projector

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestCanonicalAgreesAcrossTheWire checks that a value as the Mapper gives
// it and the same value as the driver reads it back render identically,
// and that different values do not.
func TestCanonicalAgreesAcrossTheWire(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	uint32Ptr := func(v uint32) *uint32 { return &v }
	for _, c := range []struct {
		typ           string
		mapped, typed any
	}{
		{"Decimal(18, 2)", decimal.New(150, -2), decimal.RequireFromString("1.5")},
		{"Decimal(18, 2)", "12.30", decimal.New(1230, -2)},
		{"DateTime('UTC')", at, at.In(time.FixedZone("CST", 8*3600))},
		{"DateTime", "2026-03-01 08:30:00", at},
		{"Date", "2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"UInt32", 7, uint32Ptr(7)},
		{"UInt64", uint64(1) << 40, int64(1) << 40},
		{"LowCardinality(String)", "success", "success"},
		{"Nullable(String)", (*string)(nil), nil},
	} {
		a, errA := canonical(c.mapped, c.typ)
		b, errB := canonical(c.typed, c.typ)
		if errA != nil || errB != nil || a != b {
			t.Errorf("%s: %#v -> %q (%v), %#v -> %q (%v)", c.typ, c.mapped, a, errA, c.typed, b, errB)
		}
	}
	for _, c := range []struct {
		typ  string
		a, b any
	}{
		{"Decimal(18, 2)", decimal.New(150, -2), decimal.New(151, -2)},
		{"DateTime('UTC')", at, at.Add(time.Second)},
		{"Date", "2026-03-01", "2026-03-02"},
		{"String", "a", "b"},
	} {
		x, _ := canonical(c.a, c.typ)
		y, _ := canonical(c.b, c.typ)
		if x == y {
			t.Errorf("%s: %v and %v both render %q", c.typ, c.a, c.b, x)
		}
	}
	if _, err := canonical("1.5x", "Decimal(18, 2)"); err == nil {
		t.Error("a malformed decimal was accepted")
	}
	if compareCanonical("9", "10") >= 0 || compareCanonical("10", "10") != 0 || compareCanonical("b", "a") <= 0 {
		t.Error("compareCanonical does not order integers numerically and the rest as strings")
	}
}
