package temporal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
)

// CLIVersion is the Temporal CLI whose dev server the benchmark runs. It
// is the newest release `go install` builds from the Go module proxy
// (later ones carry replace directives that `go install` refuses).
const CLIVersion = "v1.5.1"

// EnsureCLI returns the path of the temporal binary in dir, building it
// there first (`go install`, several minutes, ~250 MB) when it is absent.
// Building prints go's progress to progress.
func EnsureCLI(ctx context.Context, dir string, progress io.Writer) (string, error) {
	bin := filepath.Join(dir, "temporal")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "building the Temporal CLI %s into %s (takes minutes)\n", CLIVersion, dir)
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/temporalio/cli/cmd/temporal@"+CLIVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	cmd.Dir = os.TempDir() // outside any module: go install pkg@version ignores go.mod
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("temporal: go install: %w", err)
	}
	return bin, nil
}

// DevServer is `temporal server start-dev`: one process with every
// Temporal service and an in-memory SQLite store, on 127.0.0.1:Port,
// without the web UI.
type DevServer struct {
	Bin  string
	Port int // front-end gRPC; Port+1 serves HTTP, Port+2 metrics
	// Log receives the server's output (io.Discard when nil).
	Log io.Writer
	// DynamicConfig are `--dynamic-config-value KEY=VALUE` settings (the
	// value is JSON), e.g. matching.numTaskqueueReadPartitions=1.
	DynamicConfig []string

	cmd  *exec.Cmd
	done chan error
}

// HostPort is the front end's address.
func (s *DevServer) HostPort() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Start launches the server and waits until its front end answers a
// health check (at most startTimeout).
func (s *DevServer) Start(ctx context.Context) error {
	const startTimeout = 60 * time.Second
	args := []string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(s.Port), "--http-port", strconv.Itoa(s.Port + 1), "--metrics-port", strconv.Itoa(s.Port + 2),
		"--log-level", "warn"}
	for _, kv := range s.DynamicConfig {
		args = append(args, "--dynamic-config-value", kv)
	}
	s.cmd = exec.Command(s.Bin, args...)
	if s.Log == nil {
		s.Log = io.Discard
	}
	s.cmd.Stdout, s.cmd.Stderr = s.Log, s.Log
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("temporal: start dev server: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()

	deadline := time.Now().Add(startTimeout)
	for {
		c, err := Dial(ctx, s.HostPort())
		if err == nil {
			_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case exit := <-s.done:
			return fmt.Errorf("temporal: dev server exited while starting: %v", exit)
		case <-ctx.Done():
			s.Stop()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return fmt.Errorf("temporal: dev server not healthy after %s: %w", startTimeout, err)
		}
	}
}

// Stop interrupts the server and waits for it to exit (killing it after
// 10 s). Its in-memory state is gone afterwards.
func (s *DevServer) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Dial connects a client to the default namespace of hostPort, with the
// SDK's logging off (a benchmark's output is its figures).
func Dial(ctx context.Context, hostPort string) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort,
		Logger:   tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return nil, errors.Join(errors.New("temporal: dial "+hostPort), err)
	}
	return c, nil
}
