package scenarios

import (
	"math"
	"slices"
	"testing"
	"time"
)

func spikeSchedule(poisson bool) Schedule {
	return Schedule{Duration: 30 * time.Second, Rate: 200, Poisson: poisson,
		Spikes: []Spike{{At: 10 * time.Second, Length: 5 * time.Second, Factor: 10}}}
}

// countIn counts arrivals in [from, to).
func countIn(as []time.Duration, from, to time.Duration) int {
	n := 0
	for _, a := range as {
		if a >= from && a < to {
			n++
		}
	}
	return n
}

func TestEvenArrivalsFollowTheRateExactly(t *testing.T) {
	s := spikeSchedule(false)
	as := s.Arrivals(1)
	if want := int(s.Expected(0, s.Duration)); len(as) != want {
		t.Fatalf("%d arrivals, want %d (25 s at 200/s + 5 s at 2000/s)", len(as), want)
	}
	if !slices.IsSorted(as) {
		t.Fatal("arrivals not in time order")
	}
	for _, w := range []struct {
		from, to time.Duration
		want     int
	}{
		{0, 10 * time.Second, 2000},
		{10 * time.Second, 15 * time.Second, 10000},
		{15 * time.Second, 30 * time.Second, 3000},
		{10 * time.Second, 11 * time.Second, 2000}, // the spike starts at full height: no ramp
		{14 * time.Second, 15 * time.Second, 2000},
		{15 * time.Second, 16 * time.Second, 200}, // and ends as sharply
	} {
		if got := countIn(as, w.from, w.to); got != w.want {
			t.Errorf("[%v, %v): %d arrivals, want %d", w.from, w.to, got, w.want)
		}
	}
	// Even spacing: 5 ms apart at 200/s, 0.5 ms in the spike.
	if gap := as[1] - as[0]; gap != 5*time.Millisecond {
		t.Errorf("gap at 200/s = %v, want 5ms", gap)
	}
	i := countIn(as, 0, 10*time.Second) + 100
	if gap := as[i+1] - as[i]; gap != 500*time.Microsecond {
		t.Errorf("gap in the spike = %v, want 500µs", gap)
	}
}

func TestPoissonArrivalsAreSeededAndFollowTheRate(t *testing.T) {
	s := spikeSchedule(true)
	a, b := s.Arrivals(7), s.Arrivals(7)
	if !slices.Equal(a, b) {
		t.Fatal("one seed gave two different streams")
	}
	if slices.Equal(a, s.Arrivals(8)) {
		t.Fatal("seeds 7 and 8 gave the same stream")
	}
	for _, w := range []struct{ from, to time.Duration }{
		{0, 10 * time.Second}, {10 * time.Second, 15 * time.Second}, {15 * time.Second, 30 * time.Second},
	} {
		want := s.Expected(w.from, w.to)
		got := float64(countIn(a, w.from, w.to))
		// A Poisson count has standard deviation sqrt(mean): 5 of them is
		// far outside chance.
		if math.Abs(got-want) > 5*math.Sqrt(want) {
			t.Errorf("[%v, %v): %v arrivals, want %v ± %v", w.from, w.to, got, want, 5*math.Sqrt(want))
		}
	}
	for _, x := range a {
		if x < 0 || x >= s.Duration {
			t.Fatalf("arrival at %v outside the schedule", x)
		}
	}
}

func TestRateAtAndValidate(t *testing.T) {
	s := spikeSchedule(false)
	for at, want := range map[time.Duration]float64{
		0: 200, 10 * time.Second: 2000, 15*time.Second - 1: 2000, 15 * time.Second: 200, 30 * time.Second: 0, -1: 0,
	} {
		if got := s.RateAt(at); got != want {
			t.Errorf("RateAt(%v) = %v, want %v", at, got, want)
		}
	}
	bad := []Schedule{
		{Duration: 0, Rate: 1},
		{Duration: time.Second, Rate: 0},
		{Duration: 10 * time.Second, Rate: 1, Spikes: []Spike{{At: 8 * time.Second, Length: 5 * time.Second, Factor: 10}}},
		{Duration: 10 * time.Second, Rate: 1, Spikes: []Spike{{At: time.Second, Length: time.Second, Factor: 0}}},
	}
	for _, b := range bad {
		if b.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", b)
		}
		if b.Arrivals(1) != nil {
			t.Errorf("Arrivals of invalid %+v not nil", b)
		}
	}
}
