package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Migration is one migration file, parsed and checked.
type Migration struct {
	Version    uint32   // from the file name
	Name       string   // the file name, e.g. "0001_event_log.sql"
	Checksum   string   // hex SHA-256 of the file's bytes
	Statements []string // in file order, without the terminating ";"
}

var fileName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Load reads every migration at the root of fsys and checks the files as
// the package documentation describes, without a server. It returns the
// migrations in version order, or every problem found, joined.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: reading migrations: %w", err)
	}
	var (
		ms   []Migration
		errs []error
	)
	// ReadDir sorts by name, which is version order: versions have a fixed
	// width, and names that do not are rejected.
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(path.Ext(e.Name()), ".sql") {
			continue
		}
		m, err := loadFile(fsys, e.Name())
		if err != nil {
			errs = append(errs, err)
		}
		if m.Version != 0 { // even if broken, so it leaves no gap
			ms = append(ms, m)
		}
	}
	if len(ms) == 0 && len(errs) == 0 {
		return nil, &Error{Reason: ErrNoMigrations, Detail: "want NNNN_description.sql files at the root " +
			`(for the embedded ones, pass fs.Sub(schemas.ClickHouse, "clickhouse"))`}
	}
	errs = append(errs, checkSequence(ms)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ms, nil
}

// loadFile parses one file. On error the Migration still carries the
// version and name if the name was well-formed.
func loadFile(fsys fs.FS, name string) (Migration, error) {
	match := fileName.FindStringSubmatch(name)
	if match == nil {
		return Migration{}, &Error{Reason: ErrMalformedName, File: name,
			Detail: "want NNNN_description.sql with a four-digit version and a description of [a-z0-9_]"}
	}
	version, _ := strconv.ParseUint(match[1], 10, 32) // four digits always parse
	if version == 0 {
		return Migration{}, &Error{Reason: ErrMalformedName, File: name, Detail: "versions start at 0001"}
	}
	m := Migration{Version: uint32(version), Name: name}
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return m, fmt.Errorf("migrate: %w", err)
	}
	sum := sha256.Sum256(src)
	m.Checksum = hex.EncodeToString(sum[:])
	m.Statements = splitStatements(string(src))
	if len(m.Statements) == 0 {
		return m, &Error{Reason: ErrEmptyMigration, File: name}
	}
	var errs []error
	for i, stmt := range m.Statements {
		if detail := checkIdempotent(stmt); detail != "" {
			errs = append(errs, &Error{Reason: ErrNotIdempotent, File: name,
				Detail: fmt.Sprintf("statement %d (%s): %s", i+1, excerpt(stmt), detail)})
		}
	}
	return m, errors.Join(errs...)
}

// checkSequence reports duplicate versions and gaps in ms, which is in
// version order; the first version must be 1.
func checkSequence(ms []Migration) []error {
	var errs []error
	prev := Migration{} // version 0: the one before the first
	for _, m := range ms {
		switch {
		case m.Version == prev.Version:
			errs = append(errs, &Error{Reason: ErrDuplicateVersion, File: m.Name,
				Detail: "same version as " + prev.Name})
		case m.Version == prev.Version+2:
			errs = append(errs, &Error{Reason: ErrVersionGap, File: m.Name,
				Detail: fmt.Sprintf("version %04d is missing", prev.Version+1)})
		case m.Version != prev.Version+1:
			errs = append(errs, &Error{Reason: ErrVersionGap, File: m.Name,
				Detail: fmt.Sprintf("versions %04d to %04d are missing", prev.Version+1, m.Version-1)})
		}
		prev = m
	}
	return errs
}
