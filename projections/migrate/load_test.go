package migrate

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"one", "CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory;\n",
			[]string{"CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = Memory"}},
		{"last without semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1", "SELECT 2"}},
		{"multi-line, comments and blank lines dropped",
			"-- header\n\nCREATE TABLE IF NOT EXISTS a\n(\n  -- the key\n  x UInt8\n)\nENGINE = Memory;\n\n  -- trailer\n",
			[]string{"CREATE TABLE IF NOT EXISTS a\n(\n  x UInt8\n)\nENGINE = Memory"}},
		{"semicolon inside a line does not split", "SELECT ';' AS s;\n", []string{"SELECT ';' AS s"}},
		{"comment after code is kept", "SELECT 1, -- one\n2;\n", []string{"SELECT 1, -- one\n2"}},
		{"trailing blanks and CRLF", "SELECT 1;  \r\nSELECT 2;\t\r\n", []string{"SELECT 1", "SELECT 2"}},
		{"byte order mark", "\ufeffSELECT 1;\n", []string{"SELECT 1"}},
		{"stray semicolons", ";\nSELECT 1;\n;\n", []string{"SELECT 1"}},
		{"only comments", "-- nothing\n  -- here\n", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitStatements(tt.src); !slices.Equal(got, tt.want) {
				t.Errorf("splitStatements(%q)\n got %q\nwant %q", tt.src, got, tt.want)
			}
		})
	}
}

func TestCheckIdempotent(t *testing.T) {
	tests := []struct {
		stmt string
		ok   bool
	}{
		{"CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory", true},
		{"create table if not exists t (x UInt8) ENGINE = Memory", true},
		{"CREATE TABLE\n  IF NOT EXISTS\n  t (x UInt8) ENGINE = Memory", true},
		{"CREATE DATABASE IF NOT EXISTS d", true},
		{"CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT 1", true},
		{"CREATE TABLE t (x UInt8) ENGINE = Memory", false},
		{"CREATE TABLE if_not_exists (x UInt8) ENGINE = Memory", false},
		{"CREATE MATERIALIZED VIEW v TO t AS SELECT 1", false},
		{"CREATE OR REPLACE VIEW v AS SELECT 1", false},
		{"DROP TABLE IF EXISTS t", true},
		{"DROP TABLE t", false},
		{"drop view v", false},
		{"ALTER TABLE t DROP COLUMN x", true}, // not recognised; documented
		{"SELECT 'CREATE TABLE t'", true},
	}
	for _, tt := range tests {
		if detail := checkIdempotent(tt.stmt); (detail == "") != tt.ok {
			t.Errorf("checkIdempotent(%q) = %q, want ok=%v", tt.stmt, detail, tt.ok)
		}
	}
}

const okSQL = "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory;\n"

func files(names ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, n := range names {
		fsys[n] = &fstest.MapFile{Data: []byte(okSQL)}
	}
	return fsys
}

func TestLoad(t *testing.T) {
	fsys := files("0001_first.sql", "0002_second_one.sql")
	fsys["README.md"] = &fstest.MapFile{Data: []byte("ignored")}
	fsys["archive/0001_old.sql"] = &fstest.MapFile{Data: []byte("ignored: not at the root")}
	ms, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, m := range ms {
		names = append(names, m.Name)
		if m.Version != uint32(i+1) || len(m.Checksum) != 64 || len(m.Statements) != 1 {
			t.Errorf("migration %d = %+v", i, m)
		}
	}
	if want := []string{"0001_first.sql", "0002_second_one.sql"}; !slices.Equal(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		want     error
		wantFile string
	}{
		{"no files", files(), ErrNoMigrations, ""},
		{"three-digit version", files("0001_a.sql", "002_b.sql"), ErrMalformedName, "002_b.sql"},
		{"no description", files("0001.sql"), ErrMalformedName, "0001.sql"},
		{"upper case", files("0001_Event_Log.sql"), ErrMalformedName, "0001_Event_Log.sql"},
		{"dash", files("0001_event-log.sql"), ErrMalformedName, "0001_event-log.sql"},
		{"upper-case extension", files("0001_a.SQL"), ErrMalformedName, "0001_a.SQL"},
		{"version zero", files("0000_a.sql"), ErrMalformedName, "0000_a.sql"},
		{"gap", files("0001_a.sql", "0003_c.sql"), ErrVersionGap, "0003_c.sql"},
		{"not starting at one", files("0002_b.sql"), ErrVersionGap, "0002_b.sql"},
		{"duplicate", files("0001_a.sql", "0002_b.sql", "0002_c.sql"), ErrDuplicateVersion, "0002_c.sql"},
		{"empty", fstest.MapFS{"0001_a.sql": {Data: []byte("-- nothing yet\n")}}, ErrEmptyMigration, "0001_a.sql"},
		{"create without guard", fstest.MapFS{"0001_a.sql": {Data: []byte(okSQL + "CREATE TABLE u (x UInt8) ENGINE = Memory;\n")}},
			ErrNotIdempotent, "0001_a.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Load(tt.fsys)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load() = %v, %v; want %v", ms, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != tt.wantFile {
				t.Errorf("Load() = %v, want an *Error for file %q", err, tt.wantFile)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	fsys := files("0001_a.sql", "0003_c.sql", "bad.sql")
	_, err := Load(fsys)
	if !errors.Is(err, ErrMalformedName) || !errors.Is(err, ErrVersionGap) {
		t.Errorf("Load() = %v, want both the malformed name and the gap", err)
	}
}

func TestLoadBrokenFileLeavesNoGap(t *testing.T) {
	fsys := files("0002_b.sql")
	fsys["0001_a.sql"] = &fstest.MapFile{Data: []byte("DROP TABLE t;\n")}
	_, err := Load(fsys)
	if !errors.Is(err, ErrNotIdempotent) || errors.Is(err, ErrVersionGap) {
		t.Errorf("Load() = %v, want ErrNotIdempotent and no gap", err)
	}
}
