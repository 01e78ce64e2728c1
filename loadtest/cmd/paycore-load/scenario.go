package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/scenarios"
	"github.com/paycore/paycore/services/admission"
	"github.com/paycore/paycore/services/banklink"
)

// scenarioFlags are the flags scenario and scaleout share.
type scenarioFlags struct {
	institutions, customers *int
	dominant, hotShare      *float64
	faults                  *bool
	lostReply, queryUnknown *float64
	latencyMax              *time.Duration
	noAdmission             *bool
	snapshotEvery           *int
	rawMessages             *int
	out                     *string
	seed                    *uint64
}

func addScenarioFlags(fs *flag.FlagSet) scenarioFlags {
	p := scenarios.DefaultPopulation()
	return scenarioFlags{
		institutions:  fs.Int("institutions", p.Institutions, "institutions (channels), one reserve account each"),
		customers:     fs.Int("customers", p.Customers, "customers signed before the run"),
		dominant:      fs.Float64("dominant", p.Dominant, "share of the traffic on the dominant institution's reserve account"),
		hotShare:      fs.Float64("hot-share", p.HotShare, "share of payments made by the 1% hot customers"),
		faults:        fs.Bool("faults", true, "bank-link faults on (0.2% lost replies, 30% unknown status answers, 0-5 ms latency)"),
		lostReply:     fs.Float64("fault-lost-reply", -1, "with -faults: share of bank replies lost (-1: the default, 0.002)"),
		queryUnknown:  fs.Float64("fault-query-unknown", -1, "with -faults: share of status queries answered unknown (-1: the default, 0.3)"),
		latencyMax:    fs.Duration("fault-latency-max", -1, "with -faults: bank replies delayed uniformly up to this (-1: the default, 5ms)"),
		snapshotEvery: fs.Int("snapshot-every", 0, "events a partition folds between snapshots (0: the runtime's default, 50,000)"),
		noAdmission:   fs.Bool("no-admission", false, "run the intake without its admission gate (paycore run --no-admission)"),
		rawMessages:   fs.Int("raw-messages", 200000, "messages of the raw kafka-go baseline per run"),
		out:           fs.String("out", "loadtest/out", "directory of the HTML reports"),
		seed:          fs.Uint64("seed", 1, "seed of the arrivals and the request stream"),
	}
}

func (f scenarioFlags) params(partitions, instances, replication int) scenarios.Params {
	pop := scenarios.DefaultPopulation()
	pop.Institutions, pop.Customers, pop.Dominant, pop.HotShare = *f.institutions, *f.customers, *f.dominant, *f.hotShare
	var faults banklink.Config
	if *f.faults {
		faults = scenarios.DefaultFaults(*f.seed)
		if *f.lostReply >= 0 {
			faults.LostReplyRate = *f.lostReply
		}
		if *f.queryUnknown >= 0 {
			faults.QueryUnknownRate = *f.queryUnknown
		}
		if *f.latencyMax >= 0 {
			faults.LatencyMax = *f.latencyMax
		}
	}
	return scenarios.Params{Partitions: partitions, Instances: instances, Replication: replication,
		Population: pop, Mix: scenarios.DefaultMix, Faults: faults, Seed: *f.seed,
		Admission: admission.Config{Off: *f.noAdmission}, SnapshotEvery: *f.snapshotEvery}
}

// baseFraction is the share of the measured peak a scenario's base rate
// defaults to: half for the latency target, a fifth for the spike (10x a
// fifth is twice the peak: a real overload that can still drain).
var baseFraction = map[string]float64{
	scenarios.NameSteady: 0.5, scenarios.NameSpike: 0.2, scenarios.NameHotReserve: 1,
	scenarios.NameRefundBurst: 0.5, scenarios.NameReplay: 0.5,
}

// runScenario runs one named scenario -runs times; every run measures the
// raw kafka-go baseline first, on the same partitions.
func runScenario(args []string) error {
	fs := flag.NewFlagSet("scenario", flag.ExitOnError)
	name := fs.String("name", scenarios.NameSteady, "scenario: "+strings.Join(scenarios.Names, "|"))
	duration := fs.Duration("duration", 60*time.Second, "arrivals (steady, refund-burst, replay; hot-reserve: requests = rate x duration); spike: 0 = spike-at + spike-seconds + observe")
	rate := fs.Float64("rate", 0, "base arrival rate, requests/s; 0 measures the peak first (closed loop) and takes the scenario's share of it")
	factor := fs.Float64("spike-factor", 10, "spike: rate multiplier")
	spikeSeconds := fs.Int("spike-seconds", 60, "spike: length in seconds")
	spikeAt := fs.Duration("spike-at", 30*time.Second, "spike: start")
	observe := fs.Duration("observe", 120*time.Second, "spike: base-rate arrivals after the spike, for the lag to drain")
	burst := fs.Int("burst", 1000, "refund-burst: refunds of one customer in one produce call")
	partitions := fs.Int("partitions", 3, "partitions of every topic")
	instances := fs.Int("instances", 1, "processor instances sharing the consumer groups")
	runs := fs.Int("runs", 3, "runs (medians are reported)")
	calibrate := fs.Int("calibrate-requests", 20000, "requests of the closed-loop peak measurement when -rate is 0")
	sf := addScenarioFlags(fs)
	_ = fs.Parse(args)
	if _, ok := baseFraction[*name]; !ok {
		return fmt.Errorf("unknown scenario %q (want one of %s)", *name, strings.Join(scenarios.Names, ", "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	stamp := time.Now().Unix()
	p := sf.params(*partitions, *instances, 1)
	p.Duration, p.SpikeFactor, p.SpikeLength = *duration, *factor, time.Duration(*spikeSeconds)*time.Second
	p.SpikeAt, p.Observe, p.BurstRefunds = *spikeAt, *observe, *burst
	if *name == scenarios.NameSpike && !flagSet(fs, "duration") {
		p.Duration = 0
	}
	p.Rate = *rate
	if p.Rate == 0 {
		peak, err := measurePeak(ctx, p, fmt.Sprintf("lt.peak.%d.", stamp), *calibrate)
		if err != nil {
			return err
		}
		p.Rate = peak * baseFraction[*name]
		fmt.Printf("peak (closed loop, %d requests, %d partitions): %.1f sagas/s; base rate for %s = %.0f%% of it = %.1f requests/s\n",
			*calibrate, *partitions, peak, *name, 100*baseFraction[*name], p.Rate)
	}
	var sections []scenarios.Section
	var tps, raws, ratios, p99s, drains, hotRatios []float64
	for r := 0; r < *runs; r++ {
		raw, err := baseline.RunRawKafka(ctx, baseline.RawKafkaConfig{
			Brokers: brokersFromEnv(), Connector: connector, Topic: fmt.Sprintf("lt.raw.%d.%d", stamp, r),
			Partitions: *partitions, Messages: *sf.rawMessages, MessageBytes: 1024,
		})
		if err != nil {
			return err
		}
		cfgs, err := scenarios.Configs(*name, p, fmt.Sprintf("lt.scn.%d.r%d.", stamp, r))
		if err != nil {
			return err
		}
		if len(cfgs) == 2 && r%2 == 1 {
			// hot-reserve: alternate which half runs first, so that a
			// broker warming up over the runs favours neither.
			cfgs[0], cfgs[1] = cfgs[1], cfgs[0]
		}
		var results []scenarios.Result
		for _, c := range cfgs {
			c.Brokers, c.Connector = brokersFromEnv(), connector
			c.Seed = p.Seed + uint64(r)
			c.Logf = logf
			res, err := scenarios.Run(ctx, c)
			if err != nil {
				return fmt.Errorf("run %d %s: %w", r, c.Name, err)
			}
			text := fmt.Sprintf("run %d, ", r) + res.Text(raw.MessagesPerSecond())
			fmt.Print(text)
			sections = append(sections, scenarios.Section{Heading: fmt.Sprintf("run %d: %s", r, res.Name), Text: text, Charts: res.Charts()})
			results = append(results, res)
			if res.Audit != nil && !res.Audit.Clean() {
				return fmt.Errorf("run %d %s: the audit found %d violations", r, res.Name, len(res.Audit.Violations))
			}
		}
		last := results[len(results)-1]
		if len(results) == 2 {
			uniform, hot := results[0], results[1]
			if r%2 == 1 {
				uniform, hot = hot, uniform
			}
			hotRatios, last = append(hotRatios, hot.Throughput()/uniform.Throughput()), hot
		}
		tps, raws = append(tps, last.Throughput()), append(raws, raw.MessagesPerSecond())
		ratios = append(ratios, last.RecordsPerSecond()/raw.MessagesPerSecond())
		p99s = append(p99s, float64(last.Latency[scenarios.KindPay].P99.Milliseconds()))
		if d, ok := last.Drain(); ok && d.Drained {
			drains = append(drains, d.After.Seconds())
		}
	}
	m := baseline.Median
	summary := fmt.Sprintf("median of %d runs: %.1f sagas/s, pay p99 %.0f ms, raw kafka-go %.0f msg/s, records ratio %.4f (range %s)",
		*runs, m(tps), m(p99s), m(raws), m(ratios), span(ratios))
	if len(drains) > 0 {
		summary += fmt.Sprintf(", lag drained after %.0f s (%d of %d runs drained)", m(drains), len(drains), *runs)
	}
	if len(hotRatios) > 0 {
		summary += fmt.Sprintf(", 100%% skew / uniform throughput %.3f (range %s)", m(hotRatios), span(hotRatios))
	}
	fmt.Println(summary)
	sections = append([]scenarios.Section{{Heading: "summary", Text: summary}}, sections...)
	return writeReport(*sf.out, fmt.Sprintf("%s-%d.html", *name, stamp), "paycore-load scenario "+*name, sections)
}

// measurePeak runs the steady population in a closed loop and returns
// its throughput: the peak the base rates are shares of.
func measurePeak(ctx context.Context, p scenarios.Params, prefix string, requests int) (float64, error) {
	p.Rate, p.Duration = 1, time.Second
	cfgs, err := scenarios.Configs(scenarios.NameSteady, p, prefix)
	if err != nil {
		return 0, err
	}
	c := cfgs[0]
	c.Name, c.Closed, c.Audit = "peak", scenarios.ClosedLoop{Requests: requests}, false
	c.Brokers, c.Connector, c.Logf = brokersFromEnv(), connector, logf
	res, err := scenarios.Run(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("measuring the peak: %w", err)
	}
	fmt.Print(res.Text(0))
	return res.Throughput(), nil
}

func writeReport(dir, file, title string, sections []scenarios.Section) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, file)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := scenarios.WriteHTML(f, title, sections); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println("report:", path)
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
