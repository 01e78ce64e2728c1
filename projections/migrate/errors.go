package migrate

import "errors"

// Reasons for refusing to migrate; match them with errors.Is. All but
// ErrChecksumMismatch and ErrUnknownVersion are found without a server, by
// Load, so a broken file fails CI rather than a deployment.
var (
	ErrNoMigrations     = errors.New("no migration files")
	ErrMalformedName    = errors.New("malformed migration file name")
	ErrDuplicateVersion = errors.New("duplicate migration version")
	ErrVersionGap       = errors.New("gap in migration versions")
	ErrEmptyMigration   = errors.New("migration has no statements")
	ErrNotIdempotent    = errors.New("statement is not idempotent")
	ErrChecksumMismatch = errors.New("applied migration has changed")
	ErrUnknownVersion   = errors.New("database has a migration the files lack")
)

// Error is the typed error for a refused migration. Find it with
// errors.As; errors.Is matches its Reason.
type Error struct {
	Reason error  // one of the Err* variables above
	File   string // the migration file at fault, if any
	Detail string // what exactly is wrong, for humans
}

func (e *Error) Error() string {
	msg := "migrate: "
	if e.File != "" {
		msg += e.File + ": "
	}
	msg += e.Reason.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the Reason.
func (e *Error) Unwrap() error { return e.Reason }
