package migrate

import (
	"regexp"
	"strings"
	"unicode"
)

// splitStatements splits a migration file into statements: each ends with
// ";" as the last non-blank character of a line, the last one may omit it.
// Comment lines and blank lines are dropped; everything else, including a
// comment after code, is passed to the server verbatim.
func splitStatements(src string) []string {
	var (
		stmts []string
		cur   []string
	)
	flush := func() {
		if s := strings.TrimSpace(strings.Join(cur, "\n")); s != "" {
			stmts = append(stmts, s)
		}
		cur = cur[:0]
	}
	src = strings.TrimPrefix(src, "\ufeff") // some editors prepend a BOM
	for line := range strings.Lines(src) {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if code := strings.TrimSpace(line); code == "" || strings.HasPrefix(code, "--") {
			continue
		}
		line, end := strings.CutSuffix(line, ";")
		cur = append(cur, line)
		if end {
			flush()
		}
	}
	flush()
	return stmts
}

var (
	createStmt  = regexp.MustCompile(`(?i)^CREATE\s`)
	createGuard = regexp.MustCompile(`(?i)^CREATE\s+(?:\w+\s+){1,2}IF\s+NOT\s+EXISTS\s`)
	dropStmt    = regexp.MustCompile(`(?i)^DROP\s`)
	dropGuard   = regexp.MustCompile(`(?i)^DROP\s+(?:\w+\s+){1,2}IF\s+EXISTS\s`)
)

// checkIdempotent returns why stmt is unsafe to run twice, or "" when it
// finds no reason. It recognises only CREATE and DROP; see the package
// documentation for what it cannot check.
func checkIdempotent(stmt string) string {
	switch {
	case createStmt.MatchString(stmt) && !createGuard.MatchString(stmt):
		return "CREATE must say IF NOT EXISTS (e.g. CREATE TABLE IF NOT EXISTS t), " +
			"so that re-running a partially applied migration is harmless"
	case dropStmt.MatchString(stmt) && !dropGuard.MatchString(stmt):
		return "DROP must say IF EXISTS (e.g. DROP TABLE IF EXISTS t), " +
			"so that re-running a partially applied migration is harmless"
	}
	return ""
}

// excerpt shortens stmt to its start, for error messages.
func excerpt(stmt string) string {
	const limit = 60 // runes
	first, _, more := strings.Cut(stmt, "\n")
	if r := []rune(first); len(r) > limit {
		first, more = string(r[:limit]), true
	}
	if more {
		return first + " ..."
	}
	return first
}
