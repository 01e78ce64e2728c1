// Package migrate applies paycore's ClickHouse schema: numbered DDL files,
// applied in order, each exactly once. The files paycore ships are embedded
// as schemas.ClickHouse; pass fs.Sub(schemas.ClickHouse, "clickhouse").
//
// # Files
//
// The root of the fs.FS holds files named NNNN_description.sql: a
// four-digit version, an underscore and a lowercase description
// ([a-z0-9_]). Versions start at 0001 and have no gaps or duplicates, so
// two branches that both add "the next" migration collide in review rather
// than in production. Any other *.sql name is an error, never silently
// skipped; other files and directories are ignored.
//
// A file holds one or more statements, each ending with ";" as the last
// character of a line. Lines whose first non-blank characters are "--"
// are comments and are dropped, even inside a multi-line string literal.
// A comment after code on the same line stays part of the statement, so
// "...; -- note" does not end a statement.
//
// Statements must not name a database: they run in the connection's
// current database (chconn.Config.Database), which also holds the ledger
// table schema_migrations. Tests rely on this to migrate private databases.
//
// # Applied migrations never change
//
// The ledger records each applied file's SHA-256. If an applied file has
// changed, Apply and Status refuse with ErrChecksumMismatch before running
// anything: the databases already migrated would silently differ from new
// ones. Change the schema by adding the next migration instead.
//
// If the ledger holds a version the files lack, the schema is newer than
// the code (typically a rolled-back binary) and Apply and Status refuse
// with ErrUnknownVersion: only a human knows whether the code still fits
// the schema. Callers that accept this may treat it as a warning; nothing
// is pending in that case unless the two histories diverged.
//
// # Every statement must be idempotent
//
// ClickHouse has no transactions. A migration is recorded only after all
// its statements succeeded; when one fails, the earlier ones stay applied
// and the next run starts the migration over. Every statement must
// therefore be safe to run twice. The runner rejects, before touching the
// server, what it can recognise as unsafe: CREATE without IF NOT EXISTS and
// DROP without IF EXISTS (ErrNotIdempotent).
//
// ALTER TABLE ... ADD COLUMN cannot be made idempotent on ClickHouse 18.16,
// the oldest release paycore supports (it has no IF NOT EXISTS there). Give
// such a statement a migration of its own: if it then fails, nothing was
// applied; if it succeeded but recording it failed, a re-run reports that
// the column exists and an operator records the migration by hand.
//
// # Concurrency
//
// There is no lock: run migrations from one place (the deploy step). Two
// concurrent runs are nonetheless harmless, because every statement is
// idempotent and the ledger is a ReplacingMergeTree, which collapses a
// migration recorded twice.
package migrate
