// Package admission holds channel requests in the intake's inbox while
// the processors downstream of it are behind.
//
// Why: a payment's bank legs wait LegTimeout (2 s) for a reply, then send
// a status query, and are presumed after PayerFinalTimeout. Those clocks
// start when the saga sends a command, not when the bank processor reads
// it. Under an overload longer than the inboxes can absorb, the queue in
// front of the bank processors alone exceeds the leg timeout: every leg
// times out, every timeout adds a status query to the same queue, and
// payments end presumed although the bank answered. The backlog grows
// faster than before the overload: congestive collapse (a 60 s spike at
// about 1.2× capacity never drained, loadtest/RESULTS.md).
//
// The gate keeps the queue in front of the sagas and banks short, so
// their clocks measure the banks, not the queue; the excess waits as
// requests on the requests topic, where waiting costs nothing but
// latency, and is admitted as fast as the processors work off what they
// have. It watches the downstream consumer groups from outside (package
// grouplag), so it needs no coordination between intake instances: every
// instance sees the same lag and stops and starts on it.
//
// The gate is a budget of requests, renewed at every reading of the lag
// (every Interval). The processors downstream should hold at most
// MaxDelay of work: target = rate × MaxDelay records (at least MinLag),
// where rate is what they committed per second since the last reading.
// The budget is what keeps the backlog at that target until the next
// reading: (target − lag + rate × Interval) records, divided by the
// records one admitted request makes downstream (measured: records
// produced downstream per request admitted, smoothed). A steady load
// below capacity always gets its rate back as budget, so it is never
// held; a burst beyond what the target allows waits for the next reading;
// a backlog above it gets no budget until it is worked down. An earlier
// design, open or closed on the backlog's duration, let one interval of
// an open gate admit tens of thousands of requests from a spike's
// backlog: the overshoot timed legs out. Failing to read the lag opens
// the gate without limit: admission protects latency, and must never be
// why payments stop.
package admission

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/paycore/paycore/services/grouplag"
)

// Defaults; see Config.
const (
	DefaultMaxDelay = 500 * time.Millisecond
	DefaultMinLag   = 2000
	DefaultInterval = 100 * time.Millisecond
)

// Config tunes a Gate.
type Config struct {
	// Off runs the intake without a gate: requests are admitted as fast
	// as the intake reads them, whatever the backlog downstream.
	Off bool
	// MaxDelay is the work the processors downstream may have queued,
	// in time at the rate they are going: the intake admits what keeps
	// their backlog there. Keep it well under the sagas' LegTimeout: the
	// default is a quarter of the default 2 s.
	MaxDelay time.Duration
	// MinLag is the smallest backlog target (records, all downstream
	// inboxes together): what an idle system, with no rate to go by, may
	// be given at once.
	MinLag int64
	// Interval is how often the lag is read.
	Interval time.Duration
	// Observer, if set, is told every reading (metrics).
	Observer Observer
	Logger   *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.MinLag == 0 {
		c.MinLag = DefaultMinLag
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Observer receives the gate's readings. Implementations must be safe for
// concurrent use.
type Observer interface {
	// Admission reports one reading: whether the gate is open, the
	// downstream lag, the rate it is worked off (records/s) and the
	// backlog's duration at that rate (+Inf when nothing is handled).
	Admission(open bool, lag int64, rate float64, backlog time.Duration)
	// AdmissionReadFailed counts a failed lag reading (the gate opens).
	AdmissionReadFailed()
}

// LagSource reads the downstream lag; *grouplag.Reader is one.
type LagSource interface {
	Read(ctx context.Context) (grouplag.Reading, error)
}

// Gate is the admission gate of one intake instance, shared by its
// partitions. The zero Gate is not usable; use New.
type Gate struct {
	cfg    Config
	source LagSource

	mu      sync.Mutex
	state   state
	budget  float64       // requests that may still be admitted until the next reading
	renewed chan struct{} // closed and replaced at every new budget
	failed  time.Time     // last logged read failure
}

// New returns a gate over source that admits without limit until Run's
// first reading.
func New(cfg Config, source LagSource) *Gate {
	cfg.setDefaults()
	return &Gate{cfg: cfg, source: source, state: newState(), budget: math.Inf(1), renewed: make(chan struct{})}
}

// Run reads the lag every Interval until ctx ends.
func (g *Gate) Run(ctx context.Context) {
	t := time.NewTicker(g.cfg.Interval)
	defer t.Stop()
	for {
		g.poll(ctx)
		select {
		case <-ctx.Done():
			g.renew(math.Inf(1)) // never leave a waiter behind a stopped gate
			return
		case <-t.C:
		}
	}
}

// poll takes one reading and renews the budget.
func (g *Gate) poll(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, max(10*g.cfg.Interval, 2*time.Second))
	rd, err := g.source.Read(rctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if obs := g.cfg.Observer; obs != nil {
			obs.AdmissionReadFailed()
		}
		g.mu.Lock()
		logIt := time.Since(g.failed) > 10*time.Second
		if logIt {
			g.failed = time.Now()
		}
		g.state.forget()
		g.mu.Unlock()
		if logIt {
			g.cfg.Logger.Warn("admission: reading downstream lag failed; admitting everything until it works", "err", err)
		}
		g.renew(math.Inf(1))
		return
	}
	g.mu.Lock()
	wasOpen := g.state.open
	r := g.state.observe(time.Now(), rd.Lag.Total(), rd.Handled, g.cfg)
	g.mu.Unlock()
	g.renew(r.budget)
	if obs := g.cfg.Observer; obs != nil {
		obs.Admission(r.open, r.lag, r.rate, r.backlog)
	}
	if wasOpen != r.open {
		g.cfg.Logger.Info("admission: gate "+map[bool]string{true: "opened", false: "closed"}[r.open],
			"downstream_lag", r.lag, "records_per_s", math.Round(r.rate), "backlog", r.backlog.Round(time.Millisecond),
			"records_per_request", math.Round(r.perRequest*10)/10)
	}
}

// renew replaces the budget and wakes the waiters. What was left of the
// old one is not carried over: the new one already counts the backlog.
func (g *Gate) renew(budget float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.budget = budget
	g.wakeLocked()
}

// wakeLocked wakes every Acquire waiting for budget, with g.mu held.
func (g *Gate) wakeLocked() {
	close(g.renewed)
	g.renewed = make(chan struct{})
}

// Acquire waits until the budget admits at least one request, then takes
// up to n and returns how many it took. It returns ctx's error when ctx
// ends first.
func (g *Gate) Acquire(ctx context.Context, n int) (int, error) {
	for {
		g.mu.Lock()
		if took := g.takeLocked(n); took > 0 {
			g.mu.Unlock()
			return took, nil
		}
		renewed := g.renewed
		g.mu.Unlock()
		select {
		case <-renewed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// TryAcquire takes up to n requests of the budget without waiting and
// returns how many it took (0 when the budget is spent).
func (g *Gate) TryAcquire(n int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.takeLocked(n)
}

// takeLocked takes up to n of the budget, with g.mu held.
func (g *Gate) takeLocked(n int) int {
	if g.budget < 1 {
		return 0
	}
	took := n
	if g.budget < float64(n) {
		took = int(g.budget)
	}
	g.budget -= float64(took)
	g.state.admitted += int64(took)
	return took
}

// Release gives back what an Acquire took but did not use (a fetch found
// fewer records).
func (g *Gate) Release(n int) {
	if n <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.budget += float64(n)
	g.state.admitted -= int64(n)
	if g.budget >= 1 {
		g.wakeLocked()
	}
}

// state is the gate's decision from its readings, kept apart from the
// clock and the broker so that it can be tested on its own.
type state struct {
	open         bool
	have         bool // a previous reading exists
	haveRate     bool // rate holds at least one interval
	lastAt       time.Time
	lastHandled  int64
	lastProduced int64   // handled + lag: every record written downstream
	rate         float64 // records/s handled downstream, smoothed
	perRequest   float64 // records made downstream per admitted request, smoothed
	admitted     int64   // requests admitted since the last reading
}

// defaultPerRequest is what a payment writes to the inboxes downstream of
// the intake (saga: start, payer reply, reserve reply; payer: debit;
// reserve: credit), the estimate until the first measurement.
const defaultPerRequest = 5

func newState() state { return state{open: true, perRequest: defaultPerRequest} }

// reading is what observe decided.
type reading struct {
	open       bool
	budget     float64 // requests admitted until the next reading
	lag        int64
	rate       float64
	backlog    time.Duration
	perRequest float64
}

// smoothing is the weight of the newest interval in the smoothed rate and
// records per request: high enough to follow the processors speeding up
// when a backlog gives them full batches, low enough that one interval
// without a commit (they commit every 100 ms) does not read as a stall.
const smoothing = 0.5

// observe takes in a reading of the downstream lag and handled offsets
// at at, and returns the budget until the next reading.
func (s *state) observe(at time.Time, lag, handled int64, cfg Config) reading {
	produced := handled + lag
	if s.have {
		dt := at.Sub(s.lastAt).Seconds()
		done := handled - s.lastHandled
		switch {
		case dt <= 0 || done < 0: // a negative step is a reset group: skip it
		case !s.haveRate:
			s.rate, s.haveRate = float64(done)/dt, true
		default:
			s.rate = (1-smoothing)*s.rate + smoothing*float64(done)/dt
		}
		if made := produced - s.lastProduced; s.admitted > 0 && made > 0 {
			per := min(max(float64(made)/float64(s.admitted), 1), 50)
			s.perRequest = (1-smoothing)*s.perRequest + smoothing*per
		}
	}
	s.have, s.lastAt, s.lastHandled, s.lastProduced, s.admitted = true, at, handled, produced, 0
	backlog := time.Duration(math.MaxInt64)
	if s.rate > 0 {
		backlog = time.Duration(min(float64(lag)/s.rate*float64(time.Second), float64(math.MaxInt64)))
	}
	target := max(s.rate*cfg.MaxDelay.Seconds(), float64(cfg.MinLag))
	budget := max(0, target-float64(lag)+s.rate*cfg.Interval.Seconds()) / s.perRequest
	s.open = budget >= 1
	return reading{open: s.open, budget: budget, lag: lag, rate: s.rate, backlog: backlog, perRequest: s.perRequest}
}

// forget drops the measurements (after a failed reading the next interval
// would span the gap).
func (s *state) forget() { *s = newState() }
