// Package metrics exposes what an operator watches on a running paycore:
// consumer lag per processor and partition, batch sizes and latencies,
// rebuild and snapshot times, poisoned records, outcomes by status and
// reason code, saga latencies. It implements
// processor.Observer on Prometheus collectors and serves /metrics,
// /healthz and /readyz.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is a processor.Observer backed by Prometheus collectors.
type Metrics struct {
	registry  *prometheus.Registry
	lag       *prometheus.GaugeVec
	records   *prometheus.CounterVec
	batchSize *prometheus.HistogramVec
	batchTime *prometheus.HistogramVec
	rebuilds  *prometheus.HistogramVec
	rebuiltEv *prometheus.GaugeVec
	snapshots *prometheus.HistogramVec
	snapBytes *prometheus.GaugeVec
	poisoned  *prometheus.CounterVec
	projLag   *prometheus.GaugeVec
	projRows  *prometheus.CounterVec
	projTime  *prometheus.HistogramVec
	projFails prometheus.Counter
	decisions *decisions
	admission admissionMetrics

	mu      sync.Mutex
	rebuilt map[string]bool // processor/partition that finished its rebuild
}

// New registers paycore's collectors (and Go runtime ones) on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paycore_inbox_lag_records",
			Help: "Records in a processor's inbox partition not yet handled (consumer lag)."}, []string{"processor", "partition"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycore_inbox_records_total",
			Help: "Inbox records handled."}, []string{"processor"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_batch_records",
			Help: "Records per handled batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 12)}, []string{"processor"}),
		batchTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_batch_seconds",
			Help: "Time to handle, write (acks=all) and queue the commit of one batch.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"processor"}),
		rebuilds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_rebuild_seconds",
			Help: "Time to rebuild a partition's state on assignment.", Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}, []string{"processor"}),
		rebuiltEv: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paycore_rebuild_events",
			Help: "Events folded by the last rebuild of a partition (after its snapshot, if any)."}, []string{"processor", "partition"}),
		snapshots: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_snapshot_seconds",
			Help: "Time to write one partition snapshot.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"processor"}),
		snapBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paycore_snapshot_bytes",
			Help: "Size of the last snapshot of a partition."}, []string{"processor", "partition"}),
		poisoned: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycore_poisoned_records_total",
			Help: "Records parked on the poison topic."}, []string{"processor"}),
		projLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paycore_projector_lag_records",
			Help: "Event-log records not yet in ClickHouse, per topic and partition."}, []string{"topic", "partition"}),
		projRows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycore_projector_rows_total",
			Help: "Rows inserted into ClickHouse, per table."}, []string{"table"}),
		projTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_projector_flush_seconds",
			Help: "Time to insert one batch into a table.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"table"}),
		projFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "paycore_projector_insert_failures_total",
			Help: "Failed ClickHouse insert attempts (retried with backoff)."}),
		rebuilt:   map[string]bool{},
		decisions: newDecisions(),
	}
	m.admission = newAdmissionMetrics()
	m.registry.MustRegister(m.admission.collectors()...)
	m.registry.MustRegister(m.decisions.outcomes, m.decisions.latency, m.lag, m.records, m.batchSize, m.batchTime, m.rebuilds, m.rebuiltEv, m.snapshots, m.snapBytes, m.poisoned,
		m.projLag, m.projRows, m.projTime, m.projFails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Rebuilt implements processor.Observer.
func (m *Metrics) Rebuilt(processor string, partition int, events int, took time.Duration) {
	m.rebuilds.WithLabelValues(processor).Observe(took.Seconds())
	m.rebuiltEv.WithLabelValues(processor, strconv.Itoa(partition)).Set(float64(events))
	m.mu.Lock()
	m.rebuilt[processor+"/"+strconv.Itoa(partition)] = true
	m.mu.Unlock()
}

// Lag implements processor.Observer.
func (m *Metrics) Lag(processor string, partition int, records int64) {
	m.lag.WithLabelValues(processor, strconv.Itoa(partition)).Set(float64(records))
}

// Batch implements processor.Observer.
func (m *Metrics) Batch(processor string, partition int, records int, took time.Duration) {
	m.records.WithLabelValues(processor).Add(float64(records))
	m.batchSize.WithLabelValues(processor).Observe(float64(records))
	m.batchTime.WithLabelValues(processor).Observe(took.Seconds())
}

// Poisoned implements processor.Observer.
func (m *Metrics) Poisoned(processor string, reason string) {
	m.poisoned.WithLabelValues(processor).Inc()
}

// Snapshotted implements processor.Observer.
func (m *Metrics) Snapshotted(processor string, partition int, bytes int, took time.Duration) {
	m.snapshots.WithLabelValues(processor).Observe(took.Seconds())
	m.snapBytes.WithLabelValues(processor, strconv.Itoa(partition)).Set(float64(bytes))
}

// Projector adapts Metrics to projector.Observer (its Lag has another
// shape than the processors').
func (m *Metrics) Projector() ProjectorObserver { return ProjectorObserver{m} }

// ProjectorObserver implements projector.Observer.
type ProjectorObserver struct{ m *Metrics }

// Lag records the projector's lag on one event-log partition.
func (o ProjectorObserver) Lag(topic string, partition int, records int64) {
	o.m.projLag.WithLabelValues(topic, strconv.Itoa(partition)).Set(float64(records))
}

// Flushed records one batch inserted into a table.
func (o ProjectorObserver) Flushed(table string, rows int, took time.Duration) {
	o.m.projRows.WithLabelValues(table).Add(float64(rows))
	o.m.projTime.WithLabelValues(table).Observe(took.Seconds())
}

// InsertFailed counts a failed insert attempt.
func (o ProjectorObserver) InsertFailed(error) { o.m.projFails.Inc() }

// Ready reports whether at least one partition of every named processor
// finished its rebuild: before that, the instance handles nothing.
func (m *Metrics) Ready(processors []string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range processors {
		found := false
		for k := range m.rebuilt {
			if len(k) > len(p) && k[:len(p)+1] == p+"/" {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Handler serves /metrics (Prometheus), /healthz (the process runs) and
// /readyz (200 once Ready(processors)).
func (m *Metrics) Handler(processors []string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !m.Ready(processors) {
			http.Error(w, "rebuilding partitions\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}

// Serve listens on addr until ctx ends. It returns once listening, so a
// taken port is reported at start-up.
func (m *Metrics) Serve(ctx context.Context, addr string, processors []string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: m.Handler(processors), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed under us; nothing left to report to
		}
	}()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	return ln.Addr(), nil
}
