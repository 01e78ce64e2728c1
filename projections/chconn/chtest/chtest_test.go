package chtest

import (
	"regexp"
	"testing"
)

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^paycore_test_[a-z0-9_]*_[0-9a-f]{8}$`)
	for _, name := range []string{
		"TestX",
		"TestMigrate/checksum_changed#01",
		"Test/ümlaut and spaces/!!",
		"TestAVeryLongNameThatGoesOnAndOnAndOnAndOnAndOnAndOnAndOn",
	} {
		got := databaseName("paycore", name)
		if !valid.MatchString(got) || len(got) > len("paycore_test_")+maxTestPart+9 {
			t.Errorf("databaseName(%q) = %q, want a short identifier", name, got)
		}
		if again := databaseName("paycore", name); again == got {
			t.Errorf("databaseName(%q) repeated %q; want a fresh suffix", name, got)
		}
	}
}

func TestOpenCreatesAndDropsDatabase(t *testing.T) {
	var db string
	t.Run("inner", func(t *testing.T) {
		c, name := Open(t)
		db = name
		var current string
		if err := c.QueryRow(t.Context(), "SELECT currentDatabase()").Scan(&current); err != nil {
			t.Fatal(err)
		}
		if current != name {
			t.Errorf("current database = %q, want %q", current, name)
		}
	})

	// The inner test's cleanup has run: its database must be gone.
	c, _ := Open(t)
	var n uint64
	if err := c.QueryRow(t.Context(), "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after cleanup", db)
	}
}
