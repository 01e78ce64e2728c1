package scenarios

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/paycore/paycore/services/app"
)

// fleet is Instances copies of app.Run in this process, sharing the
// consumer groups of one topology: what several `paycore run` processes
// do, without the process boundaries (the group protocol, the partition
// moves and the per-instance fetch/produce/commit loops are the same).
type fleet struct {
	cfg       app.Config
	instances int
	mu        sync.Mutex
	stops     []context.CancelFunc
	done      []chan error
	failures  []error
}

func newFleet(cfg app.Config, instances int) *fleet {
	return &fleet{cfg: cfg, instances: max(instances, 1)}
}

// start runs every instance until stop or ctx ends.
func (f *fleet) start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range f.instances {
		c, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- app.Run(c, f.cfg, false) }()
		f.stops, f.done = append(f.stops, stop), append(f.done, done)
	}
}

// stop stops every instance and waits for them. An instance that stopped
// with an error before it was asked to is a failure of the run.
func (f *fleet) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.stops {
		s()
	}
	for _, d := range f.done {
		if err := <-d; err != nil && !errors.Is(err, context.Canceled) {
			f.failures = append(f.failures, err)
		}
	}
	f.stops, f.done = nil, nil
}

// err returns the failures of stopped instances.
func (f *fleet) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return errors.Join(f.failures...)
}

// Rebuild is one partition's state rebuild, as the runtime reported it.
type Rebuild struct {
	Processor string
	Partition int
	Events    int
	Took      time.Duration
	At        time.Time // when it was reported
}

// observer keeps the runtime's rebuild reports and what the intake's
// admission gates saw (the rest is for metrics).
type observer struct {
	mu        sync.Mutex
	rebuilds  []Rebuild
	admission Admission
}

// Admission sums the readings of the intake's admission gates over a run
// (every instance's gate reads on its own, every 200 ms by default).
type Admission struct {
	Readings, Closed int           // readings, and those that left the gate closed
	MaxBacklog       time.Duration // the longest finite backlog a reading saw
	MaxLag           int64         // the largest downstream lag a reading saw
	ReadFailures     int
}

func (o *observer) Admission(open bool, lag int64, _ float64, backlog time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := &o.admission
	a.Readings++
	if !open {
		a.Closed++
	}
	if backlog != time.Duration(math.MaxInt64) {
		a.MaxBacklog = max(a.MaxBacklog, backlog)
	}
	a.MaxLag = max(a.MaxLag, lag)
}

func (o *observer) AdmissionReadFailed() {
	o.mu.Lock()
	o.admission.ReadFailures++
	o.mu.Unlock()
}

func (o *observer) admissionSoFar() Admission {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.admission
}

func (o *observer) Rebuilt(processor string, partition, events int, took time.Duration) {
	o.mu.Lock()
	o.rebuilds = append(o.rebuilds, Rebuild{processor, partition, events, took, time.Now()})
	o.mu.Unlock()
}
func (o *observer) Batch(string, int, int, time.Duration)       {}
func (o *observer) Lag(string, int, int64)                      {}
func (o *observer) Poisoned(string, string)                     {}
func (o *observer) Snapshotted(string, int, int, time.Duration) {}

// since returns the rebuilds reported at or after t.
func (o *observer) since(t time.Time) []Rebuild {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Rebuild
	for _, r := range o.rebuilds {
		if !r.At.Before(t) {
			out = append(out, r)
		}
	}
	return out
}
