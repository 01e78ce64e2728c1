package chconn_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/chconn/chtest"
)

// stallingListener accepts connections and never answers, as a firewall
// or a non-ClickHouse service on the port would.
func stallingListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	return l.Addr().String()
}

func TestOpenUnreachableFailsFast(t *testing.T) {
	const dialTimeout = 500 * time.Millisecond
	tests := []struct {
		name string
		addr string
	}{
		{"nothing listening", "127.0.0.1:1"},
		{"handshake stalls", stallingListener(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			conn, err := chconn.Open(t.Context(), chconn.Config{Addr: []string{tt.addr}, DialTimeout: dialTimeout})
			elapsed := time.Since(start)
			if err == nil {
				conn.Close()
				t.Fatalf("Open(%s) succeeded", tt.addr)
			}
			t.Logf("Open: %v (after %v)", err, elapsed.Round(time.Millisecond))
			want := "ClickHouse not reachable at " + tt.addr + ": "
			if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, "deploy/stack.sh up") {
				t.Errorf("error = %q, want it to contain %q and the deploy/stack.sh hint", msg, want)
			}
			if limit := 2*dialTimeout + time.Second; elapsed > limit {
				t.Errorf("Open took %v, want under %v", elapsed, limit)
			}
		})
	}
}

func TestOpenRejectedCredentials(t *testing.T) {
	const secret = "hunter2-secret"
	cfg := chconn.ConfigFromEnv()
	cfg.Username, cfg.Password = "paycore_no_such_user", secret
	conn, err := chconn.Open(t.Context(), cfg)
	if err == nil {
		conn.Close()
		t.Fatal("Open with an unknown user succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "not reachable") || !strings.Contains(msg, "refused user paycore_no_such_user") {
		t.Errorf("error = %q, want the server's refusal, not unreachability", msg)
	}
	if strings.Contains(msg, secret) {
		t.Errorf("error leaks the password: %q", msg)
	}
}

func TestOpenCreatesMissingDatabase(t *testing.T) {
	admin, scratch := chtest.Open(t)
	cfg := chconn.ConfigFromEnv()
	cfg.Database = scratch + "_created" // unique, and not created yet
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
			t.Error(err)
		}
	})

	for range 2 { // the second Open finds the database and must not fail
		conn, err := chconn.Open(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var current string
		err = conn.QueryRow(t.Context(), "SELECT currentDatabase()").Scan(&current)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if current != cfg.Database {
			t.Errorf("current database = %q, want %q", current, cfg.Database)
		}
	}
}
