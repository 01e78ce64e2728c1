package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ledgerTable records applied migrations, one row per version. It is a
// ReplacingMergeTree so that a migration recorded twice (two concurrent
// runs) collapses into one row; reads use FINAL so they never see both.
const ledgerTable = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    checksum   String,
    applied_at DateTime
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version`

// record is a ledger row.
type record struct {
	name     string
	checksum string
}

func createLedger(ctx context.Context, conn driver.Conn) error {
	if err := conn.Exec(ctx, ledgerTable); err != nil {
		return fmt.Errorf("migrate: creating schema_migrations: %w", err)
	}
	return nil
}

// readLedger returns the applied migrations by version. A missing ledger
// means none, so that Status never has to create it.
func readLedger(ctx context.Context, conn driver.Conn) (map[uint32]record, error) {
	var exists uint8
	if err := conn.QueryRow(ctx, "EXISTS TABLE schema_migrations").Scan(&exists); err != nil {
		return nil, fmt.Errorf("migrate: looking for schema_migrations: %w", err)
	}
	applied := make(map[uint32]record)
	if exists == 0 {
		return applied, nil
	}
	rows, err := conn.Query(ctx, "SELECT version, name, checksum FROM schema_migrations FINAL")
	if err != nil {
		return nil, fmt.Errorf("migrate: reading schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v uint32
			r record
		)
		if err := rows.Scan(&v, &r.name, &r.checksum); err != nil {
			return nil, fmt.Errorf("migrate: reading schema_migrations: %w", err)
		}
		applied[v] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: reading schema_migrations: %w", err)
	}
	return applied, nil
}

func recordApplied(ctx context.Context, conn driver.Conn, m Migration) error {
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, checksum, applied_at)")
	if err != nil {
		return fmt.Errorf("migrate: recording %s: %w", m.Name, err)
	}
	defer batch.Close()
	if err := batch.Append(m.Version, m.Name, m.Checksum, time.Now()); err != nil {
		return fmt.Errorf("migrate: recording %s: %w", m.Name, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("migrate: recording %s: %w", m.Name, err)
	}
	return nil
}
