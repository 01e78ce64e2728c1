package scenarios

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/paycore/paycore/services/grouplag"
)

// LagSample is the consumer lag of every inbox partition at one moment.
type LagSample struct {
	At  time.Duration // since the run's start
	Lag grouplag.Lag  // per processor, per partition
}

// Total sums the lag of every partition of every processor.
func (s LagSample) Total() int64 { return s.Lag.Total() }

// Of sums one processor's lag over its partitions.
func (s LagSample) Of(processor string) int64 { return s.Lag.Of(processor) }

// LagSampler reads the lag every interval until stopped.
type LagSampler struct {
	reader   *grouplag.Reader
	start    time.Time
	interval time.Duration
	mu       sync.Mutex
	samples  []LagSample
	errs     int
	lastErr  error
}

// NewLagSampler samples r every interval; sample times count from start.
func NewLagSampler(r *grouplag.Reader, start time.Time, interval time.Duration) *LagSampler {
	return &LagSampler{reader: r, start: start, interval: interval}
}

// Run samples until ctx ends.
func (s *LagSampler) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.SampleNow(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SampleNow takes one sample. A failed read (a broker busy with a
// rebalance) is counted, not fatal: the plot gets a gap.
func (s *LagSampler) SampleNow(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	rd, err := s.reader.Read(rctx)
	cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.errs++
			s.lastErr = err
		}
		return
	}
	s.samples = append(s.samples, LagSample{At: time.Since(s.start), Lag: rd.Lag})
}

// Samples returns the samples so far, the count of failed reads and the
// last failure.
func (s *LagSampler) Samples() ([]LagSample, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LagSample(nil), s.samples...), s.errs, s.lastErr
}

// DrainedAfter returns how long after from the total lag first fell to
// at most threshold (and false if it never did in samples).
func DrainedAfter(samples []LagSample, from time.Duration, threshold int64) (time.Duration, bool) {
	for _, s := range samples {
		if s.At >= from && s.Total() <= threshold {
			return s.At - from, true
		}
	}
	return 0, false
}
