package metrics

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestMetricsAndReadiness(t *testing.T) {
	m := New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := m.Serve(ctx, "127.0.0.1:0", []string{"saga", "payer"})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d before any rebuild, want 503", code)
	}
	m.Rebuilt("saga", 0, 10, time.Millisecond)
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d with payer not rebuilt, want 503", code)
	}
	m.Rebuilt("payer", 3, 0, time.Millisecond)
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz %d after both rebuilt", code)
	}
	m.Batch("saga", 2, 50, 3*time.Millisecond)
	m.Lag("saga", 2, 1234)
	m.Poisoned("saga", "undecodable")
	_, body := get("/metrics")
	for _, want := range []string{
		`paycore_inbox_lag_records{partition="2",processor="saga"} 1234`,
		`paycore_inbox_records_total{processor="saga"} 50`,
		`paycore_poisoned_records_total{processor="saga"} 1`,
		`paycore_rebuild_events{partition="0",processor="saga"} 10`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestProjectorMetrics(t *testing.T) {
	m := New()
	o := m.Projector()
	o.Lag("paycore.saga.events", 3, 42)
	o.Flushed("payments", 100, time.Millisecond)
	o.InsertFailed(nil)
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
	for _, want := range []string{
		`paycore_projector_lag_records{partition="3",topic="paycore.saga.events"} 42`,
		`paycore_projector_rows_total{table="payments"} 100`,
		`paycore_projector_insert_failures_total 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestAdmissionMetrics(t *testing.T) {
	m := New()
	m.Admission(true, 100, 5000, 20*time.Millisecond)
	m.Admission(false, 90000, 0, time.Duration(math.MaxInt64))
	time.Sleep(20 * time.Millisecond)
	m.Admission(false, 80000, 40000, 2*time.Second)
	m.AdmissionReadFailed()
	got := map[string]float64{}
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			switch {
			case metric.GetGauge() != nil:
				got[f.GetName()] = metric.GetGauge().GetValue()
			case metric.GetCounter() != nil:
				got[f.GetName()] = metric.GetCounter().GetValue()
			}
		}
	}
	for name, want := range map[string]float64{
		"paycore_admission_open":                          0,
		"paycore_admission_downstream_lag_records":        80000,
		"paycore_admission_downstream_records_per_second": 40000,
		"paycore_admission_backlog_seconds":               2,
		"paycore_admission_closures_total":                1,
		"paycore_admission_read_failures_total":           1,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if closed := got["paycore_admission_closed_seconds_total"]; closed < 0.02 || closed > 5 {
		t.Errorf("closed seconds = %v, want the ~20 ms between the two closed readings", closed)
	}
}
