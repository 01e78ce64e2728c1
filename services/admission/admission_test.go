package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paycore/paycore/services/grouplag"
)

var testCfg = Config{MaxDelay: 500 * time.Millisecond, MinLag: 1000, Interval: 10 * time.Millisecond}

// step is one reading fed to state.observe: at seconds, lag, handled.
type step struct {
	at      float64
	lag     int64
	handled int64
	open    bool // the gate's position after it
}

func TestStateClosesOnBacklogTimeAndOpensAtHalf(t *testing.T) {
	t0 := time.Unix(0, 0)
	steps := []step{
		{0, 100, 0, true},          // first reading: no rate yet, small lag
		{1, 500, 5000, true},       // 5,000/s, small lag
		{2, 1500, 10000, true},     // 5,000/s: 1,500 is 0.3 s of work
		{3, 20000, 12000, false},   // (5,000+2,000)/2 = 3,500/s: 5.7 s of work
		{4, 9000, 32000, false},    // (3,500+20,000)/2 = 11,750/s: 0.77 s
		{5, 5000, 52000, false},    // 15,875/s: 0.31 s, above half of 0.5 s: stays closed
		{6, 3000, 72000, true},     // 17,937/s: 0.17 s, at most half: opens
		{7, 6000, 82000, true},     // 13,968/s: 0.43 s, under 0.5 s: stays open
		{8, 6500, 82000, false},    // nothing handled: 6,984/s, 0.93 s
		{9, 6500, 82000, false},    // still stalled: 1.9 s
		{10, 900, 82000, true},     // at most MinLag: open whatever the rate
		{11, 800, 1000, true},      // handled went backwards (a reset group): rate kept
		{12, 1000000, 1000, false}, // stalled with a huge backlog
	}
	var s state
	s.open = true
	for i, st := range steps {
		r := s.observe(t0.Add(time.Duration(st.at*float64(time.Second))), st.lag, st.handled, testCfg)
		if r.open != st.open {
			t.Fatalf("step %d (%+v): open = %v (rate %.0f, backlog %v), want %v", i, st, r.open, r.rate, r.backlog, st.open)
		}
	}
}

func TestStateWithoutRateIsClosedAboveMinLag(t *testing.T) {
	var s state
	s.open = true
	if r := s.observe(time.Unix(0, 0), 5000, 0, testCfg); r.open || r.backlog < time.Hour {
		t.Fatalf("a first reading above MinLag has no rate: open = %v, backlog %v; want closed, unbounded", r.open, r.backlog)
	}
}

// fakeLag is a LagSource the test steers.
type fakeLag struct {
	mu      sync.Mutex
	lag     int64
	handled int64
	err     error
	reads   int
}

func (f *fakeLag) Read(context.Context) (grouplag.Reading, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return grouplag.Reading{}, f.err
	}
	return grouplag.Reading{Lag: grouplag.Lag{"saga": {f.lag}}, Handled: f.handled}, nil
}

func (f *fakeLag) set(lag, handled int64, err error) {
	f.mu.Lock()
	f.lag, f.handled, f.err = lag, handled, err
	f.mu.Unlock()
}

func (f *fakeLag) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// waitFor polls cond for up to 2 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGateBlocksWaitersWhileClosed(t *testing.T) {
	src := &fakeLag{lag: 100}
	g := New(testCfg, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	if err := g.Wait(ctx); err != nil || !g.Open() {
		t.Fatalf("a small backlog must admit: %v, open %v", err, g.Open())
	}

	src.set(50000, 0, nil) // a stalled downstream with a large backlog
	waitFor(t, "the gate to close", func() bool { return !g.Open() })
	admitted := make(chan error, 1)
	go func() { admitted <- g.Wait(ctx) }()
	select {
	case err := <-admitted:
		t.Fatalf("Wait returned %v while the gate is closed", err)
	case <-time.After(50 * time.Millisecond):
	}

	src.set(10, 50000, nil) // worked off
	select {
	case err := <-admitted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Wait did not return after the gate opened")
	}
}

func TestGateOpensWhenTheLagCannotBeRead(t *testing.T) {
	src := &fakeLag{lag: 50000}
	g := New(testCfg, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := &countingObserver{}
	g.cfg.Observer = failed
	go g.Run(ctx)
	waitFor(t, "the gate to close", func() bool { return !g.Open() })
	src.set(50000, 0, errors.New("broker unreachable"))
	waitFor(t, "the gate to open on a failed read", g.Open)
	if failed.failures() == 0 {
		t.Fatal("the failed read was not reported")
	}
}

func TestWaitEndsWithItsContext(t *testing.T) {
	src := &fakeLag{lag: 50000}
	g := New(testCfg, src)
	runCtx, stopRun := context.WithCancel(context.Background())
	go g.Run(runCtx)
	waitFor(t, "the gate to close", func() bool { return !g.Open() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the context's deadline", err)
	}
	// Stopping the gate opens it: nobody waits on a gate no one moves.
	stopRun()
	waitFor(t, "a stopped gate to open", g.Open)
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if src.readCount() == 0 {
		t.Fatal("the gate never read the lag")
	}
}

type countingObserver struct {
	mu    sync.Mutex
	fails int
}

func (c *countingObserver) Admission(bool, int64, float64, time.Duration) {}

func (c *countingObserver) AdmissionReadFailed() {
	c.mu.Lock()
	c.fails++
	c.mu.Unlock()
}

func (c *countingObserver) failures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fails
}
