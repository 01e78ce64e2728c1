package app_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/channel"
)

// paycoreProcess is the real binary, killed with SIGKILL at random moments.
type paycoreProcess struct {
	t    *testing.T
	bin  string
	env  []string
	args []string
	cmd  *exec.Cmd
	log  *os.File
}

func (p *paycoreProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *paycoreProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// TestSIGKILLAtRandomMomentsLosesAndDoublesNothing runs the paycore binary,
// kills it with SIGKILL while payments are in flight, restarts it, and
// checks that every payment reaches exactly one final status, none is
// applied twice, and the balances are exact (audit).
func TestSIGKILLAtRandomMomentsLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	const seed, waves, perWave = 7, 4, 60
	rng := rand.New(rand.NewPCG(seed, 1))
	cfg := newConfig(t, 3)
	bin := filepath.Join(t.TempDir(), "paycore")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/paycore").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "paycore.log"))
	if err != nil {
		t.Fatal(err)
	}
	proc := &paycoreProcess{
		t: t, bin: bin, log: logFile,
		env: append(os.Environ(),
			"PAYCORE_KAFKA_BROKERS="+strings.Join(cfg.Kafka.Brokers, ","),
			"PAYCORE_TOPIC_PREFIX="+cfg.Kafka.Topology.Prefix,
			"PAYCORE_PARTITIONS="+strconv.Itoa(cfg.Kafka.Topology.Topics[0].Partitions),
			"PAYCORE_PAYER_KEY_SECRET="+cfg.Secrets.PayerKey,
			"PAYCORE_SMS_SECRET="+cfg.Secrets.SMS,
		),
		args: []string{"run", "--session-timeout=6s", "--metrics-addr=127.0.0.1:0",
			"--leg-timeout=300ms", "--query-interval=200ms", "--payer-final-timeout=2s", "--reserve-final-timeout=2s",
			"--payer-lost-reply-rate=0.1", "--payer-query-unknown-rate=0.2", "--reserve-lost-reply-rate=0.1"},
	}
	// The harness plays channels and the bank back office only.
	h := startHarnessWithout(t, cfg)
	proc.start()
	defer func() { proc.kill() }()

	var agreements []string
	for i := 0; i < 4; i++ {
		acc := h.openAccount(fmt.Sprintf("62220303%011d", i), "5000.00")
		agreements = append(agreements, h.sign(chanID, acc, "500.00", "5000.00"))
	}
	var orders []string
	for w := 0; w < waves; w++ {
		var reqs []events.Request
		for i := 0; i < perWave; i++ {
			order := fmt.Sprintf("crash-%d-%d", w, i)
			orders = append(orders, order)
			reqs = append(reqs, channel.Pay(chanID, order, order, agreements[rng.IntN(len(agreements))], events.CNY(fmt.Sprintf("%d.%02d", 1+rng.IntN(200), rng.IntN(100)))))
		}
		before := h.outcomes.Total()
		h.send(reqs...)
		// Kill mid-work: once this wave's outcomes start to arrive, at a
		// random moment within the next 300 ms.
		for deadline := time.Now().Add(60 * time.Second); h.outcomes.Total() == before; {
			if time.Now().After(deadline) {
				t.Fatalf("wave %d: no progress within 60s of a restart", w)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		proc.kill()
		t.Logf("wave %d: killed with SIGKILL, %d outcomes so far", w, h.outcomes.Total())
		proc.start()
	}
	if err := h.outcomes.WaitAll(h.ctx, orders, channel.Final); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		if len(out) > 20000 {
			out = out[len(out)-20000:]
		}
		t.Fatalf("%v\npaycore log (tail):\n%s", err, out)
	}
	for _, o := range orders {
		finals := 0
		for _, out := range h.outcomes.Get(o) {
			if channel.Final(out) {
				finals++
			}
		}
		if finals != 1 {
			t.Fatalf("order %s has %d distinct final outcomes: %+v", o, finals, h.outcomes.Get(o))
		}
	}
	rep := h.audit()
	t.Logf("after %d SIGKILLs:\n%s", waves, rep)
	if rep.Payments != waves*perWave {
		t.Fatalf("%d payments in the log, want %d", rep.Payments, waves*perWave)
	}
}
