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
// The measure is time, not records: the backlog (total downstream lag)
// divided by the rate at which the processors are committing. The gate
// closes when that exceeds MaxDelay and opens again when it falls to half
// of it, or when the lag is at most MinLag (an idle system has no rate
// to divide by). Failing to read the lag opens the gate: admission
// protects latency, and must never be why payments stop.
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
	DefaultInterval = 200 * time.Millisecond
)

// Config tunes a Gate.
type Config struct {
	// Off runs the intake without a gate: requests are admitted as fast
	// as the intake reads them, whatever the backlog downstream.
	Off bool
	// MaxDelay is the longest the processors downstream may need to work
	// off their backlog before the intake stops admitting requests. Keep
	// it well under the sagas' LegTimeout: the default is a quarter of the
	// default 2 s.
	MaxDelay time.Duration
	// MinLag is a backlog (records, all downstream inboxes together) at or
	// below which the gate is always open.
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

	mu     sync.Mutex
	state  state
	opened chan struct{} // closed while the gate is open
	failed time.Time     // last logged read failure
}

// New returns an open gate over source. It reads nothing until Run.
func New(cfg Config, source LagSource) *Gate {
	cfg.setDefaults()
	opened := make(chan struct{})
	close(opened)
	return &Gate{cfg: cfg, source: source, state: state{open: true}, opened: opened}
}

// Run reads the lag every Interval until ctx ends.
func (g *Gate) Run(ctx context.Context) {
	t := time.NewTicker(g.cfg.Interval)
	defer t.Stop()
	for {
		g.poll(ctx)
		select {
		case <-ctx.Done():
			g.set(true) // never leave a waiter behind a stopped gate
			return
		case <-t.C:
		}
	}
}

// poll takes one reading and moves the gate.
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
		g.setLocked(true)
		g.mu.Unlock()
		if logIt {
			g.cfg.Logger.Warn("admission: reading downstream lag failed; admitting everything until it works", "err", err)
		}
		return
	}
	g.mu.Lock()
	wasOpen := g.state.open
	r := g.state.observe(time.Now(), rd.Lag.Total(), rd.Handled, g.cfg)
	g.setLocked(r.open)
	g.mu.Unlock()
	if obs := g.cfg.Observer; obs != nil {
		obs.Admission(r.open, r.lag, r.rate, r.backlog)
	}
	if wasOpen != r.open {
		g.cfg.Logger.Info("admission: gate "+map[bool]string{true: "opened", false: "closed"}[r.open],
			"downstream_lag", r.lag, "records_per_s", math.Round(r.rate), "backlog", r.backlog.Round(time.Millisecond))
	}
}

// set opens or closes the gate.
func (g *Gate) set(open bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.setLocked(open)
}

// setLocked opens or closes the gate with g.mu held, waking the waiters
// when it opens.
func (g *Gate) setLocked(open bool) {
	g.state.open = open
	select {
	case <-g.opened: // open now
		if !open {
			g.opened = make(chan struct{})
		}
	default:
		if open {
			close(g.opened)
		}
	}
}

// Open reports whether the gate admits requests now.
func (g *Gate) Open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state.open
}

// Wait returns when the gate is open, or ctx's error when ctx ends first.
func (g *Gate) Wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		opened := g.opened
		g.mu.Unlock()
		select {
		case <-opened:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// state is the gate's decision from its readings, kept apart from the
// clock and the broker so that it can be tested on its own.
type state struct {
	open        bool
	have        bool // a previous reading exists
	haveRate    bool // rate holds at least one interval
	lastAt      time.Time
	lastHandled int64
	rate        float64 // records/s handled downstream, smoothed
}

// reading is what observe decided.
type reading struct {
	open    bool
	lag     int64
	rate    float64
	backlog time.Duration
}

// rateWeight is the weight of the newest interval in the smoothed rate:
// high enough to follow the processors speeding up when a backlog gives
// them full batches, low enough that one interval without a commit (they
// commit every 100 ms) does not read as a stall.
const rateWeight = 0.5

// observe takes in a reading of the downstream lag and handled offsets
// at at, and returns the gate's new position.
func (s *state) observe(at time.Time, lag, handled int64, cfg Config) reading {
	if s.have {
		dt := at.Sub(s.lastAt).Seconds()
		done := handled - s.lastHandled
		switch {
		case dt <= 0 || done < 0: // a negative step is a reset group: skip it
		case !s.haveRate:
			s.rate, s.haveRate = float64(done)/dt, true
		default:
			s.rate = (1-rateWeight)*s.rate + rateWeight*float64(done)/dt
		}
	}
	s.have, s.lastAt, s.lastHandled = true, at, handled
	backlog := time.Duration(math.MaxInt64)
	if s.rate > 0 {
		backlog = time.Duration(min(float64(lag)/s.rate*float64(time.Second), float64(math.MaxInt64)))
	}
	switch {
	case lag <= cfg.MinLag:
		s.open = true
	case s.open && backlog > cfg.MaxDelay:
		s.open = false
	case !s.open && backlog <= cfg.MaxDelay/2:
		s.open = true
	}
	return reading{open: s.open, lag: lag, rate: s.rate, backlog: backlog}
}

// forget drops the rate history (after a failed reading the next interval
// would span the gap).
func (s *state) forget() { s.have, s.haveRate, s.rate = false, false, 0 }
