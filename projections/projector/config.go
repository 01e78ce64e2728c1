package projector

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
)

// Config describes one projector: which event topics it reads, which
// ClickHouse connection it writes through, and how it batches.
type Config struct {
	// Name identifies the projector; its consumer group is
	// GroupPrefix+Name. Replay does not use it.
	Name        string
	GroupPrefix string
	Brokers     []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector *kafkaconn.Connector
	// Topics are the event topics projected, all read by one consumer
	// group. They hold only records paycore wrote (events.UnmarshalOwn).
	Topics []string
	// Conn is where rows are inserted; the projector never closes it.
	Conn driver.Conn
	// Mapper turns events into rows. Map is called concurrently, from one
	// goroutine per partition (the contract makes it pure, hence safe).
	Mapper   Mapper
	Registry *events.Registry

	// MaxRows bounds a table's buffer: when any table holds MaxRows rows
	// (or MaxRows records are pending), every table is flushed.
	MaxRows int
	// MaxDelay bounds how long a consumed record waits for its flush.
	MaxDelay time.Duration

	// InsertBackoffMin and InsertBackoffMax bound the exponential backoff
	// between attempts to insert the same batch while ClickHouse fails.
	InsertBackoffMin time.Duration
	InsertBackoffMax time.Duration
	// InsertTimeout bounds one attempt (one table's PrepareBatch, Append,
	// Send), so a hung server counts as a failed attempt.
	InsertTimeout time.Duration
	// MaxOutage is how long inserts may keep failing, counted from the
	// first failure of an unbroken run of failures, before Run (or Replay)
	// gives up with an error wrapping ErrOutage. Nothing is committed while
	// they fail, so giving up loses nothing either.
	MaxOutage time.Duration
	// DrainTimeout bounds the last flush and commit when Run stops or a
	// generation of the consumer group ends; what is not flushed by then
	// is simply redelivered (it was not committed).
	DrainTimeout time.Duration
	// LagInterval is how often per-partition lag is refreshed from the
	// brokers and reported while nothing is flushed (Run only; lag is also
	// reported after every flush).
	LagInterval time.Duration
	// SessionTimeout and HeartbeatInterval tune the consumer group.
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration

	// Progress, if set, is called by Replay after every flush (and once at
	// the start and once at the end) with the records projected so far and
	// the records to project in all; Run does not call it. It runs on
	// Replay's goroutine: keep it short.
	Progress func(done, total int64)
	// Observer, if set, receives measurements (metrics).
	Observer Observer
	Logger   *slog.Logger
}

// Observer receives the projector's measurements. Implementations must be
// safe for concurrent use: Skipped comes from the partition readers, and
// Run and Replay may share an observer.
type Observer interface {
	// Lag is the number of records of a partition not yet in ClickHouse
	// (end offset minus committed offset), after every flush and every
	// LagInterval.
	Lag(topic string, partition int, records int64)
	// Flushed reports one table's insert of one flush.
	Flushed(table string, rows int, took time.Duration)
	// InsertFailed reports one failed insert attempt; the batch is retried.
	InsertFailed(err error)
}

// SkipObserver is optionally implemented by an Observer to count records
// that are not projected: undecodable ones and ones the Mapper failed on.
type SkipObserver interface {
	Skipped(topic string, partition int, offset int64, err error)
}

// Stats counts a projector's (or a replay's) work.
type Stats struct {
	// Records counts records whose rows are in ClickHouse (for Run: whose
	// offsets were committed too), skipped ones included.
	Records int64
	// Skipped counts records read that were not projected: undecodable, or
	// the Mapper returned an error. A redelivered record counts again.
	Skipped int64
	// Rows counts rows inserted, all tables together.
	Rows int64
	// Flushes counts completed flushes.
	Flushes int64
	// Took is how long Replay ran (zero for Run).
	Took time.Duration
}

// ErrOutage is wrapped by the error Run and Replay return when inserts
// kept failing for longer than Config.MaxOutage.
var ErrOutage = errors.New("projector: ClickHouse inserts failing for longer than MaxOutage")

// Defaults applied to zero Config fields.
const (
	DefaultGroupPrefix       = "paycore."
	DefaultMaxRows           = 10000
	DefaultMaxDelay          = time.Second
	DefaultInsertBackoffMin  = 100 * time.Millisecond
	DefaultInsertBackoffMax  = 10 * time.Second
	DefaultInsertTimeout     = time.Minute
	DefaultMaxOutage         = 10 * time.Minute
	DefaultDrainTimeout      = 10 * time.Second
	DefaultLagInterval       = time.Second
	DefaultSessionTimeout    = 10 * time.Second
	DefaultHeartbeatInterval = time.Second
)

func (c *Config) setDefaults() {
	if c.GroupPrefix == "" {
		c.GroupPrefix = DefaultGroupPrefix
	}
	if c.MaxRows == 0 {
		c.MaxRows = DefaultMaxRows
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = DefaultMaxDelay
	}
	if c.InsertBackoffMin == 0 {
		c.InsertBackoffMin = DefaultInsertBackoffMin
	}
	if c.InsertBackoffMax == 0 {
		c.InsertBackoffMax = max(DefaultInsertBackoffMax, c.InsertBackoffMin)
	}
	if c.InsertTimeout == 0 {
		c.InsertTimeout = DefaultInsertTimeout
	}
	if c.MaxOutage == 0 {
		c.MaxOutage = DefaultMaxOutage
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.LagInterval == 0 {
		c.LagInterval = DefaultLagInterval
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = DefaultSessionTimeout
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration Run cannot run with (defaults are
// applied to a copy first, so a zero tuning field is fine).
func (c Config) Validate() error {
	c.setDefaults()
	return c.validate(true)
}

// maxMaxRows bounds MaxRows: a flush holds every buffered row in memory.
const maxMaxRows = 1_000_000

func (c *Config) validate(group bool) error {
	var errs []error
	if group && c.Name == "" {
		errs = append(errs, errors.New("projector: Name is required"))
	}
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("projector: Brokers is required"))
	}
	if len(c.Topics) == 0 {
		errs = append(errs, errors.New("projector: Topics is required"))
	}
	seen := map[string]bool{}
	for _, t := range c.Topics {
		if t == "" || seen[t] {
			errs = append(errs, fmt.Errorf("projector: topic %q empty or listed twice", t))
		}
		seen[t] = true
	}
	if c.Conn == nil {
		errs = append(errs, errors.New("projector: Conn is required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("projector: Registry is required"))
	}
	if c.Mapper == nil {
		errs = append(errs, errors.New("projector: Mapper is required"))
	} else if err := validateTables(c.Mapper.Tables()); err != nil {
		errs = append(errs, err)
	}
	if c.MaxRows < 1 || c.MaxRows > maxMaxRows {
		errs = append(errs, fmt.Errorf("projector: MaxRows %d outside 1..%d", c.MaxRows, maxMaxRows))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"MaxDelay", c.MaxDelay}, {"InsertBackoffMin", c.InsertBackoffMin}, {"InsertBackoffMax", c.InsertBackoffMax},
		{"InsertTimeout", c.InsertTimeout}, {"MaxOutage", c.MaxOutage}, {"DrainTimeout", c.DrainTimeout},
		{"LagInterval", c.LagInterval}, {"SessionTimeout", c.SessionTimeout}, {"HeartbeatInterval", c.HeartbeatInterval},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("projector: %s must be positive, got %v", d.name, d.v))
		}
	}
	if c.InsertBackoffMax < c.InsertBackoffMin {
		errs = append(errs, fmt.Errorf("projector: InsertBackoffMax %v below InsertBackoffMin %v", c.InsertBackoffMax, c.InsertBackoffMin))
	}
	return errors.Join(errs...)
}

var (
	identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tableName  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$`)
)

// validateTables checks the Mapper's tables: names go into INSERT
// statements unquoted, so they must be plain identifiers (a table may be
// qualified by its database).
func validateTables(tables []Table) error {
	if len(tables) == 0 {
		return errors.New("projector: Mapper.Tables() is empty")
	}
	var errs []error
	seen := map[string]bool{}
	for _, t := range tables {
		if !tableName.MatchString(t.Name) {
			errs = append(errs, fmt.Errorf("projector: table name %q is not a plain identifier", t.Name))
		}
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("projector: table %q listed twice", t.Name))
		}
		seen[t.Name] = true
		if len(t.Columns) == 0 {
			errs = append(errs, fmt.Errorf("projector: table %q has no columns", t.Name))
		}
		cols := map[string]bool{}
		for _, col := range t.Columns {
			if !identifier.MatchString(col) || cols[col] {
				errs = append(errs, fmt.Errorf("projector: table %q: column %q is not a plain identifier or is listed twice", t.Name, col))
			}
			cols[col] = true
		}
	}
	return errors.Join(errs...)
}
