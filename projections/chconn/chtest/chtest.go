// Package chtest gives integration tests a private ClickHouse database on
// the server named by the PAYCORE_CLICKHOUSE_* variables (by default the
// local stack of deploy/stack.sh), so tests can run in parallel, across
// packages, without seeing each other's tables.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/projections/chconn"
)

// timeout bounds creating and dropping the test database.
const timeout = 30 * time.Second

// Open connects to a new, empty database named after the test and returns
// the connection and the database's name. Cleanup drops the database and
// closes the connection. A test calling Open fails at once, with the
// reason, when ClickHouse is unreachable.
//
// Names look like paycore_test_<test name>_<random>, with the PAYCORE_CLICKHOUSE_DATABASE
// prefix; a run killed before cleanup leaves such databases behind, safe
// to drop by that pattern.
func Open(t testing.TB) (driver.Conn, string) {
	t.Helper()
	cfg := chconn.ConfigFromEnv()
	if cfg.Database == "" {
		cfg.Database = chconn.DefaultDatabase
	}
	cfg.Database = databaseName(cfg.Database, t.Name())

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := chconn.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("chtest: %v", err)
	}
	t.Cleanup(func() {
		// Not t.Context(): it is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
			t.Errorf("chtest: dropping database %s: %v", cfg.Database, err)
		}
		if err := conn.Close(); err != nil {
			t.Errorf("chtest: closing connection: %v", err)
		}
	})
	return conn, cfg.Database
}

// maxTestPart keeps names short enough to read in system.databases.
const maxTestPart = 40

// databaseName builds a valid identifier from prefix, the test name and
// a random suffix; the suffix keeps repeated runs (-count=N) and
// concurrent runs of one package from colliding.
func databaseName(prefix, testName string) string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(testName) {
		if b.Len() == maxTestPart {
			break
		}
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			underscore = false
		} else if !underscore {
			b.WriteByte('_')
			underscore = true
		}
	}
	suffix := make([]byte, 4)
	rand.Read(suffix) // never fails; see crypto/rand.Read
	return prefix + "_test_" + strings.Trim(b.String(), "_") + "_" + hex.EncodeToString(suffix)
}
