package scenarios

import (
	"testing"
	"time"
)

func sample(at time.Duration, saga ...int64) LagSample {
	return LagSample{At: at, Lag: map[string][]int64{"saga": saga, "payer": {1}}}
}

func TestSampleTotalsAndDrain(t *testing.T) {
	s := []LagSample{
		sample(0, 300, 400),                 // the setup's tail: before the warm-up's second half
		sample(time.Second, 10, 2),          // 13: the warm-up's highest
		sample(2*time.Second, 500, 400),     // spike begins at 2 s
		sample(3*time.Second, 900, 800),     // peak 1701
		sample(4*time.Second, 300, 200),     // spike ends at 4 s
		sample(5*time.Second, 20, 10),       // 31
		sample(6*time.Second, 6, 5),         // 12 <= 13: drained 2 s after the end
		sample(7*time.Second, 100000, 1000), // later noise does not matter
	}
	if s[3].Total() != 1701 || s[3].Of("saga") != 1700 || s[3].Of("reserve") != 0 {
		t.Fatalf("totals: %d, %d", s[3].Total(), s[3].Of("saga"))
	}
	d := DrainOf(s, 2*time.Second, 4*time.Second)
	if !d.Drained || d.After != 2*time.Second || d.Threshold != 13 || d.Peak != 101001 {
		t.Errorf("DrainOf = %+v, want drained 2s after, threshold 13", d)
	}
	if _, ok := DrainedAfter(s[:6], 4*time.Second, 13); ok {
		t.Error("drained without a sample at or below the threshold")
	}
}
