package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Report says what Apply did.
type Report struct {
	Applied []Migration // run by this call, in version order
	Skipped []Migration // applied before; their checksums matched
}

// Apply runs the migrations in fsys that conn's database lacks, in version
// order, and records each in schema_migrations once all its statements
// succeeded. It refuses, before running anything, when the files fail Load
// or disagree with what was applied (ErrChecksumMismatch,
// ErrUnknownVersion). Running it again applies nothing.
//
// On error the Report still lists what this call applied, and the failed
// migration is left unrecorded, so the next run starts it over; see the
// package documentation for why statements must be idempotent.
func Apply(ctx context.Context, conn driver.Conn, fsys fs.FS) (Report, error) {
	ms, err := Load(fsys)
	if err != nil {
		return Report{}, err
	}
	if err := createLedger(ctx, conn); err != nil {
		return Report{}, err
	}
	done, pending, err := plan(ctx, conn, ms)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Skipped: done}
	for _, m := range pending {
		if err := run(ctx, conn, m); err != nil {
			return rep, err
		}
		rep.Applied = append(rep.Applied, m)
	}
	return rep, nil
}

// Status returns the migrations in fsys that Apply would run, in version
// order, refusing as Apply does. It changes nothing on the server.
func Status(ctx context.Context, conn driver.Conn, fsys fs.FS) ([]Migration, error) {
	ms, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	_, pending, err := plan(ctx, conn, ms)
	return pending, err
}

// plan splits ms into applied and pending migrations after checking them
// against the ledger.
func plan(ctx context.Context, conn driver.Conn, ms []Migration) (done, pending []Migration, err error) {
	applied, err := readLedger(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, m := range ms {
		r, ok := applied[m.Version]
		switch {
		case !ok:
			pending = append(pending, m)
		case r.checksum != m.Checksum:
			errs = append(errs, &Error{Reason: ErrChecksumMismatch, File: m.Name, Detail: fmt.Sprintf(
				"applied as %s with sha256 %s, now sha256 %s; add a new migration instead of editing this one",
				r.name, r.checksum, m.Checksum)})
		default:
			done = append(done, m)
		}
		delete(applied, m.Version)
	}
	for _, v := range slices.Sorted(maps.Keys(applied)) {
		errs = append(errs, &Error{Reason: ErrUnknownVersion, File: applied[v].name,
			Detail: fmt.Sprintf("version %04d is applied but has no file here; is this binary older than the schema?", v)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return done, pending, nil
}

// run applies one migration's statements in order, then records it.
func run(ctx context.Context, conn driver.Conn, m Migration) error {
	for i, stmt := range m.Statements {
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("migrate: %s: statement %d of %d (%s): %w",
				m.Name, i+1, len(m.Statements), excerpt(stmt), err)
		}
	}
	return recordApplied(ctx, conn, m)
}
