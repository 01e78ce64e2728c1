package schemas

import "embed"

// ClickHouse holds paycore's ClickHouse schema as numbered migrations,
// clickhouse/NNNN_description.sql, applied in order, each exactly once, by
// projections/migrate; pass it fs.Sub(ClickHouse, "clickhouse").
//
// An applied migration must never be edited (the migrator records each
// file's checksum and refuses to run when one changed): change the schema
// by adding the next number. Every statement must be idempotent and must
// not name a database; projections/migrate documents the rules.
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS
