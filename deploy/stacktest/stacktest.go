// Package stacktest starts a private Kafka broker or ClickHouse server with
// deploy/stack.sh for one test: its own stack directory, free loopback
// ports. Tests that stop and restart a server use it, so that the outage
// never reaches the shared servers other packages' tests run against.
package stacktest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is one private server of the local stack.
type Server struct {
	t    testing.TB
	kind string // "kafka" or "clickhouse"
	env  []string
	// Addr is where it listens (host:port): the broker's, or ClickHouse's
	// native port.
	Addr string
	// SASLAddr and SASLTLSAddr are the broker's SASL_PLAINTEXT and
	// SASL_SSL listeners, and CAFile the PEM certificate of the authority
	// that signed the SASL_SSL listener's certificate; empty unless the
	// broker was started WithSASL (SASLTLSAddr and CAFile: with TLS).
	SASLAddr    string
	SASLTLSAddr string
	CAFile      string
}

// KafkaOption adjusts the private broker Kafka starts.
type KafkaOption func(t testing.TB, b *brokerSetup)

// brokerSetup is the broker's ports and what options add to the stack's
// configuration: properties appended to server.properties (later keys
// win), arguments of the log directory format, and what to report on the
// Server.
type brokerSetup struct {
	port, controller             int
	properties                   []string
	formatArgs                   []string
	saslAddr, saslTLSAddr, caPEM string
}

// Kafka starts a private single-node broker; stopped at test end.
func Kafka(t testing.TB, opts ...KafkaOption) *Server {
	b := brokerSetup{port: freePort(t), controller: freePort(t)}
	env := []string{
		"PAYCORE_KAFKA_PORT=" + strconv.Itoa(b.port),
		"PAYCORE_KAFKA_CONTROLLER_PORT=" + strconv.Itoa(b.controller),
		"PAYCORE_KAFKA_HEAP=512m",
	}
	for _, opt := range opts {
		opt(t, &b)
	}
	if len(b.properties) > 0 {
		file := filepath.Join(t.TempDir(), "extra.properties")
		if err := os.WriteFile(file, []byte(strings.Join(b.properties, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "PAYCORE_KAFKA_EXTRA_PROPERTIES="+file,
			"PAYCORE_KAFKA_FORMAT_ARGS="+strings.Join(b.formatArgs, " "))
	}
	s := start(t, "kafka", b.port, env...)
	s.SASLAddr, s.SASLTLSAddr, s.CAFile = b.saslAddr, b.saslTLSAddr, b.caPEM
	return s
}

// ClickHouse starts a private ClickHouse server; stopped at test end.
func ClickHouse(t testing.TB) *Server {
	tcp, http, inter := freePort(t), freePort(t), freePort(t)
	return start(t, "clickhouse", tcp,
		"PAYCORE_CLICKHOUSE_PORT="+strconv.Itoa(tcp),
		"PAYCORE_CLICKHOUSE_HTTP_PORT="+strconv.Itoa(http),
		"PAYCORE_CLICKHOUSE_INTERSERVER_PORT="+strconv.Itoa(inter))
}

func start(t testing.TB, kind string, port int, env ...string) *Server {
	t.Helper()
	s := &Server{
		t: t, kind: kind, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		env: append(append(os.Environ(), "PAYCORE_STACK_DIR="+t.TempDir()), env...),
	}
	// Registered first, so it runs last: after the code under test has
	// stopped (and before t.TempDir's removal).
	t.Cleanup(func() {
		if err := s.Down(); err != nil {
			t.Errorf("stopping the private %s: %v", kind, err)
		}
	})
	if err := s.Up(); err != nil {
		t.Fatalf("starting the private %s: %v", kind, err)
	}
	return s
}

// Up starts the server (again), with the same settings and data.
func (s *Server) Up() error { return s.stack("up") }

// Down stops the server and checks that it really stopped: the stack's
// pid file and the port must both say so.
func (s *Server) Down() error {
	downErr := s.stack("down")
	if s.stack("running") == nil {
		return fmt.Errorf("still running after stack.sh down (%v)", downErr)
	}
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("%s still accepts connections after stack.sh down (%v)", s.Addr, downErr)
	}
	return downErr
}

// stack runs deploy/stack.sh <cmd> <kind> with the private settings.
func (s *Server) stack(cmd string) error {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "stack.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, script, cmd, s.kind)
	c.Env = s.env
	out, err := c.CombinedOutput()
	if len(out) > 0 && cmd != "running" {
		s.t.Logf("stack.sh %s %s: %s", cmd, s.kind, strings.TrimSpace(string(out)))
	}
	if err != nil {
		return fmt.Errorf("stack.sh %s %s: %w\n%s", cmd, s.kind, err, out)
	}
	return nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
