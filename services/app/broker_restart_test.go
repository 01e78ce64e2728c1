package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paycore/paycore/deploy/stacktest"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/services/app"
	"github.com/paycore/paycore/services/channel"
	"github.com/paycore/paycore/services/config"
	"github.com/paycore/paycore/services/topology"
)

// syncBuffer is a goroutine-safe log sink for the processors' logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// supervisor runs app.Run like an operator's process supervisor would: if
// the processors exit with an error (the runtime gives up after bounded
// retries, e.g. "produce ... after 8 attempts" or "offsets of ...: ..."),
// it records the exit and starts them again after a short pause. Every
// exit is logged and reported by the test: a restart is not hidden.
type supervisor struct {
	t     *testing.T
	cfg   app.Config
	stop  context.CancelFunc
	done  chan struct{}
	mu    sync.Mutex
	exits []supervisedExit
	start time.Time
}

type supervisedExit struct {
	at  time.Duration // since the supervisor started
	err error
}

func superviseProcessors(t *testing.T, cfg app.Config) *supervisor {
	ctx, stop := context.WithCancel(context.Background())
	s := &supervisor{t: t, cfg: cfg, stop: stop, done: make(chan struct{}), start: time.Now()}
	go func() {
		defer close(s.done)
		for {
			err := app.Run(ctx, cfg, false)
			if ctx.Err() != nil {
				if err != nil {
					s.record(fmt.Errorf("at shutdown: %w", err))
				}
				return
			}
			if err == nil {
				err = fmt.Errorf("app.Run returned nil before its context ended")
			}
			s.record(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	t.Cleanup(func() {
		s.stop()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("processors did not stop within 30s")
		}
	})
	return s
}

func (s *supervisor) record(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exits = append(s.exits, supervisedExit{at: time.Since(s.start), err: err})
}

func (s *supervisor) snapshot() []supervisedExit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]supervisedExit(nil), s.exits...)
}

// TestBrokerRestartMidLoadLosesAndDoublesNothing stops the (private) Kafka
// broker cleanly while payments are in flight, starts it again on the same
// data directory, sends a second wave, and checks that every payment
// reaches exactly one final outcome and that the audit is clean and counts
// every payment.
func TestBrokerRestartMidLoadLosesAndDoublesNothing(t *testing.T) {
	const seed, accounts, wave1, wave2 = 11, 4, 150, 100
	testStart := time.Now()
	k := stacktest.Kafka(t)
	t.Logf("private broker %s ready after %v", k.Addr, time.Since(testStart).Round(time.Millisecond))

	// Like newConfig, but on the private broker.
	top, err := topology.New(topology.Config{Prefix: kafkatest.UniqueTopic(t, "brk") + ".", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := app.Config{
		Kafka:   config.Kafka{Brokers: []string{k.Addr}, Topology: top, AdminTimeout: 10 * time.Second},
		Secrets: config.Secrets{PayerKey: "test-payer-key-secret", SMS: "test-sms-secret"},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	cfg.Runtime.SessionTimeout = 6 * time.Second
	cfg.Runtime.HeartbeatInterval = 500 * time.Millisecond
	fastSaga(&cfg)

	// The harness creates the topics and plays channels and back office;
	// the processors run under a supervisor of this test.
	h := startHarnessWithout(t, cfg)
	sup := superviseProcessors(t, cfg)
	rng := rand.New(rand.NewPCG(seed, 3))

	var agreements []string
	for i := 0; i < accounts; i++ {
		acc := h.openAccount(fmt.Sprintf("62220404%011d", i), "6000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "6000.00"))
	}
	t.Logf("accounts open and agreements signed after %v", time.Since(testStart).Round(time.Millisecond))

	var orders []string
	wave := func(w, n int) {
		var reqs []events.Request
		for i := 0; i < n; i++ {
			order := fmt.Sprintf("brk-%d-%d", w, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[rng.IntN(len(agreements))],
				events.CNY(fmt.Sprintf("%d.%02d", 1+rng.IntN(200), rng.IntN(100)))))
		}
		h.send(reqs...)
	}

	// Wave 1; stop the broker once its outcomes start to arrive.
	before := h.outcomes.Total()
	wave(1, wave1)
	for deadline := time.Now().Add(60 * time.Second); h.outcomes.Total() == before; {
		if time.Now().After(deadline) {
			t.Fatalf("wave 1: no outcome within 60s\nprocessor log:\n%s", tail(logs.String(), 8000))
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	atDown := h.outcomes.Total() - before
	downAt := time.Now()
	if err := k.Down(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	if err := k.Up(); err != nil {
		t.Fatal(err)
	}
	upAt := time.Now()
	t.Logf("broker stop began at %s, stopped at %s, answering again at %s",
		downAt.UTC().Format("15:04:05.000"), stoppedAt.UTC().Format("15:04:05.000"), upAt.UTC().Format("15:04:05.000"))
	t.Logf("broker stop began with %d/%d wave-1 outcomes seen; stopped after %v; answering again %v after the stop began",
		atDown, wave1, stoppedAt.Sub(downAt).Round(time.Millisecond), upAt.Sub(downAt).Round(time.Millisecond))
	t.Logf("outcomes seen when the broker answered again: %d", h.outcomes.Total()-before)

	// Wave 2, on the restarted broker.
	wave(2, wave2)
	waitCtx, cancel := context.WithTimeout(h.ctx, 3*time.Minute)
	defer cancel()
	if err := h.outcomes.WaitAll(waitCtx, orders, channel.Final); err != nil {
		missing := 0
		for _, o := range orders {
			if _, err := h.outcomes.Wait(expired(), o, channel.Final); err != nil {
				missing++
			}
		}
		t.Logf("goroutines of the processors:\n%s", processorGoroutines())
		t.Fatalf("%v\n%d of %d orders without a final outcome %v after the broker answered again; processor exits: %v\nprocessor log (tail):\n%s",
			err, missing, len(orders), time.Since(upAt).Round(time.Millisecond), sup.snapshot(), tail(afterBroker(logs.String(), downAt), 20000))
	}
	allFinalAt := time.Now()

	for _, o := range orders {
		var finals []string
		for _, out := range h.outcomes.Get(o) {
			if channel.Final(out) {
				finals = append(finals, out.Status)
			}
		}
		if len(finals) != 1 {
			t.Errorf("order %s has %d distinct final outcomes %v: %+v", o, len(finals), finals, h.outcomes.Get(o))
		}
	}
	rep := h.audit()
	t.Logf("audit:\n%s", rep)
	if rep.Payments != wave1+wave2 {
		t.Errorf("%d payments in the log, want %d", rep.Payments, wave1+wave2)
	}

	exits := sup.snapshot()
	warns := strings.Count(logs.String(), "level=WARN")
	errs := strings.Count(logs.String(), "level=ERROR")
	t.Logf("outage %v (stop begun to answering again); all %d orders final %v after it; test %v in all",
		upAt.Sub(downAt).Round(time.Millisecond), len(orders), allFinalAt.Sub(upAt).Round(time.Millisecond), time.Since(testStart).Round(time.Millisecond))
	t.Logf("processors logged %d warnings and %d errors; exited %d times (and were restarted by the supervisor):", warns, errs, len(exits))
	for _, e := range exits {
		t.Logf("  exit at +%v (broker stop began at +%v, answered again at +%v): %v",
			e.at.Round(time.Millisecond), downAt.Sub(sup.start).Round(time.Millisecond), upAt.Sub(sup.start).Round(time.Millisecond), e.err)
	}
	t.Logf("processor log (tail):\n%s", tail(summarizeLog(logs.String()), 6000))
}

// expired returns an already-ended context, to ask Outcomes.Wait without
// waiting.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// summarizeLog counts the processors' log lines by message.
func summarizeLog(s string) string {
	counts := map[string]int{}
	var order []string
	for _, line := range strings.Split(s, "\n") {
		i := strings.Index(line, "msg=")
		if i < 0 {
			continue
		}
		msg := line[i+4:]
		if strings.HasPrefix(msg, `"`) {
			if j := strings.Index(msg[1:], `"`); j >= 0 {
				msg = msg[:j+2]
			}
		} else if j := strings.IndexByte(msg, ' '); j >= 0 {
			msg = msg[:j]
		}
		lvl := ""
		if j := strings.Index(line, "level="); j >= 0 {
			lvl = strings.Fields(line[j:])[0] + " "
		}
		key := lvl + msg
		if counts[key] == 0 {
			order = append(order, key)
		}
		counts[key]++
	}
	var b strings.Builder
	for _, k := range order {
		fmt.Fprintf(&b, "%6d  %s\n", counts[k], k)
	}
	return b.String()
}

// processorGoroutines returns the stacks of the goroutines running inside
// paycore's processor runtime (to see where a stalled processor waits).
func processorGoroutines() string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var b strings.Builder
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "paycore/services/processor") || strings.Contains(g, "kafka-go.(*ConsumerGroup)") || strings.Contains(g, "kafka-go.(*Generation)") {
			b.WriteString(g)
			b.WriteString("\n\n")
		}
	}
	return tail(b.String(), 30000)
}

// afterBroker drops the log lines written before t, and collapses runs of
// "connection refused" retries.
func afterBroker(s string, t time.Time) string {
	var b strings.Builder
	refused := 0
	for _, line := range strings.Split(s, "\n") {
		i := strings.Index(line, "time=")
		if i < 0 {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, strings.Fields(line[i+5:])[0])
		if err == nil && ts.Before(t) {
			continue
		}
		if strings.Contains(line, "connection refused") {
			refused++
			continue
		}
		if refused > 0 {
			fmt.Fprintf(&b, "    [%d connection-refused retries]\n", refused)
			refused = 0
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if refused > 0 {
		fmt.Fprintf(&b, "    [%d connection-refused retries]\n", refused)
	}
	return b.String()
}
