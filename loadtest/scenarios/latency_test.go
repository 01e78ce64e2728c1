package scenarios

import (
	"testing"
	"time"
)

func ms2(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileIsNearestRank(t *testing.T) {
	var thousand []time.Duration
	for i := 1; i <= 1000; i++ {
		thousand = append(thousand, ms2(i))
	}
	for _, c := range []struct {
		xs   []time.Duration
		p    float64
		want time.Duration
	}{
		{thousand, 50, ms2(500)},
		{thousand, 99, ms2(990)},
		{thousand, 99.9, ms2(999)}, // not 1000: 99.9 % of 1,000 is 999 exactly
		{thousand, 100, ms2(1000)},
		{thousand, 0, ms2(1)},
		{[]time.Duration{ms2(7)}, 99.9, ms2(7)},
		{[]time.Duration{ms2(1), ms2(2)}, 50, ms2(1)},
		{[]time.Duration{ms2(1), ms2(2), ms2(3)}, 50, ms2(2)},
		{nil, 50, 0},
	} {
		if got := Percentile(c.xs, c.p); got != c.want {
			t.Errorf("Percentile(%d values, %v) = %v, want %v", len(c.xs), c.p, got, c.want)
		}
	}
}

func TestSummarizeSortsAndSummarizes(t *testing.T) {
	var xs []time.Duration
	for i := 100; i >= 1; i-- { // descending: Summarize must sort
		xs = append(xs, ms2(i))
	}
	s := Summarize(xs)
	if s.N != 100 || s.P50 != ms2(50) || s.P99 != ms2(99) || s.P999 != ms2(100) || s.Max != ms2(100) {
		t.Errorf("Summarize = %+v", s)
	}
	if (Summarize(nil) != Summary{}) {
		t.Error("Summarize(nil) is not zero")
	}
}

func TestRecorderTimesFirstFinalOutcomeOnly(t *testing.T) {
	t0 := time.Now()
	r := NewRecorder(t0)
	r.Sent("a", KindPay, t0)
	r.Sent("b", KindRefund, t0.Add(time.Second))
	if k, ok := r.Finished("a", "success", t0.Add(ms2(40))); !ok || k != KindPay {
		t.Fatalf("Finished(a) = %v, %v", k, ok)
	}
	if _, ok := r.Finished("a", "success", t0.Add(ms2(90))); ok {
		t.Error("a redelivered outcome was timed again")
	}
	if _, ok := r.Finished("zzz", "success", t0); ok {
		t.Error("an outcome of an order never sent was timed")
	}
	if r.Open() != 1 {
		t.Errorf("Open = %d, want 1", r.Open())
	}
	r.Finished("b", "failure", t0.Add(1500*time.Millisecond))
	if s := r.Summary(KindPay); s.N != 1 || s.P50 != ms2(40) {
		t.Errorf("pay summary %+v", s)
	}
	if s := r.Summary(KindRefund); s.P50 != ms2(500) {
		t.Errorf("refund summary %+v", s)
	}
	if st := r.Statuses(); st[KindRefund]["failure"] != 1 || st[KindPay]["success"] != 1 {
		t.Errorf("statuses %v", st)
	}
	if ps := r.PerSecond(); len(ps) != 2 || ps[0] != 1 || ps[1] != 1 {
		t.Errorf("per second %v, want [1 1]", ps)
	}
}
