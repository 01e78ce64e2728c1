// Command paycore-load runs paycore's benchmarks against a running stack
// (deploy/stack.sh up). Every figure is printed next to the baseline
// measured in the same run; see loadtest/RESULTS.md.
//
//	go run ./loadtest/cmd/paycore-load baseline -partitions 1,4,12 -messages 200000 -runs 3
//	go run ./loadtest/cmd/paycore-load scenario -name spike -runs 3
//	go run ./loadtest/cmd/paycore-load scaleout -partitions 1,3,6,12 -instances 1,2,3 [-brokers 3]
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
	"github.com/paycore/paycore/services/config"
)

// connector is how every scenario connects to Kafka: the paycore binary's
// PAYCORE_KAFKA_SASL_*, _USERNAME, _PASSWORD(_FILE) and _TLS* settings.
var connector *kafkaconn.Connector

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: paycore-load baseline|sagas|projection|reconciliation|scenario|scaleout [flags]")
		os.Exit(2)
	}
	sec, err := config.KafkaSecurityFromEnv()
	if err == nil {
		connector, err = kafkaconn.New(sec)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paycore-load:", err)
		os.Exit(1)
	}
	switch os.Args[1] {
	case "baseline":
		err = runBaseline(os.Args[2:])
	case "sagas":
		err = runSagas(os.Args[2:])
	case "reconciliation":
		err = runReconciliation(os.Args[2:])
	case "projection":
		err = runProjection(os.Args[2:])
	case "scenario":
		err = runScenario(os.Args[2:])
	case "scaleout":
		err = runScaleout(os.Args[2:])
	default:
		err = fmt.Errorf("unknown scenario %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paycore-load:", err)
		os.Exit(1)
	}
}

func brokersFromEnv() []string {
	if v := os.Getenv("PAYCORE_KAFKA_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:19092"}
}

func runBaseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ExitOnError)
	parts := fs.String("partitions", "1,4,12", "comma-separated partition counts")
	messages := fs.Int("messages", 200000, "messages per run")
	size := fs.Int("bytes", 1024, "message size in bytes")
	runs := fs.Int("runs", 3, "runs per partition count (the median is reported)")
	_ = fs.Parse(args)
	ctx := context.Background()
	fmt.Printf("raw kafka-go produce+consume, %d x %d B messages, acks=all, median of %d runs\n", *messages, *size, *runs)
	fmt.Printf("%-10s %14s %10s %s\n", "partitions", "messages/s", "MB/s", "runs (messages/s)")
	stamp := time.Now().UnixNano()
	for _, ps := range strings.Split(*parts, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(ps))
		if err != nil {
			return fmt.Errorf("bad partition count %q", ps)
		}
		var rates, mbs []float64
		for r := 0; r < *runs; r++ {
			res, err := baseline.RunRawKafka(ctx, baseline.RawKafkaConfig{
				Brokers: brokersFromEnv(), Connector: connector, Topic: fmt.Sprintf("loadtest.raw.%d.p%d.r%d", stamp, p, r),
				Partitions: p, Messages: *messages, MessageBytes: *size,
			})
			if err != nil {
				return err
			}
			rates = append(rates, res.MessagesPerSecond())
			mbs = append(mbs, res.MBPerSecond())
		}
		runsText := make([]string, len(rates))
		for i, r := range rates {
			runsText[i] = fmt.Sprintf("%.0f", r)
		}
		fmt.Printf("%-10d %14.0f %10.1f %s\n", p, baseline.Median(rates), baseline.Median(mbs), strings.Join(runsText, " "))
	}
	return nil
}
