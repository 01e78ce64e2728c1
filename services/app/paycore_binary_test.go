package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/services/app"
)

// buildPaycore builds the paycore binary for the test.
func buildPaycore(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "paycore")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/paycore").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// paycoreEnv is the environment that points the binary at cfg's topology
// and at a ClickHouse server and database.
func paycoreEnv(cfg app.Config, clickhouseAddr, database string) []string {
	env := append(os.Environ(),
		"PAYCORE_KAFKA_BROKERS="+strings.Join(cfg.Kafka.Brokers, ","),
		"PAYCORE_TOPIC_PREFIX="+cfg.Kafka.Topology.Prefix,
		"PAYCORE_PARTITIONS="+strconv.Itoa(cfg.Kafka.Topology.Topics[0].Partitions),
		"PAYCORE_PAYER_KEY_SECRET="+cfg.Secrets.PayerKey,
		"PAYCORE_SMS_SECRET="+cfg.Secrets.SMS,
		chconn.EnvDatabase+"="+database,
	)
	if clickhouseAddr != "" {
		env = append(env, chconn.EnvAddr+"="+clickhouseAddr)
	}
	return env
}

// newPaycoreProcess returns a paycore process (not started) logging to a
// file of the test; dump returns the log's tail for failure messages.
func newPaycoreProcess(t *testing.T, bin string, env []string, args ...string) (*paycoreProcess, func() string) {
	t.Helper()
	logFile, err := os.Create(filepath.Join(t.TempDir(), args[0]+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	return &paycoreProcess{t: t, bin: bin, env: env, args: args, log: logFile}, func() string {
		out, _ := os.ReadFile(logFile.Name())
		if len(out) > 8000 {
			out = out[len(out)-8000:]
		}
		return string(out)
	}
}

// stop ends the process with SIGTERM (a clean stop: last flush and
// commit) and waits for it, up to 30 s, then kills it.
func (p *paycoreProcess) stop() {
	if p.cmd == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("paycore %s did not stop within 30s of SIGTERM; killing it", p.args[0])
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// runPaycore runs one paycore command to its end and returns its output
// (stdout and stderr) and exit code.
func runPaycore(ctx context.Context, t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = env
	out, err := c.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("paycore %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), 0
}
