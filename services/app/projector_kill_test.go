package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/logpos"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/audit"
	"github.com/paycore/paycore/services/banklink"
	"github.com/paycore/paycore/services/channel"
	"github.com/segmentio/kafka-go"
)

// countRows returns count() of a query on conn.
func countRows(ctx context.Context, t *testing.T, conn driver.Conn, query string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// projectorLag returns the records of pc's logs its group (paycore
// project's) has not committed yet, and the partitions behind.
func projectorLag(ctx context.Context, t *testing.T, pc projector.Config) (int64, string) {
	t.Helper()
	parts, err := logpos.Resolve(ctx, pc.Brokers, pc.Connector, pc.Topics, logpos.Start, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req := map[string][]int{}
	for _, p := range parts {
		req[p.Topic] = append(req[p.Topic], p.Partition)
	}
	client := &kafka.Client{Addr: kafka.TCP(pc.Brokers...), Timeout: 10 * time.Second, Transport: pc.Connector.Transport()}
	res, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: pc.GroupPrefix + pc.Name, Topics: req})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		return -1, err.Error()
	}
	committed := map[string]map[int]int64{}
	for topic, ps := range res.Topics {
		committed[topic] = map[int]int64{}
		for _, p := range ps {
			committed[topic][p.Partition] = p.CommittedOffset
		}
	}
	var lag int64
	behind := ""
	for _, p := range parts {
		if c := max(committed[p.Topic][p.Partition], p.First); c < p.End {
			lag += p.End - c
			behind += fmt.Sprintf(" %s/%d@%d<%d", p.Topic, p.Partition, c, p.End)
		}
	}
	return lag, behind
}

// waitProjected waits until the projector group of pc has committed every
// partition of its logs up to the end: every row is in ClickHouse.
func waitProjected(ctx context.Context, t *testing.T, pc projector.Config, within time.Duration, logTail func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		lag, behind := projectorLag(ctx, t, pc)
		if lag == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector did not catch up within %v:%s\n%s", within, behind, logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requireTablesEqualLog checks ClickHouse against the Kafka log once the
// projector has caught up: the audit's figures (statuses, reserve credits,
// opening balances), every row of every table (Verify from the beginning:
// nothing lost, nothing wrong, nothing extra), and no key twice once
// ClickHouse has merged the copies a redelivery inserted.
func requireTablesEqualLog(ctx context.Context, t *testing.T, conn driver.Conn, pc projector.Config, rep audit.Report) {
	t.Helper()
	diffs, err := audit.CrossCheck(ctx, conn, rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("ClickHouse disagrees with the audit of the Kafka log:\n%s", strings.Join(diffs, "\n"))
	}
	vr, err := projector.Verify(ctx, pc, logpos.Start)
	if err != nil {
		t.Fatal(err)
	}
	if !vr.Clean() {
		t.Fatalf("ClickHouse rows differ from the log's:\n%s", vr)
	}
	copies := uint64(0)
	for _, tb := range tables.Tables() {
		final := countRows(ctx, t, conn, "SELECT count() FROM "+tb.Name+" FINAL")
		copies += countRows(ctx, t, conn, "SELECT count() FROM "+tb.Name) - final
		if err := conn.Exec(ctx, "OPTIMIZE TABLE "+tb.Name+" FINAL"); err != nil {
			t.Fatal(err)
		}
		if raw := countRows(ctx, t, conn, "SELECT count() FROM "+tb.Name); raw != final {
			t.Errorf("%s: %d rows after OPTIMIZE FINAL, %d keys with FINAL: a key doubled", tb.Name, raw, final)
		}
	}
	t.Logf("ClickHouse equals the log: %d payments; %d row copies from redeliveries merged away by OPTIMIZE FINAL", rep.Payments, copies)
}

// TestProjectorSIGKILLedUnderLoadLosesAndDoublesNothing runs `paycore
// project` as a process while payments flow continuously, kills it with
// SIGKILL at random moments while it has records in flight, restarts it,
// and requires the tables to equal the log exactly once it has caught up.
func TestProjectorSIGKILLedUnderLoadLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	const seed, kills, batches, perBatch = 13, 3, 40, 4
	rng := rand.New(rand.NewPCG(seed, 2))
	cfg := newConfig(t, 3)
	cfg.PayerLink = banklink.Config{Seed: seed, LostReplyRate: 0.1, QueryUnknownRate: 0.3}
	bin := buildPaycore(t)
	h := startHarness(t, cfg)
	conn, database := chtest.Open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pc := analystProjector(ctx, t, cfg, conn)
	proj, projLog := newPaycoreProcess(t, bin, paycoreEnv(cfg, "", database), "project", "--metrics-addr=", "--session-timeout=6s")
	proj.start()
	defer func() { proj.kill() }()

	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220808%011d", i), "6000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "6000.00"))
	}
	// Payments flow from a goroutine of their own, a small batch every
	// 250 ms, for the whole test.
	var orders []string
	var amounts []events.Money
	for i := 0; i < batches*perBatch; i++ {
		orders = append(orders, fmt.Sprintf("pkill-%d", i))
		amounts = append(amounts, events.CNY(fmt.Sprintf("%d.%02d", 1+rng.IntN(150), rng.IntN(100))))
	}
	sent := make(chan error, 1)
	go func() {
		for b := 0; b < batches; b++ {
			var reqs []events.Request
			for i := b * perBatch; i < (b+1)*perBatch; i++ {
				reqs = append(reqs, channel.Pay(chanID, orders[i], orders[i], agreements[i%len(agreements)], amounts[i]))
			}
			if err := h.client.Send(ctx, reqs...); err != nil {
				sent <- err
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		sent <- nil
	}()

	inFlight := 0
	for k := 0; k < kills; k++ {
		// Kill mid-work: once new rows land, at a random moment within
		// the next 700 ms.
		before := countRows(ctx, t, conn, "SELECT count() FROM payer_legs")
		for deadline := time.Now().Add(60 * time.Second); countRows(ctx, t, conn, "SELECT count() FROM payer_legs") == before; {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: nothing projected within 60s\n%s", k, projLog())
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond)
		proj.kill()
		lag, _ := projectorLag(ctx, t, pc)
		if lag > 0 {
			inFlight++
		}
		t.Logf("kill %d: projector killed with SIGKILL; %d records of the logs not committed by it", k, lag)
		proj.start()
	}
	if inFlight == 0 {
		t.Fatal("every kill found the projector idle (nothing uncommitted): the kills were not under load")
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		t.Fatal(err)
	}
	h.shutdown()
	rep := h.audit()
	if rep.Payments != len(orders) {
		t.Fatalf("%d payments in the log, want %d", rep.Payments, len(orders))
	}
	waitProjected(ctx, t, pc, 60*time.Second, projLog)
	proj.stop()
	requireTablesEqualLog(ctx, t, conn, pc, rep)
}
