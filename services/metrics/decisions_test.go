package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

var _ processor.DecisionObserver = (*Metrics)(nil)

func TestOutcomesAndSagaLatency(t *testing.T) {
	m := New()
	m.WatchOutcomes("p.outcomes")
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	env := func(agg string, at time.Time) events.Envelope {
		return events.Envelope{AggregateID: agg, OccurredAt: at}
	}
	m.Decided("saga", env("t1", t0), events.PaymentStarted{Request: events.StartPayment{TxnID: "t1"}})
	m.Decided("saga", env("t1", t0.Add(150*time.Millisecond)), events.PaymentFinished{TxnID: "t1", Status: events.StatusSuccess})
	m.Decided("saga", env("t1", t0), events.RefundStarted{Request: events.StartRefund{RefundID: "r1", TxnID: "t1"}})
	m.Decided("saga", env("t1", t0.Add(3*time.Second)), events.RefundFinished{RefundID: "r1", Status: events.StatusPresumedFailure})
	// A finish without its start (started by another instance) is not timed.
	m.Decided("saga", env("t2", t0), events.PaymentFinished{TxnID: "t2", Status: events.StatusFailure})
	m.Sent("saga", processor.Outbound{Topic: "p.outcomes", Value: []byte(`{"request_type":"pay","status":"failure","reason_code":"insufficient_funds"}`)})
	m.Sent("intake", processor.Outbound{Topic: "p.outcomes", Value: []byte(`{"request_type":"refund","status":"rejected","reason_code":"amount_malformed"}`)})
	m.Sent("saga", processor.Outbound{Topic: "p.payer.inbox", Value: []byte(`{"status":"success"}`)}) // a command: not counted

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := m.Serve(ctx, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`paycore_outcomes_total{reason_code="insufficient_funds",request_type="pay",status="failure"} 1`,
		`paycore_outcomes_total{reason_code="amount_malformed",request_type="refund",status="rejected"} 1`,
		`paycore_saga_seconds_count{kind="payment",status="success"} 1`,
		`paycore_saga_seconds_sum{kind="payment",status="success"} 0.15`,
		`paycore_saga_seconds_count{kind="refund",status="presumed_failure"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, unwanted := range []string{`kind="payment",status="failure"`, `status="success"} 1` + "\n" + `paycore_outcomes`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("/metrics has %s", unwanted)
		}
	}
}
