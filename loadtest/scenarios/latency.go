package scenarios

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Kind is what a channel request starts: a signing, a payment or a refund.
type Kind string

// The kinds of the mix.
const (
	KindSign   Kind = "sign"
	KindPay    Kind = "pay"
	KindRefund Kind = "refund"
)

// Kinds lists the kinds in report order.
var Kinds = []Kind{KindPay, KindRefund, KindSign}

// Recorder times sagas from the moment their request was published to the
// moment their final outcome was read. Safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	start    time.Time
	open     map[string]sent
	done     map[Kind][]time.Duration
	statuses map[Kind]map[string]int
	perSec   []int // final outcomes per second since start
	last     time.Time
}

type sent struct {
	kind Kind
	at   time.Time
}

// NewRecorder returns a recorder whose time series start at start.
func NewRecorder(start time.Time) *Recorder {
	return &Recorder{start: start, open: map[string]sent{}, done: map[Kind][]time.Duration{}, statuses: map[Kind]map[string]int{}}
}

// Sent records that the request of order was published at t.
func (r *Recorder) Sent(order string, k Kind, t time.Time) {
	r.mu.Lock()
	r.open[order] = sent{k, t}
	r.mu.Unlock()
}

// Forget drops an order whose request could not be published.
func (r *Recorder) Forget(order string) {
	r.mu.Lock()
	delete(r.open, order)
	r.mu.Unlock()
}

// Finished records order's final outcome, read at t. It returns false for
// an order not sent (or already finished): outcomes are redelivered.
func (r *Recorder) Finished(order, status string, t time.Time) (Kind, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.open[order]
	if !ok {
		return "", false
	}
	delete(r.open, order)
	r.done[s.kind] = append(r.done[s.kind], t.Sub(s.at))
	if r.statuses[s.kind] == nil {
		r.statuses[s.kind] = map[string]int{}
	}
	r.statuses[s.kind][status]++
	sec := int(t.Sub(r.start) / time.Second)
	for sec >= 0 && len(r.perSec) <= sec {
		r.perSec = append(r.perSec, 0)
	}
	if sec >= 0 {
		r.perSec[sec]++
	}
	if t.After(r.last) {
		r.last = t
	}
	return s.kind, true
}

// Open returns how many sent requests have no final outcome yet.
func (r *Recorder) Open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.open)
}

// Finals returns how many requests finished.
func (r *Recorder) Finals() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, d := range r.done {
		n += len(d)
	}
	return n
}

// Last returns when the last final outcome was read.
func (r *Recorder) Last() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Summary returns the latency percentiles of kind k.
func (r *Recorder) Summary(k Kind) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Summarize(r.done[k])
}

// Statuses returns the final statuses counted per kind.
func (r *Recorder) Statuses() map[Kind]map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[Kind]map[string]int, len(r.statuses))
	for k, m := range r.statuses {
		out[k] = make(map[string]int, len(m))
		for s, n := range m {
			out[k][s] = n
		}
	}
	return out
}

// PerSecond returns final outcomes per second since start.
func (r *Recorder) PerSecond() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.perSec...)
}

// Summary is a latency distribution.
type Summary struct {
	N                   int
	P50, P99, P999, Max time.Duration
}

// Summarize computes the percentiles of ds (which it sorts).
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return Summary{N: len(ds), P50: Percentile(ds, 50), P99: Percentile(ds, 99), P999: Percentile(ds, 99.9), Max: ds[len(ds)-1]}
}

// Percentile returns the nearest-rank p-th percentile of sorted: the
// smallest value with at least p % of the values at or below it. Nearest
// rank never interpolates, so a p999 is a latency some saga really had,
// and with fewer than 1,000 samples it is the maximum, as it should be.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps 99.9 % of 1,000 at rank 999: in binary floating
	// point it comes out a hair above.
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
