package banklink

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestZeroLinkInjectsNothing(t *testing.T) {
	var l Link
	for i := 0; i < 1000; i++ {
		id := fmt.Sprint(i)
		if l.Dropped(id) || l.ReplyLost(id) || l.QueryUnknown(id) || l.Latency(id) != 0 {
			t.Fatalf("zero link injected a fault for %s", id)
		}
	}
}

func TestDecisionsAreDeterministicAndNearTheirRates(t *testing.T) {
	cfg := Config{Seed: 42, TimeoutRate: 0.1, LostReplyRate: 0.3, QueryUnknownRate: 0.5, LatencyMin: time.Millisecond, LatencyMax: 5 * time.Millisecond}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(cfg)
	const n = 20000
	var dropped, lost, unknown int
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("txn-%d", i)
		if a.Dropped(id) != b.Dropped(id) || a.Latency(id) != b.Latency(id) {
			t.Fatalf("same seed, different decision for %s", id)
		}
		if d := a.Latency(id); d < cfg.LatencyMin || d > cfg.LatencyMax {
			t.Fatalf("latency %v outside bounds", d)
		}
		if a.Dropped(id) {
			dropped++
		}
		if a.ReplyLost(id) {
			lost++
		}
		if a.QueryUnknown(id) {
			unknown++
		}
	}
	for name, got := range map[string]struct {
		n    int
		rate float64
	}{"timeout": {dropped, 0.1}, "lost": {lost, 0.3}, "unknown": {unknown, 0.5}} {
		if share := float64(got.n) / n; math.Abs(share-got.rate) > 0.02 {
			t.Errorf("%s share %.3f, want about %.2f", name, share, got.rate)
		}
	}
}

func TestSeedChangesDecisions(t *testing.T) {
	a, _ := New(Config{Seed: 1, TimeoutRate: 0.5})
	b, _ := New(Config{Seed: 2, TimeoutRate: 0.5})
	same := 0
	for i := 0; i < 1000; i++ {
		if a.Dropped(fmt.Sprint(i)) == b.Dropped(fmt.Sprint(i)) {
			same++
		}
	}
	if same > 600 {
		t.Fatalf("seeds 1 and 2 agree on %d of 1000 decisions", same)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{{TimeoutRate: -0.1}, {LostReplyRate: 1.5}, {LatencyMin: 2, LatencyMax: 1}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted invalid config", c)
		}
	}
}
