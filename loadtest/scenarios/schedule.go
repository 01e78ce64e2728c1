package scenarios

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// Schedule is an open-loop arrival schedule: a base rate of requests per
// second over Duration, multiplied by Factor during each spike. Arrivals
// are fixed in advance from the schedule and a seed; nothing the system
// under test does (how fast it answers, whether it answers) moves them.
// That is what makes a spike a spike: a closed loop would slow its own
// sending down exactly when the system falls behind and hide the backlog.
type Schedule struct {
	Duration time.Duration
	Rate     float64 // requests per second outside spikes
	Spikes   []Spike
	// Poisson draws exponential gaps between arrivals (a memoryless
	// stream of independent customers); false spaces arrivals evenly.
	Poisson bool
}

// Spike multiplies the rate by Factor from At for Length.
type Spike struct {
	At, Length time.Duration
	Factor     float64
}

// End returns when the spike ends.
func (s Spike) End() time.Duration { return s.At + s.Length }

// Validate reports a schedule that cannot be generated.
func (s Schedule) Validate() error {
	if s.Duration <= 0 || s.Rate <= 0 {
		return fmt.Errorf("scenarios: schedule needs a positive duration and rate, got %v at %v/s", s.Duration, s.Rate)
	}
	for _, sp := range s.Spikes {
		if sp.At < 0 || sp.Length <= 0 || sp.Factor <= 0 || sp.End() > s.Duration {
			return fmt.Errorf("scenarios: spike %+v does not fit a %v schedule", sp, s.Duration)
		}
	}
	return nil
}

// RateAt returns the arrival rate (per second) at offset t. Overlapping
// spikes multiply.
func (s Schedule) RateAt(t time.Duration) float64 {
	if t < 0 || t >= s.Duration {
		return 0
	}
	r := s.Rate
	for _, sp := range s.Spikes {
		if t >= sp.At && t < sp.End() {
			r *= sp.Factor
		}
	}
	return r
}

// Expected returns how many arrivals the schedule plans in [from, to).
func (s Schedule) Expected(from, to time.Duration) float64 {
	total := 0.0
	for _, seg := range s.segments() {
		lo, hi := max(seg.from, from), min(seg.to, to)
		if hi > lo {
			total += seg.rate * (hi - lo).Seconds()
		}
	}
	return total
}

// segment is a stretch of constant rate.
type segment struct {
	from, to time.Duration
	rate     float64
}

// segments cuts the schedule at every spike edge.
func (s Schedule) segments() []segment {
	cuts := []time.Duration{0, s.Duration}
	for _, sp := range s.Spikes {
		cuts = append(cuts, sp.At, sp.End())
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i] < cuts[j] })
	var out []segment
	for i := 1; i < len(cuts); i++ {
		if cuts[i] > cuts[i-1] {
			out = append(out, segment{cuts[i-1], cuts[i], s.RateAt(cuts[i-1])})
		}
	}
	return out
}

// Arrivals returns every arrival's offset from the start, ascending. The
// k-th arrival is where the integrated rate reaches the k-th point of a
// unit-rate stream (k itself, or a sum of exponential gaps when Poisson):
// one construction gives both a piecewise-constant rate and the spikes'
// sharp edges.
func (s Schedule) Arrivals(seed uint64) []time.Duration {
	if s.Validate() != nil {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	next := func(prev float64) float64 {
		if s.Poisson {
			return prev + rng.ExpFloat64()
		}
		return prev + 1
	}
	out := make([]time.Duration, 0, int(s.Expected(0, s.Duration))+1)
	target := next(0) - 0.5 // evenly spaced: arrivals mid-slot, not at t=0 of a segment edge
	if s.Poisson {
		target = next(0)
	}
	acc := 0.0 // integrated rate at the start of the segment
	for _, seg := range s.segments() {
		length := (seg.to - seg.from).Seconds()
		for seg.rate > 0 && target < acc+seg.rate*length {
			at := seg.from + time.Duration((target-acc)/seg.rate*float64(time.Second))
			out = append(out, at)
			target = next(target)
		}
		acc += seg.rate * length
	}
	return out
}
