package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/paycore/paycore/services/app"
)

// Drain says how fast the inbox lag returned to its level before a
// disturbance (a spike's end, a restart).
type Drain struct {
	From      time.Duration // the disturbance's end, since the run's start
	Threshold int64         // the highest total lag sampled before the disturbance began
	After     time.Duration // from From to the first sample at or below Threshold
	Drained   bool
	Peak      int64 // the highest total lag sampled after the disturbance began
}

// DrainOf measures the drain after a disturbance in [began, ended): the
// level to return to is the highest total lag in the second half of the
// warm-up before it began (the first half still holds the setup's tail
// and the pipeline filling up), at least 1 record, so that an idle
// warm-up still leaves a reachable level.
func DrainOf(samples []LagSample, began, ended time.Duration) Drain {
	d := Drain{From: ended, Threshold: 1}
	for _, s := range samples {
		if s.At < began/2 {
			continue
		}
		if s.At < began {
			d.Threshold = max(d.Threshold, s.Total())
		} else {
			d.Peak = max(d.Peak, s.Total())
		}
	}
	d.After, d.Drained = DrainedAfter(samples, ended, d.Threshold)
	return d
}

// Drain returns the drain of the run's disturbance (spike or restart)
// and false for runs without one.
func (r Result) Drain() (Drain, bool) {
	switch {
	case len(r.Schedule.Spikes) > 0:
		sp := r.Schedule.Spikes[0]
		return DrainOf(r.Lag, sp.At, sp.End()), true
	case r.RestartAt > 0:
		return DrainOf(r.Lag, r.RestartAt, r.RestartAt), true
	case r.Burst != nil:
		return DrainOf(r.Lag, r.Burst.At, r.Burst.At), true
	}
	return Drain{}, false
}

// Text renders the run's figures for a terminal; rawRate is the raw
// kafka-go baseline of the same run (messages/s), 0 when not measured.
func (r Result) Text(rawRate float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d partitions, %d instances, %d brokers\n", r.Name, r.Partitions, r.Instances, r.Brokers)
	sent, kinds := 0, []string{}
	for _, k := range append(Kinds, KindBurst) {
		if n := r.Sent[k]; n > 0 {
			sent += n
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
	}
	fmt.Fprintf(&b, "  sent %d (%s); %d drawn refunds/signings sent as payments\n", sent, strings.Join(kinds, ", "), r.Substituted)
	fmt.Fprintf(&b, "  throughput %.1f sagas/s, %.0f records/s", r.Throughput(), r.RecordsPerSecond())
	if rawRate > 0 {
		fmt.Fprintf(&b, " | raw kafka-go %.0f msg/s | records ratio %.4f", rawRate, r.RecordsPerSecond()/rawRate)
	}
	fmt.Fprintf(&b, " | elapsed %v\n", r.Elapsed.Round(time.Millisecond))
	for _, k := range append(Kinds, KindBurst) {
		if s, ok := r.Latency[k]; ok {
			fmt.Fprintf(&b, "  latency %-12s n=%-7d p50 %-9v p99 %-9v p999 %-9v max %v\n", k, s.N, ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max))
		}
	}
	if r.SenderDelay.N > 0 {
		fmt.Fprintf(&b, "  sender behind schedule: p99 %v, max %v\n", ms(r.SenderDelay.P99), ms(r.SenderDelay.Max))
	}
	peak, at := int64(0), time.Duration(0)
	for _, s := range r.Lag {
		if s.Total() > peak {
			peak, at = s.Total(), s.At
		}
	}
	fmt.Fprintf(&b, "  lag: peak %d records at %v (%d samples, %d failed reads)\n", peak, at.Round(time.Second), len(r.Lag), r.LagErrors)
	if d, ok := r.Drain(); ok {
		if d.Drained {
			fmt.Fprintf(&b, "  drain: back to <= %d records %v after %v\n", d.Threshold, d.After.Round(time.Second), d.From.Round(time.Second))
		} else {
			fmt.Fprintf(&b, "  drain: NOT back to <= %d records by the end of the run (peak %d)\n", d.Threshold, d.Peak)
		}
	}
	if s, ok := r.Latency[KindBurst]; ok {
		fmt.Fprintf(&b, "  burst: %d refunds finished within %v of publishing\n", s.N, ms(s.Max))
	}
	if a := r.Admission; a.Readings > 0 {
		fmt.Fprintf(&b, "  admission gate: closed in %d of %d readings (%.1f%%); downstream lag max %d records, backlog max %v; %d failed readings\n",
			a.Closed, a.Readings, 100*float64(a.Closed)/float64(a.Readings), a.MaxLag, a.MaxBacklog.Round(time.Millisecond), a.ReadFailures)
	} else {
		fmt.Fprintf(&b, "  admission gate: off\n")
	}
	if len(r.Rebuilds) > 0 {
		fmt.Fprintf(&b, "  replay: %s\n", rebuildText(r.Rebuilds))
	}
	fmt.Fprintf(&b, "  errors: %d (missing %d, send errors %d; statuses %s)\n", r.Errors(), r.Missing, r.SendErrors, statusText(r.Statuses))
	switch {
	case r.Audit == nil:
		fmt.Fprintf(&b, "  audit: not run\n")
	case r.Audit.Clean():
		fmt.Fprintf(&b, "  audit: clean (payments %d, refunds %d, requests %d)\n", r.Audit.Payments, r.Audit.Refunds, r.Audit.Requests)
	default:
		fmt.Fprintf(&b, "  audit: %d VIOLATIONS, first: %s\n", len(r.Audit.Violations), r.Audit.Violations[0])
	}
	return b.String()
}

func rebuildText(rs []Rebuild) string {
	type agg struct {
		events int
		took   time.Duration
	}
	by := map[string]*agg{}
	for _, r := range rs {
		a := by[r.Processor]
		if a == nil {
			a = &agg{}
			by[r.Processor] = a
		}
		a.events += r.Events
		a.took = max(a.took, r.Took)
	}
	var parts []string
	for _, p := range app.AllProcessors {
		if a := by[p]; a != nil && p != app.Intake {
			parts = append(parts, fmt.Sprintf("%s %d events (slowest partition %v)", p, a.events, ms(a.took)))
		}
	}
	return strings.Join(parts, ", ")
}

func statusText(m map[Kind]map[string]int) string {
	var parts []string
	for _, k := range append(Kinds, KindBurst) {
		ss := m[k]
		keys := make([]string, 0, len(ss))
		for s := range ss {
			keys = append(keys, s)
		}
		sort.Strings(keys)
		for _, s := range keys {
			parts = append(parts, fmt.Sprintf("%s/%s=%d", k, s, ss[s]))
		}
	}
	return strings.Join(parts, " ")
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// Charts draws the run: lag per processor over time, and arrivals planned
// against sagas finished per second.
func (r Result) Charts() []Chart {
	var bands []Band
	for _, sp := range r.Schedule.Spikes {
		bands = append(bands, Band{From: sp.At.Seconds(), To: sp.End().Seconds(), Label: fmt.Sprintf("spike x%g", sp.Factor)})
	}
	if r.Burst != nil {
		bands = append(bands, Band{From: r.Burst.At.Seconds(), To: r.Burst.At.Seconds() + 1, Label: "refund burst"})
	}
	if r.RestartAt > 0 {
		bands = append(bands, Band{From: r.RestartAt.Seconds(), To: r.RestartAt.Seconds() + 1, Label: "restart"})
	}
	lag := Chart{Title: r.Name + ": consumer lag per processor (records, all inbox partitions)", XLabel: "seconds since start", YLabel: "records", Bands: bands}
	for _, p := range app.AllProcessors {
		s := Series{Name: p}
		for _, l := range r.Lag {
			s.Points = append(s.Points, Point{X: l.At.Seconds(), Y: float64(l.Of(p))})
		}
		lag.Series = append(lag.Series, s)
	}
	rate := Chart{Title: r.Name + ": requests planned and sagas finished per second", XLabel: "seconds since start", YLabel: "per second", Bands: bands}
	for _, s := range []struct {
		name string
		v    []int
	}{{"planned", r.Offered}, {"finished", r.Done}} {
		ser := Series{Name: s.name}
		for i, n := range s.v {
			ser.Points = append(ser.Points, Point{X: float64(i) + 0.5, Y: float64(n)})
		}
		if len(ser.Points) > 0 {
			rate.Series = append(rate.Series, ser)
		}
	}
	return []Chart{lag, rate}
}
