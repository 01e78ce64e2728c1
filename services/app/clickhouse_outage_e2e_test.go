package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/deploy/stacktest"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/projector"
	"github.com/paycore/paycore/projections/tables"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/topology"
)

// TestClickHouseRestartUnderFullLoad runs the whole stack as operators
// do, `paycore run` and `paycore project`, on a private ClickHouse server,
// and stops and restarts that server while payments flow. Payments must
// not notice; once the projector has caught up, `paycore audit
// --clickhouse` must be clean and `paycore replay --verify` must find
// every row, then find a row deleted behind its back, which `paycore
// replay` puts back.
func TestClickHouseRestartUnderFullLoad(t *testing.T) {
	t.Parallel()
	const batches, perBatch = 10, 20
	cfg := newConfig(t, 3)
	ch := stacktest.ClickHouse(t)
	bin := buildPaycore(t)
	const database = "paycore_outage"
	env := paycoreEnv(cfg, ch.Addr, database)
	h := startHarnessWithout(t, cfg)
	run, runLog := newPaycoreProcess(t, bin, env, "run", "--session-timeout=6s", "--metrics-addr=",
		"--leg-timeout=300ms", "--query-interval=200ms", "--payer-final-timeout=2s", "--reserve-final-timeout=2s",
		"--payer-lost-reply-rate=0.1", "--payer-query-unknown-rate=0.2", "--reserve-lost-reply-rate=0.1")
	run.start()
	defer func() { run.kill() }()
	project, projectLog := newPaycoreProcess(t, bin, env, "project", "--metrics-addr=", "--session-timeout=6s")
	project.start()
	defer func() { project.kill() }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	open := func() driver.Conn {
		t.Helper()
		conn, err := chconn.Open(ctx, chconn.Config{Addr: []string{ch.Addr}, Database: database})
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}

	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220909%011d", i), "8000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "8000.00"))
	}
	// Payments flow from a goroutine of their own, one batch a second.
	var orders []string
	for b := 0; b < batches; b++ {
		for i := 0; i < perBatch; i++ {
			orders = append(orders, fmt.Sprintf("chdown-%d-%d", b, i))
		}
	}
	sent := make(chan error, 1)
	go func() {
		for b := 0; b < batches; b++ {
			var reqs []events.Request
			for i, order := range orders[b*perBatch : (b+1)*perBatch] {
				reqs = append(reqs, channel.Pay(chanID, order, order, agreements[(b+i)%len(agreements)], events.CNY(fmt.Sprintf("%d.%02d", 1+(b*perBatch+i)*37%200, i))))
			}
			if err := h.client.Send(ctx, reqs...); err != nil {
				sent <- err
				return
			}
			time.Sleep(time.Second)
		}
		sent <- nil
	}()

	// Stop ClickHouse once rows land, under load; start it again 3 s later.
	conn := open()
	for deadline := time.Now().Add(60 * time.Second); countRows(ctx, t, conn, "SELECT count() FROM payment_results") == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("nothing projected within 60s\n%s", projectLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
	conn.Close()
	outcomesAtStop := h.outcomes.Total()
	if err := ch.Down(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	outcomesDuringOutage := h.outcomes.Total() - outcomesAtStop
	if err := ch.Up(); err != nil {
		t.Fatal(err)
	}
	t.Logf("ClickHouse was down for 3s+; %d outcomes arrived meanwhile", outcomesDuringOutage)
	if outcomesDuringOutage == 0 {
		t.Errorf("no payment finished while ClickHouse was down: the outage was not under load")
	}

	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		t.Fatalf("%v\npaycore run log (tail):\n%s", err, runLog())
	}
	run.stop()
	rep := h.audit()
	if rep.Payments != len(orders) {
		t.Fatalf("%d payments in the log, want %d", rep.Payments, len(orders))
	}
	conn = open()
	defer conn.Close()
	top := cfg.Kafka.Topology
	pc := projector.Config{Name: "projector", GroupPrefix: top.Prefix, Brokers: cfg.Kafka.Brokers, Conn: conn,
		Topics: []string{top.Name(topology.SagaEvents), top.Name(topology.PayerEvts), top.Name(topology.ResEvents), top.Name(topology.Clearing)},
		Mapper: tables.Mapper{}, Registry: events.Catalog()}
	waitProjected(ctx, t, pc, 60*time.Second, projectLog)
	project.stop()
	if l := projectLog(); !strings.Contains(l, "ClickHouse insert failed") || !strings.Contains(l, "ClickHouse inserts succeed again") {
		t.Errorf("the projector did not log the failed inserts and their recovery: did it see the outage?\n%s", l)
	}

	out, code := runPaycore(ctx, t, bin, env, "audit", "--clickhouse")
	if code != 0 || !strings.Contains(out, "ClickHouse projections agree with the log") {
		t.Fatalf("paycore audit --clickhouse exited %d:\n%s", code, out)
	}
	out, code = runPaycore(ctx, t, bin, env, "replay", "--target", "all", "--verify", "--quiet")
	if code != 0 {
		t.Fatalf("paycore replay --verify exited %d:\n%s", code, out)
	}
	t.Logf("paycore replay --target all --verify:\n%s", out)

	// A row lost behind the projector's back: verify names it, replay
	// puts it back.
	var lost string
	if err := conn.QueryRow(ctx, "SELECT txn_id FROM payment_results FINAL ORDER BY txn_id LIMIT 1").Scan(&lost); err != nil {
		t.Fatal(err)
	}
	mutate(ctx, t, conn, "payment_results", "DELETE WHERE txn_id = '"+lost+"'")
	out, code = runPaycore(ctx, t, bin, env, "replay", "--verify", "--quiet")
	if code == 0 || !strings.Contains(out, "missing row txn_id="+lost) {
		t.Fatalf("paycore replay --verify after deleting %s exited %d:\n%s", lost, code, out)
	}
	if out, code = runPaycore(ctx, t, bin, env, "replay", "--quiet"); code != 0 {
		t.Fatalf("paycore replay exited %d:\n%s", code, out)
	}
	if out, code = runPaycore(ctx, t, bin, env, "replay", "--verify", "--quiet", "--target", "projections"); code != 0 {
		t.Fatalf("paycore replay --verify after the replay exited %d:\n%s", code, out)
	}
}
