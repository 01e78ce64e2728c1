// Package scratch gives benchmarks throwaway ClickHouse databases with
// paycore's migrations applied.
package scratch

import (
	"context"
	"io/fs"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/projections/chconn"
	"github.com/paycore/paycore/projections/migrate"
	"github.com/paycore/paycore/schemas"
)

// Database creates database name on the server of base, applies every
// migration, and returns a connection to it and a function that drops it.
func Database(ctx context.Context, base chconn.Config, name string) (driver.Conn, func(), error) {
	cfg := base
	cfg.Database = name
	conn, err := chconn.Open(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	drop := func() {
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
		conn.Close()
	}
	migrations, _ := fs.Sub(schemas.ClickHouse, "clickhouse")
	if _, err := migrate.Apply(ctx, conn, migrations); err != nil {
		drop()
		return nil, nil, err
	}
	return conn, drop, nil
}
