package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paycore/paycore/services/grouplag"
)

var testCfg = Config{MaxDelay: 500 * time.Millisecond, MinLag: 1000, Interval: 100 * time.Millisecond}

// reading0 feeds one reading to s at second at.
func reading0(s *state, at float64, lag, handled int64) reading {
	return s.observe(time.Unix(0, 0).Add(time.Duration(at*float64(time.Second))), lag, handled, testCfg)
}

func TestBudgetKeepsTheBacklogAtItsTarget(t *testing.T) {
	s := newState()
	// Idle, first reading: no rate; the target is MinLag, 1,000 records,
	// at the default 5 records per request: 200 requests.
	if r := reading0(&s, 0, 0, 0); r.budget != 200 || !r.open {
		t.Fatalf("idle: budget %v (open %v), want 200", r.budget, r.open)
	}
	// 100 requests admitted, 500 records made downstream, 400 handled in
	// 0.1 s: rate 4,000/s, 5 records per request, lag 100. Target
	// max(4,000 × 0.5, 1,000) = 2,000; budget (2,000 − 100 + 400) / 5.
	s.admitted = 100
	r := reading0(&s, 0.1, 100, 400)
	if r.rate != 4000 || r.perRequest != 5 || r.budget != 460 {
		t.Fatalf("steady: rate %v, per request %v, budget %v; want 4000, 5, 460", r.rate, r.perRequest, r.budget)
	}
	// A spike: 2,000 admitted made 10,000 records, 400 more handled: lag
	// 9,700. Rate (4,000 + 4,000)/2; target 2,000 < lag: nothing more
	// until it is worked down.
	s.admitted = 2000
	if r := reading0(&s, 0.2, 9700, 800); r.budget != 0 || r.open {
		t.Fatalf("backlog above target: budget %v (open %v), want 0", r.budget, r.open)
	}
	// Worked down at 20,000/s (full batches): rate (4,000 + 20,000)/2 =
	// 12,000, target 6,000, lag 7,700 + 1,200 of work per interval: no
	// budget yet; next interval lag 5,700 at 20,000/s: rate 16,000,
	// target 8,000, budget (8,000 − 5,700 + 1,600) / 5 = 780.
	if r := reading0(&s, 0.3, 7700, 2800); r.budget != 0 {
		t.Fatalf("still above target: budget %v, want 0", r.budget)
	}
	if r := reading0(&s, 0.4, 5700, 4800); r.budget != 780 {
		t.Fatalf("worked down: budget %v, want 780", r.budget)
	}
}

func TestBudgetIsZeroWhileDownstreamStalls(t *testing.T) {
	s := newState()
	reading0(&s, 0, 0, 0)
	s.admitted = 200
	// The sagas are down: 200 admitted made 200 records (only the saga
	// inbox's start commands), nothing handled.
	r := reading0(&s, 0.1, 200, 0)
	if r.perRequest >= 5 || r.budget <= 0 {
		t.Fatalf("first stalled reading: per request %v, budget %v; want fewer records per request, some budget", r.perRequest, r.budget)
	}
	s.admitted = int64(r.budget)
	lag := 200 + int64(r.budget)
	for i := 2; i < 10; i++ {
		r = reading0(&s, float64(i)/10, lag, 0)
		s.admitted = int64(r.budget)
		lag += int64(r.budget)
	}
	if r.budget >= 1 || lag > 1100 {
		t.Fatalf("stalled: budget %v with lag %d; want none once the lag reaches MinLag 1,000", r.budget, lag)
	}
}

func TestFailedReadingForgetsTheRate(t *testing.T) {
	s := newState()
	reading0(&s, 0, 0, 0)
	reading0(&s, 0.1, 100, 1000)
	s.forget()
	if s.haveRate || s.rate != 0 || s.perRequest != defaultPerRequest {
		t.Fatalf("forget kept %+v", s)
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

func TestGateHoldsAcquireUntilBudget(t *testing.T) {
	src := &fakeLag{lag: 100}
	g := New(testCfg, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	waitFor(t, "a first reading", func() bool { return src.readCount() > 0 })
	if n, err := g.Acquire(ctx, 10); err != nil || n != 10 {
		t.Fatalf("a small backlog must admit: %d, %v", n, err)
	}

	src.set(50000, 0, nil) // a stalled downstream with a large backlog
	waitFor(t, "the budget to run out", func() bool { return g.TryAcquire(1) == 0 })
	admitted := make(chan error, 1)
	go func() { _, err := g.Acquire(ctx, 10); admitted <- err }()
	select {
	case err := <-admitted:
		t.Fatalf("Acquire returned %v without budget", err)
	case <-time.After(50 * time.Millisecond):
	}

	src.set(10, 50000, nil) // worked off
	select {
	case err := <-admitted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Acquire did not return after the budget was renewed")
	}
}

func TestReleaseWakesWaiters(t *testing.T) {
	g := New(testCfg, &fakeLag{})
	g.renew(5)
	if n := g.TryAcquire(10); n != 5 {
		t.Fatalf("TryAcquire = %d, want the 5 left", n)
	}
	got := make(chan int, 1)
	go func() { n, _ := g.Acquire(context.Background(), 10); got <- n }()
	time.Sleep(10 * time.Millisecond)
	g.Release(3)
	select {
	case n := <-got:
		if n != 3 {
			t.Fatalf("Acquire after Release(3) = %d, want 3", n)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Release did not wake the waiter")
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
	waitFor(t, "the budget to run out", func() bool { return g.TryAcquire(1) == 0 })
	src.set(50000, 0, errors.New("broker unreachable"))
	waitFor(t, "unlimited admission on a failed read", func() bool { return g.TryAcquire(100000) == 100000 })
	if failed.failures() == 0 {
		t.Fatal("the failed read was not reported")
	}
}

func TestAcquireEndsWithItsContext(t *testing.T) {
	src := &fakeLag{lag: 50000}
	g := New(testCfg, src)
	runCtx, stopRun := context.WithCancel(context.Background())
	go g.Run(runCtx)
	waitFor(t, "the budget to run out", func() bool { return g.TryAcquire(1) == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire = %v, want the context's deadline", err)
	}
	// Stopping the gate opens it: nobody waits on a gate no one renews.
	stopRun()
	waitFor(t, "a stopped gate to admit", func() bool { return g.TryAcquire(1) == 1 })
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
