package migrate_test

import (
	"sync"
	"testing"

	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/migrate"
)

// TestApplyConcurrently backs the package documentation's claim that two
// deploy steps racing each other do no harm.
func TestApplyConcurrently(t *testing.T) {
	conn, _ := chtest.Open(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = migrate.Apply(t.Context(), conn, twoMigrations()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var recorded uint64
	if err := conn.QueryRow(t.Context(), "SELECT count() FROM schema_migrations FINAL").Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if recorded != 2 {
		t.Errorf("schema_migrations FINAL holds %d migrations, want 2", recorded)
	}
}
