package scenarios

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestDispatchIsOpenLoop sends a schedule through one sender whose first
// send hangs for longer than the whole schedule (a stalled broker) and
// that never answers anything: every arrival must still be handed over at
// its planned time, all of them before that first send returns. A closed
// loop (send, wait, send) would have handed over one batch and stopped.
func TestDispatchIsOpenLoop(t *testing.T) {
	s := Schedule{Duration: 400 * time.Millisecond, Rate: 500,
		Spikes: []Spike{{At: 100 * time.Millisecond, Length: 100 * time.Millisecond, Factor: 10}}}
	arrivals := s.Arrivals(1) // 150 at the base rate + 500 in the spike
	start := time.Now().Add(20 * time.Millisecond)
	late := make([]time.Duration, len(arrivals)) // handed over minus planned
	handed := make([]time.Time, len(arrivals))
	var mu sync.Mutex
	var firstDone time.Time
	sentItems := 0
	Dispatch(context.Background(), start, arrivals, 1,
		func(d Due) (int, bool) {
			handed[d.Index] = time.Now()
			late[d.Index] = handed[d.Index].Sub(d.At)
			return d.Index, true
		},
		func(context.Context, []int) error {
			mu.Lock()
			first := firstDone.IsZero()
			mu.Unlock()
			if first {
				time.Sleep(600 * time.Millisecond)
			}
			return nil
		},
		func(r SendReport[int]) {
			mu.Lock()
			defer mu.Unlock()
			if firstDone.IsZero() {
				firstDone = r.Done
			}
			sentItems += len(r.Items)
		})
	if sentItems != len(arrivals) {
		t.Fatalf("%d of %d arrivals sent", sentItems, len(arrivals))
	}
	for i, h := range handed {
		if !h.Before(firstDone) {
			t.Fatalf("arrival %d handed over at %v, after the stalled first send returned (%v): the sends paced the arrivals",
				i, h.Sub(start), firstDone.Sub(start))
		}
		if late[i] < 0 {
			t.Fatalf("arrival %d handed over %v before its planned time", i, -late[i])
		}
	}
	sorted := append([]time.Duration(nil), late...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	// Timers on a loaded 2-core machine wake late by milliseconds; the
	// stalled send lasts 600.
	if p50, worst := sorted[len(sorted)/2], sorted[len(sorted)-1]; p50 > 20*time.Millisecond || worst > 150*time.Millisecond {
		t.Errorf("arrivals handed over late: median %v, worst %v after their planned time", p50, worst)
	}
}

func TestPaceStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	began := time.Now()
	Pace(ctx, time.Now(), []time.Duration{0, time.Hour}, func(d []Due) { n += len(d) })
	if n != 1 || time.Since(began) > 5*time.Second {
		t.Errorf("Pace emitted %d arrivals and returned after %v; want 1, at the context's end", n, time.Since(began))
	}
}
