package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/loadtest/baseline"
	"github.com/paycore/paycore/loadtest/scenarios"
	"github.com/segmentio/kafka-go"
)

// runScaleout measures capacity (closed loop) over a grid of partition
// and instance counts, on the shared broker or on a private cluster of
// -brokers nodes, each point next to the raw kafka-go baseline on the
// same partitions and brokers.
func runScaleout(args []string) error {
	fs := flag.NewFlagSet("scaleout", flag.ExitOnError)
	parts := fs.String("partitions", "1,3,6,12", "comma-separated partition counts")
	insts := fs.String("instances", "1,2,3", "comma-separated processor instance counts")
	brokers := fs.Int("brokers", 1, "1: the shared broker (deploy/stack.sh); 3: a private 3-node KRaft cluster on loopback, replication factor 3")
	requests := fs.Int("requests", 10000, "requests per point (closed loop)")
	inflight := fs.Int("inflight", 2000, "requests sent but not finished, at most")
	runs := fs.Int("runs", 3, "runs per point (medians are reported)")
	heap := fs.String("broker-heap", "512m", "JVM heap of each private broker")
	sf := addScenarioFlags(fs)
	_ = fs.Parse(args)
	ps, err := ints(*parts)
	if err != nil {
		return err
	}
	is, err := ints(*insts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Hour)
	defer cancel()
	addrs, replication, conn := brokersFromEnv(), 1, connector
	if *brokers > 1 {
		conn = nil // the private cluster listens in plaintext on loopback
		cl := &scenarios.Cluster{Nodes: *brokers, Libs: os.Getenv("PAYCORE_KAFKA_LIBS"), Heap: *heap}
		logf("starting a %d-node KRaft cluster", *brokers)
		if err := cl.Start(ctx); err != nil {
			return err
		}
		defer cl.Stop()
		addrs, replication = cl.Brokers(), min(3, *brokers)
		logf("cluster up: %s (logs under %s)", strings.Join(addrs, ","), cl.Dir)
	}
	stamp := time.Now().Unix()
	fmt.Printf("scale-out: closed loop of %d requests (at most %d in flight) per point, %d broker(s), replication %d, median of %d runs\n",
		*requests, *inflight, len(addrs), replication, *runs)
	fmt.Printf("%-10s %-9s %10s %9s %9s %12s %12s %8s\n", "partitions", "instances", "sagas/s", "pay p50", "pay p99", "records/s", "raw msg/s", "ratio")
	var sections []scenarios.Section
	curves := map[int]*scenarios.Series{}
	for _, p := range ps {
		for _, n := range is {
			var tps, p50s, p99s, recs, raws, ratios []float64
			for r := 0; r < *runs; r++ {
				rawTopic := fmt.Sprintf("lt.raw.%d.p%d.i%d.r%d", stamp, p, n, r)
				if err := createTopic(ctx, addrs, conn, rawTopic, p, replication); err != nil {
					return err
				}
				raw, err := baseline.RunRawKafka(ctx, baseline.RawKafkaConfig{
					Brokers: addrs, Connector: conn, Topic: rawTopic, Partitions: p, Messages: *sf.rawMessages, MessageBytes: 1024,
				})
				if err != nil {
					return err
				}
				pr := sf.params(p, n, replication)
				pr.Rate, pr.Duration = 1, time.Second
				cfgs, err := scenarios.Configs(scenarios.NameSteady, pr, fmt.Sprintf("lt.scale.%d.p%d.i%d.r%d.", stamp, p, n, r))
				if err != nil {
					return err
				}
				c := cfgs[0]
				c.Name = fmt.Sprintf("scale p%d i%d b%d", p, n, len(addrs))
				c.Closed = scenarios.ClosedLoop{Requests: *requests, InFlight: *inflight}
				c.Brokers, c.Connector, c.Logf, c.Seed = addrs, conn, logf, c.Seed+uint64(r)
				res, err := scenarios.Run(ctx, c)
				if err != nil {
					return fmt.Errorf("%s run %d: %w", c.Name, r, err)
				}
				if res.Audit != nil && !res.Audit.Clean() {
					return fmt.Errorf("%s run %d: the audit found %d violations", c.Name, r, len(res.Audit.Violations))
				}
				text := res.Text(raw.MessagesPerSecond())
				fmt.Fprint(os.Stderr, text)
				sections = append(sections, scenarios.Section{Heading: fmt.Sprintf("%s, run %d", c.Name, r), Text: text, Charts: res.Charts()})
				pay := res.Latency[scenarios.KindPay]
				tps, p50s, p99s = append(tps, res.Throughput()), append(p50s, float64(pay.P50.Milliseconds())), append(p99s, float64(pay.P99.Milliseconds()))
				recs, raws = append(recs, res.RecordsPerSecond()), append(raws, raw.MessagesPerSecond())
				ratios = append(ratios, res.RecordsPerSecond()/raw.MessagesPerSecond())
			}
			m := baseline.Median
			fmt.Printf("%-10d %-9d %10.1f %7.0fms %7.0fms %12.0f %12.0f %8.4f\n", p, n, m(tps), m(p50s), m(p99s), m(recs), m(raws), m(ratios))
			if curves[n] == nil {
				curves[n] = &scenarios.Series{Name: fmt.Sprintf("%d instance(s)", n)}
			}
			curves[n].Points = append(curves[n].Points, scenarios.Point{X: float64(p), Y: m(tps)})
		}
	}
	chart := scenarios.Chart{Title: fmt.Sprintf("scaling curve, %d broker(s): sagas/s (median) by partitions", len(addrs)), XLabel: "partitions", YLabel: "sagas/s"}
	for _, n := range is {
		chart.Series = append(chart.Series, *curves[n])
	}
	sections = append([]scenarios.Section{{Heading: "scaling curve", Charts: []scenarios.Chart{chart}}}, sections...)
	return writeReport(*sf.out, fmt.Sprintf("scaleout-b%d-%d.html", len(addrs), stamp), "paycore-load scaleout", sections)
}

// createTopic creates the raw baseline's topic with the cluster's
// replication factor (the baseline itself creates it with 1), so that
// acks=all waits for as many copies as paycore's topics do.
func createTopic(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, partitions, replication int) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: c.Transport()}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: replication,
	}}})
	if err == nil {
		err = resp.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", topic, err)
	}
	return nil
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
