package projector

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// tableSchema is what Verify needs to know of one table beyond its INSERT
// columns: their ClickHouse types, which of them are the key (ORDER BY),
// which one is the ReplacingMergeTree version, and which are provenance.
type tableSchema struct {
	table   Table
	types   []string
	keys    []int // column indexes of the sorting key
	version int   // column index of the version; -1: none (last insert wins)
	// ignored columns are not compared (projected_at, source offsets).
	ignored []bool
	// topic, partition, offset are the provenance columns' indexes, -1
	// when the table has none.
	topic, partition, offset int
}

var replacingEngine = regexp.MustCompile(`^ReplacingMergeTree\(\s*([A-Za-z_][A-Za-z0-9_]*)?\s*\)`)

// readSchema reads t's column types, key and version from ClickHouse's
// system tables.
func readSchema(ctx context.Context, conn driver.Conn, t Table, prov Provenance) (*tableSchema, error) {
	database, name := "", t.Name
	if db, n, ok := strings.Cut(t.Name, "."); ok {
		database, name = db, n
	}
	dbExpr := "currentDatabase()"
	args := []any{name}
	if database != "" {
		dbExpr, args = "?", []any{database, name}
	}
	var engine string
	err := conn.QueryRow(ctx, "SELECT engine_full FROM system.tables WHERE database = "+dbExpr+" AND name = ?", args...).Scan(&engine)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("table %s does not exist (paycore migrate creates it)", t.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.Name, err)
	}
	m := replacingEngine.FindStringSubmatch(engine)
	if m == nil {
		return nil, fmt.Errorf("table %s is %q: only ReplacingMergeTree tables can be verified", t.Name, engine)
	}
	rows, err := conn.Query(ctx, "SELECT name, type, is_in_sorting_key FROM system.columns WHERE database = "+dbExpr+" AND table = ?", args...)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", t.Name, err)
	}
	defer rows.Close()
	types, inKey := map[string]string{}, map[string]bool{}
	for rows.Next() {
		var col, typ string
		var key uint8
		if err := rows.Scan(&col, &typ, &key); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", t.Name, err)
		}
		types[col], inKey[col] = typ, key == 1
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("columns of %s: %w", t.Name, err)
	}
	s := &tableSchema{table: t, version: -1, topic: -1, partition: -1, offset: -1, ignored: make([]bool, len(t.Columns))}
	for i, col := range t.Columns {
		typ, ok := types[col]
		if !ok {
			return nil, fmt.Errorf("table %s has no column %s", t.Name, col)
		}
		s.types = append(s.types, typ)
		if inKey[col] {
			s.keys = append(s.keys, i)
		}
		switch col {
		case m[1]:
			s.version = i
		case prov.Topic:
			s.topic = i
		case prov.Partition:
			s.partition, s.ignored[i] = i, true
		case prov.Offset:
			s.offset, s.ignored[i] = i, true
		case prov.ProjectedAt:
			s.ignored[i] = true
		}
	}
	keyed := 0
	for _, k := range inKey {
		if k {
			keyed++
		}
	}
	if len(s.keys) == 0 || len(s.keys) != keyed {
		return nil, fmt.Errorf("table %s: its sorting key is not made of inserted columns", t.Name)
	}
	if m[1] != "" && s.version < 0 {
		return nil, fmt.Errorf("table %s: version column %s is not inserted", t.Name, m[1])
	}
	return s, nil
}

// canonicalRow renders a row's values as canonical strings.
func (s *tableSchema) canonicalRow(values []any) ([]string, error) {
	out := make([]string, len(values))
	for i, v := range values {
		c, err := canonical(v, s.types[i])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", s.table.Name, s.table.Columns[i], err)
		}
		out[i] = c
	}
	return out, nil
}

// key renders the key columns of a canonical row.
func (s *tableSchema) key(row []string) string {
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = row[k]
	}
	return strings.Join(parts, "\x1f")
}

// describeKey renders the key columns for a person.
func (s *tableSchema) describeKey(row []string) string {
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = s.table.Columns[k] + "=" + row[k]
	}
	return strings.Join(parts, " ")
}

// source returns where a canonical row says it was read, when the table
// keeps its provenance.
func (s *tableSchema) source(row []string) (topicPartition, int64, bool) {
	if s.topic < 0 || s.partition < 0 || s.offset < 0 {
		return topicPartition{}, 0, false
	}
	p, err1 := strconv.Atoi(row[s.partition])
	off, err2 := strconv.ParseInt(row[s.offset], 10, 64)
	return topicPartition{row[s.topic], p}, off, err1 == nil && err2 == nil
}

// compare reads the table with FINAL and classifies every expected key.
func (s *tableSchema) compare(ctx context.Context, conn driver.Conn, expected map[string]expectedRow, ranges map[topicPartition][2]int64) (TableReport, error) {
	rep := TableReport{Table: s.table.Name, Expected: len(expected)}
	rows, err := conn.Query(ctx, "SELECT "+strings.Join(s.table.Columns, ", ")+" FROM "+s.table.Name+" FINAL")
	if err != nil {
		return rep, fmt.Errorf("reading %s: %w", s.table.Name, err)
	}
	defer rows.Close()
	dest := make([]any, len(s.table.Columns))
	for i, ct := range rows.ColumnTypes() {
		dest[i] = reflect.New(ct.ScanType()).Interface()
	}
	seen := map[string]bool{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return rep, fmt.Errorf("reading %s: %w", s.table.Name, err)
		}
		got, err := s.canonicalRow(dest)
		if err != nil {
			return rep, err
		}
		key := s.key(got)
		tp, off, hasSource := s.source(got)
		r, inRange := ranges[tp]
		inRange = hasSource && inRange && off >= r[0] && off < r[1]
		want, ok := expected[key]
		switch {
		case !ok && inRange:
			rep.Extra++
			rep.sample("extra row %s (from %s/%d@%d): the log has no such row there", s.describeKey(got), tp.topic, tp.partition, off)
		case !ok:
			// A row from outside the range: not verified.
		case s.version >= 0 && compareCanonical(got[s.version], want.values[s.version]) > 0 && !inRange:
			seen[key] = true
			rep.Newer++
		default:
			seen[key] = true
			if diff := s.diff(want.values, got); diff != "" {
				rep.Differing++
				rep.sample("row %s differs: %s", s.describeKey(want.values), diff)
			} else {
				rep.Matched++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("reading %s: %w", s.table.Name, err)
	}
	keys := make([]string, 0, len(expected))
	for k := range expected {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		rep.Missing++
		rep.sample("missing row %s", s.describeKey(expected[k].values))
	}
	return rep, nil
}

// diff lists the compared columns where got differs from want.
func (s *tableSchema) diff(want, got []string) string {
	var out []string
	for i := range want {
		if !s.ignored[i] && want[i] != got[i] {
			out = append(out, fmt.Sprintf("%s ClickHouse %q, log %q", s.table.Columns[i], got[i], want[i]))
		}
	}
	return strings.Join(out, "; ")
}

// canonical renders a value the way its ClickHouse column stores it, so a
// value the Mapper produced and the one read back compare as strings:
// decimals without trailing zeros, DateTime as Unix seconds, Date as
// YYYY-MM-DD, integers in decimal.
func canonical(v any, typ string) (string, error) {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "NULL", nil
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return "NULL", nil
	}
	v = rv.Interface()
	base := typ
	for _, wrap := range []string{"Nullable(", "LowCardinality("} {
		if strings.HasPrefix(base, wrap) {
			base = strings.TrimSuffix(strings.TrimPrefix(base, wrap), ")")
		}
	}
	switch {
	case strings.HasPrefix(base, "Decimal"):
		switch x := v.(type) {
		case decimal.Decimal:
			return x.String(), nil
		case string:
			d, err := decimal.NewFromString(x)
			if err != nil {
				return "", fmt.Errorf("%q is not a decimal", x)
			}
			return d.String(), nil
		}
	case strings.HasPrefix(base, "DateTime64"):
		if x, ok := v.(time.Time); ok {
			return strconv.FormatInt(x.UnixNano(), 10), nil
		}
	case strings.HasPrefix(base, "DateTime"):
		switch x := v.(type) {
		case time.Time:
			return strconv.FormatInt(x.Unix(), 10), nil
		case string:
			t, err := time.Parse(time.DateTime, x)
			if err != nil {
				return "", fmt.Errorf("%q is not a DateTime", x)
			}
			return strconv.FormatInt(t.Unix(), 10), nil
		}
	case base == "Date" || base == "Date32":
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.DateOnly), nil
		case string:
			if _, err := time.Parse(time.DateOnly, x); err != nil {
				return "", fmt.Errorf("%q is not a Date", x)
			}
			return x, nil
		}
	}
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	case reflect.String:
		return rv.String(), nil
	}
	return fmt.Sprint(v), nil
}

// compareCanonical orders two canonical versions: as integers when both
// are, otherwise as strings.
func compareCanonical(a, b string) int {
	x, okA := new(big.Int).SetString(a, 10)
	y, okB := new(big.Int).SetString(b, 10)
	if okA && okB {
		return x.Cmp(y)
	}
	return strings.Compare(a, b)
}
