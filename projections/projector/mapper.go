// Package projector copies paycore's event logs into ClickHouse tables in
// large batches, idempotently: every table is a ReplacingMergeTree keyed so
// that a redelivered or replayed event replaces its row, never duplicates
// it. Kafka is the source of truth; any table can be dropped and rebuilt by
// replaying the logs.
package projector

import (
	"time"

	"github.com/paycore/paycore/events"
)

// Table is a ClickHouse table the projector inserts into.
type Table struct {
	Name    string
	Columns []string // the INSERT's column list, in Row.Values order
}

// Row is one row for one table.
type Row struct {
	Table  string
	Values []any
}

// Source says where an event was read: projected rows keep it as
// provenance, and it versions ReplacingMergeTree rows.
type Source struct {
	Topic     string
	Partition int
	Offset    int64
	// ProjectedAt is when the projector read the event (UTC, seconds).
	ProjectedAt time.Time
}

// Mapper turns one event into the rows it contributes. It must be pure and
// deterministic in (event, source): replaying a log must produce the same
// rows. Events it does not project return nil.
type Mapper interface {
	Tables() []Table
	Map(env events.Envelope, p events.Payload, src Source) ([]Row, error)
}
