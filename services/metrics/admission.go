package metrics

import (
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// admissionMetrics show what the intake's admission gate sees and does
// (package admission): an operator reads from them why requests wait in
// the requests topic instead of reaching the sagas.
type admissionMetrics struct {
	open     prometheus.Gauge
	lag      prometheus.Gauge
	rate     prometheus.Gauge
	backlog  prometheus.Gauge
	closures prometheus.Counter
	closed   prometheus.Counter
	failures prometheus.Counter

	mu       sync.Mutex
	wasOpen  bool
	lastSeen time.Time
}

func newAdmissionMetrics() admissionMetrics {
	return admissionMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paycore_admission_open",
			Help: "1 when the last reading gave the intake a budget of requests to admit, 0 when it holds them in its inbox because the processors downstream are behind."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paycore_admission_downstream_lag_records",
			Help: "Records waiting in the inboxes downstream of the intake (sagas, banks), all partitions."}),
		rate: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paycore_admission_downstream_records_per_second",
			Help: "Rate at which the processors downstream of the intake commit their inboxes (smoothed)."}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paycore_admission_backlog_seconds",
			Help: "Downstream lag divided by its rate: how long the processors need to work off what is queued (-1: nothing is being handled)."}),
		closures: prometheus.NewCounter(prometheus.CounterOpts{Name: "paycore_admission_closures_total",
			Help: "Readings after which the admission gate gave no budget, following one that did."}),
		closed: prometheus.NewCounter(prometheus.CounterOpts{Name: "paycore_admission_closed_seconds_total",
			Help: "Time between readings that gave no budget."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "paycore_admission_read_failures_total",
			Help: "Failed readings of the downstream lag (each lifts the limit until the next good one)."}),
		wasOpen: true,
	}
}

func (a *admissionMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.open, a.lag, a.rate, a.backlog, a.closures, a.closed, a.failures}
}

// Admission implements admission.Observer.
func (m *Metrics) Admission(open bool, lag int64, rate float64, backlog time.Duration) {
	a := &m.admission
	a.mu.Lock()
	now := time.Now()
	if !a.wasOpen && !a.lastSeen.IsZero() {
		a.closed.Add(now.Sub(a.lastSeen).Seconds())
	}
	if a.wasOpen && !open {
		a.closures.Inc()
	}
	a.wasOpen, a.lastSeen = open, now
	a.mu.Unlock()
	if open {
		a.open.Set(1)
	} else {
		a.open.Set(0)
	}
	a.lag.Set(float64(lag))
	a.rate.Set(rate)
	if backlog == time.Duration(math.MaxInt64) {
		a.backlog.Set(-1)
	} else {
		a.backlog.Set(backlog.Seconds())
	}
}

// AdmissionReadFailed implements admission.Observer.
func (m *Metrics) AdmissionReadFailed() { m.admission.failures.Inc() }
