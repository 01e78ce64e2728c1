package metrics

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
	"github.com/prometheus/client_golang/prometheus"
)

// decisions counts what the processors decide: outcomes by request type,
// status and reason code (rejections included), and the saga latency of
// each finished payment, refund and signing, from its start event to its
// end event in message time.
type decisions struct {
	outcomesTopic string
	outcomes      *prometheus.CounterVec
	latency       *prometheus.HistogramVec

	mu     sync.Mutex
	starts map[string]time.Time // running sagas this instance started
}

// maxStarts bounds the start times kept for latencies. A saga started
// here and finished by another instance after a rebalance never reports;
// the bound keeps those from piling up.
const maxStarts = 1 << 20

func newDecisions() *decisions {
	return &decisions{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycore_outcomes_total",
			Help: "Outcomes sent to channels, by request type, status and reason code (rejections included)."},
			[]string{"request_type", "status", "reason_code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycore_saga_seconds",
			Help:    "Saga latency from its start event to its final status, by kind and status (message time).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, []string{"kind", "status"}),
		starts: map[string]time.Time{},
	}
}

// WatchOutcomes makes the metrics count the records processors send to
// topic, the outcomes topic, by request type, status and reason code.
func (m *Metrics) WatchOutcomes(topic string) { m.decisions.outcomesTopic = topic }

// Decided implements processor.DecisionObserver: it times sagas.
func (m *Metrics) Decided(_ string, env events.Envelope, p events.Payload) {
	d := m.decisions
	switch e := p.(type) {
	case events.PaymentStarted:
		d.start(e.Request.TxnID, env.OccurredAt)
	case events.PaymentFinished:
		d.finish("payment", e.TxnID, e.Status, env.OccurredAt)
	case events.RefundStarted:
		d.start(e.Request.RefundID, env.OccurredAt)
	case events.RefundFinished:
		d.finish("refund", e.RefundID, e.Status, env.OccurredAt)
	case events.SigningStarted:
		d.start(env.AggregateID, env.OccurredAt)
	case events.SigningFinished:
		d.finish("signing", env.AggregateID, e.Status, env.OccurredAt)
	}
}

// Sent implements processor.DecisionObserver: it counts outcomes.
func (m *Metrics) Sent(_ string, o processor.Outbound) {
	d := m.decisions
	if d.outcomesTopic == "" || o.Topic != d.outcomesTopic {
		return
	}
	var out struct {
		RequestType string `json:"request_type"`
		Status      string `json:"status"`
		ReasonCode  string `json:"reason_code"`
	}
	if json.Unmarshal(o.Value, &out) != nil {
		return // processors write outcomes with events.EncodeJSON; never seen
	}
	d.outcomes.WithLabelValues(out.RequestType, out.Status, out.ReasonCode).Inc()
}

func (d *decisions) start(id string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.starts) < maxStarts {
		d.starts[id] = at
	}
}

func (d *decisions) finish(kind, id, status string, at time.Time) {
	d.mu.Lock()
	start, ok := d.starts[id]
	delete(d.starts, id)
	d.mu.Unlock()
	if ok {
		d.latency.WithLabelValues(kind, status).Observe(at.Sub(start).Seconds())
	}
}
