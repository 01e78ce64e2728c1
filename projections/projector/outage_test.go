package projector_test

import (
	"context"
	"fmt"
	"github.com/paycore/paycore/deploy/stacktest"
	"sync"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/segmentio/kafka-go"
)

// timedRecorder is a recorder that also remembers when inserts failed.
type timedRecorder struct {
	*recorder
	mu                        sync.Mutex
	firstFailure, lastFailure time.Time
	lastErr                   error
}

func (r *timedRecorder) InsertFailed(err error) {
	r.recorder.InsertFailed(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.firstFailure.IsZero() {
		r.firstFailure = now
	}
	r.lastFailure, r.lastErr = now, err
}

func TestRealClickHouseStoppedAndRestartedDuringLoad(t *testing.T) {
	const (
		total     = 3000
		batchSize = 50
		interval  = 100 * time.Millisecond // 3000 events over ~6 s
	)
	ch := stacktest.ClickHouse(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := chconn.Open(ctx, chconn.Config{Addr: []string{ch.Addr}, Database: "outage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	f := &fixture{t: t, brokers: kafkatest.Brokers(t), reg: events.Catalog(), topics: map[string]int{}, conn: conn}
	f.createTables()
	topic := kafkatest.UniqueTopic(t, "outage")
	kafkatest.CreateTopic(t, f.brokers, topic, 3)
	f.topics[topic] = 3

	values := make([][]byte, total)
	for i := range values {
		values[i] = f.probe("out", i, "note")
	}

	rec := &timedRecorder{recorder: newRecorder()}
	cfg := f.config(kafkatest.UniqueTopic(t, "g"), rec)
	cfg.MaxRows = 100
	cfg.InsertBackoffMin, cfg.InsertBackoffMax = 50*time.Millisecond, 250*time.Millisecond
	cfg.InsertTimeout = 5 * time.Second
	cfg.MaxOutage = 90 * time.Second
	p, stop := start(t, cfg)
	group := cfg.GroupPrefix + cfg.Name

	// Publish continuously, in small batches, from a goroutine of its own.
	published := make(chan error, 1)
	go func() {
		w := &kafka.Writer{Addr: kafka.TCP(f.brokers...), Topic: topic, Balancer: &kafka.Hash{},
			RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
		defer w.Close()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for start := 0; start < total; start += batchSize {
			msgs := make([]kafka.Message, 0, batchSize)
			for i := start; i < min(start+batchSize, total); i++ {
				msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: values[i]})
			}
			wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
			err := w.WriteMessages(wctx, msgs...)
			wcancel()
			if err != nil {
				published <- fmt.Errorf("publishing events %d..%d: %w", start, start+len(msgs)-1, err)
				return
			}
			<-tick.C
		}
		published <- nil
	}()

	// Let some events reach ClickHouse, then stop it under load.
	eventually(t, 30*time.Second, "first rows projected before the outage", func() (bool, string) {
		n := f.count("SELECT count() FROM t_events")
		return n > 0, fmt.Sprintf("%d rows", n)
	})
	before := p.Stats().Records
	downAt := time.Now()
	if err := ch.Down(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	time.Sleep(3 * time.Second)
	if err := ch.Up(); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	t.Logf("ClickHouse stopped %v after the stop began and answered again %v after it; %d records committed before the stop",
		stoppedAt.Sub(downAt).Round(time.Millisecond), upAt.Sub(downAt).Round(time.Millisecond), before)

	select {
	case err := <-published:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("publishing did not finish within 60s")
	}
	publishedAt := time.Now()
	t.Logf("publishing finished %v after the stop began", publishedAt.Sub(downAt).Round(time.Millisecond))

	eventually(t, 90*time.Second, "caught up after the restart", func() (bool, string) { return f.caughtUp(group) })
	caughtUpAt := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v; want nil (it should retry through the outage)", err)
	}

	// The connection pool's connections predate the restart: a query may
	// need a retry if the pool hands out a dead one.
	count := func(q string) uint64 {
		t.Helper()
		var lastErr error
		for attempt := 1; attempt <= 5; attempt++ {
			var n uint64
			err := conn.QueryRow(context.Background(), q).Scan(&n)
			if err == nil {
				if attempt > 1 {
					t.Logf("%s succeeded on attempt %d (after %v)", q, attempt, lastErr)
				}
				return n
			}
			lastErr = err
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: %v", q, lastErr)
		return 0
	}
	execRetry := func(q string) {
		t.Helper()
		var lastErr error
		for attempt := 1; attempt <= 5; attempt++ {
			if lastErr = conn.Exec(context.Background(), q); lastErr == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: %v", q, lastErr)
	}

	distinct := uint64(total) // every value is a distinct event
	for _, table := range []string{"t_events", "t_probes"} {
		if n := count("SELECT count() FROM " + table + " FINAL"); n != distinct {
			t.Errorf("%s FINAL holds %d rows, want %d (nothing lost)", table, n, distinct)
		}
		raw := count("SELECT count() FROM " + table)
		execRetry("OPTIMIZE TABLE " + table + " FINAL")
		if n := count("SELECT count() FROM " + table); n != distinct {
			t.Errorf("%s holds %d rows after OPTIMIZE FINAL, want %d (nothing doubled)", table, n, distinct)
		}
		t.Logf("%s: %d rows before OPTIMIZE FINAL (%d copies from retried inserts or redeliveries)", table, raw, int64(raw)-int64(distinct))
	}

	_, flushed, failures, skipped := rec.snapshot()
	rec.mu.Lock()
	first, last, lastErr := rec.firstFailure, rec.lastFailure, rec.lastErr
	rec.mu.Unlock()
	st := p.Stats()
	t.Logf("stats %+v; observer: flushed %v, %d insert failures, %d skipped", st, flushed, failures, skipped)
	if failures == 0 {
		t.Errorf("the observer saw no insert failure; the outage was not noticed")
	} else {
		t.Logf("inserts failed from %v to %v after the stop began (%v of failures); last error: %v",
			first.Sub(downAt).Round(time.Millisecond), last.Sub(downAt).Round(time.Millisecond),
			last.Sub(first).Round(time.Millisecond), lastErr)
	}
	t.Logf("server outage %v (stop begun to answering again); caught up %v after it answered again",
		upAt.Sub(downAt).Round(time.Millisecond), caughtUpAt.Sub(upAt).Round(time.Millisecond))
	if skipped != 0 || st.Skipped != 0 {
		t.Errorf("%d records skipped, want none", max(skipped, int(st.Skipped)))
	}
}
