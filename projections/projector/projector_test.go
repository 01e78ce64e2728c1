package projector_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkapubsub/kafkatest"
	"github.com/paycore/paycore/projections/chconn/chtest"
	"github.com/paycore/paycore/projections/projector"
	"github.com/segmentio/kafka-go"
)

// testMapper projects every event into t_events and probes, in addition,
// into t_probes. A probe whose note is "unmappable" makes Map fail.
type testMapper struct{}

func (testMapper) Tables() []projector.Table {
	return []projector.Table{
		{Name: "t_events", Columns: []string{"key", "event_type", "aggregate_id", "seq", "occurred_at",
			"kafka_topic", "kafka_partition", "kafka_offset", "projected_at", "version"}},
		{Name: "t_probes", Columns: []string{"probe_id", "note", "amount", "version"}},
	}
}

func (testMapper) Map(env events.Envelope, p events.Payload, src projector.Source) ([]projector.Row, error) {
	version := uint64(src.Offset)
	rows := []projector.Row{{Table: "t_events", Values: []any{env.ID, env.Type, env.AggregateID, env.Sequence, env.OccurredAt,
		src.Topic, uint32(src.Partition), uint64(src.Offset), src.ProjectedAt, version}}}
	if probe, ok := p.(events.ProbeSent); ok {
		if probe.Note == "unmappable" {
			return nil, errors.New("test mapper refuses this probe")
		}
		rows = append(rows, projector.Row{Table: "t_probes", Values: []any{probe.ProbeID, probe.Note, probe.Amount.String(), version}})
	}
	return rows, nil
}

var ddl = []string{
	`CREATE TABLE t_events (key String, event_type String, aggregate_id String, seq UInt64, occurred_at DateTime,
		kafka_topic String, kafka_partition UInt32, kafka_offset UInt64, projected_at DateTime, version UInt64)
		ENGINE = ReplacingMergeTree(version) ORDER BY key`,
	`CREATE TABLE t_probes (probe_id String, note String, amount String, version UInt64)
		ENGINE = ReplacingMergeTree(version) ORDER BY probe_id`,
}

type fixture struct {
	t       *testing.T
	brokers []string
	conn    driver.Conn
	reg     *events.Registry
	topics  map[string]int // partitions by topic
}

// setup creates the test tables in a private database and topics with the
// given partition counts.
func setup(t *testing.T, partitions ...int) *fixture {
	t.Helper()
	f := &fixture{t: t, brokers: kafkatest.Brokers(t), reg: events.Catalog(), topics: map[string]int{}}
	f.conn, _ = chtest.Open(t)
	f.createTables()
	for i, n := range partitions {
		topic := kafkatest.UniqueTopic(t, fmt.Sprintf("proj%d", i))
		kafkatest.CreateTopic(t, f.brokers, topic, n)
		f.topics[topic] = n
	}
	return f
}

func (f *fixture) createTables() {
	for _, q := range ddl {
		if err := f.conn.Exec(context.Background(), q); err != nil {
			f.t.Fatalf("%s: %v", q, err)
		}
	}
}

func (f *fixture) dropTables() {
	for _, table := range []string{"t_events", "t_probes"} {
		if err := f.conn.Exec(context.Background(), "DROP TABLE "+table); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) topicList() []string {
	var ts []string
	for t := range f.topics {
		ts = append(ts, t)
	}
	return ts
}

func (f *fixture) config(name string, obs projector.Observer) projector.Config {
	return projector.Config{
		Name: name, GroupPrefix: "paycore-test.", Brokers: f.brokers, Topics: f.topicList(),
		Conn: f.conn, Mapper: testMapper{}, Registry: f.reg,
		MaxRows: 7, MaxDelay: 50 * time.Millisecond, LagInterval: 100 * time.Millisecond,
		InsertBackoffMin: 20 * time.Millisecond, InsertBackoffMax: 100 * time.Millisecond,
		SessionTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond, DrainTimeout: 3 * time.Second,
		Observer: obs,
		Logger:   slog.New(slog.NewTextHandler(f.t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// probe returns the record of a valid probe event; the same (run, i) gives
// the same bytes, so publishing it again is a redelivery.
func (f *fixture) probe(run string, i int, note string) []byte {
	f.t.Helper()
	id := fmt.Sprintf("%s-%d", run, i)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
	env, err := f.reg.New("probe-"+id, 1,
		events.ProbeSent{ProbeID: id, Note: note, Amount: events.CNY(fmt.Sprintf("%d.%02d", i, i%100)), SentAt: at},
		events.Meta{ID: events.DeriveID("projector-test", id), CorrelationID: id, CausationID: id, OccurredAt: at})
	if err != nil {
		f.t.Fatal(err)
	}
	data, err := events.Marshal(env)
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

func (f *fixture) probes(run string, n int) [][]byte {
	var out [][]byte
	for i := range n {
		out = append(out, f.probe(run, i, "note"))
	}
	return out
}

// publish writes values to topic, keyed so they spread over its
// partitions. Creation is asynchronous in KRaft: a topic that every
// partition leader knows may still be unknown to the broker answering the
// writer's metadata request for a moment, so that error is retried.
func (f *fixture) publish(topic string, values ...[]byte) {
	f.t.Helper()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: v}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		w := &kafka.Writer{Addr: kafka.TCP(f.brokers...), Topic: topic, Balancer: &kafka.Hash{},
			RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond}
		err := w.WriteMessages(ctx, msgs...)
		w.Close()
		if err == nil {
			return
		}
		if !errors.Is(err, kafka.UnknownTopicOrPartition) || ctx.Err() != nil {
			f.t.Fatalf("publish to %s: %v", topic, err)
		}
		// Send again only what failed: a copy would be a redelivery.
		var perMessage kafka.WriteErrors
		if errors.As(err, &perMessage) {
			var failed []kafka.Message
			for i, e := range perMessage {
				if e != nil {
					failed = append(failed, msgs[i])
				}
			}
			msgs = failed
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (f *fixture) count(query string) uint64 {
	f.t.Helper()
	var n uint64
	if err := f.conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rows returns a table's rows (FINAL, ordered), projected_at left out: it
// is the one value a replay legitimately changes.
func (f *fixture) rows() []string {
	f.t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT concat(key, '|', event_type, '|', aggregate_id, '|', toString(seq), '|', toString(occurred_at), '|',
			kafka_topic, '|', toString(kafka_partition), '|', toString(kafka_offset), '|', toString(version))
			FROM t_events FINAL ORDER BY key`,
		`SELECT concat(probe_id, '|', note, '|', amount, '|', toString(version)) FROM t_probes FINAL ORDER BY probe_id`,
	} {
		rs, err := f.conn.Query(context.Background(), q)
		if err != nil {
			f.t.Fatal(err)
		}
		for rs.Next() {
			var s string
			if err := rs.Scan(&s); err != nil {
				f.t.Fatal(err)
			}
			out = append(out, s)
		}
		if err := rs.Err(); err != nil {
			f.t.Fatal(err)
		}
		rs.Close()
	}
	return out
}

type tp struct {
	topic     string
	partition int
}

// ends returns every partition's end offset.
func (f *fixture) ends() map[tp]int64 {
	f.t.Helper()
	req := map[string][]kafka.OffsetRequest{}
	for topic, n := range f.topics {
		for p := range n {
			req[topic] = append(req[topic], kafka.LastOffsetOf(p))
		}
	}
	c := &kafka.Client{Addr: kafka.TCP(f.brokers...), Timeout: 10 * time.Second}
	res, err := c.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[tp]int64{}
	for topic, ps := range res.Topics {
		for _, p := range ps {
			out[tp{topic, p.Partition}] = p.LastOffset
		}
	}
	return out
}

// committed returns the group's committed offset of every partition (-1:
// none).
func (f *fixture) committed(group string) map[tp]int64 {
	f.t.Helper()
	req := map[string][]int{}
	for topic, n := range f.topics {
		for p := range n {
			req[topic] = append(req[topic], p)
		}
	}
	c := &kafka.Client{Addr: kafka.TCP(f.brokers...), Timeout: 10 * time.Second}
	res, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: req})
	if err != nil {
		f.t.Fatal(err)
	}
	if res.Error != nil {
		f.t.Fatal(res.Error)
	}
	out := map[tp]int64{}
	for topic, ps := range res.Topics {
		for _, p := range ps {
			if p.Error != nil {
				f.t.Fatal(p.Error)
			}
			out[tp{topic, p.Partition}] = p.CommittedOffset
		}
	}
	return out
}

func (f *fixture) caughtUp(group string) (bool, string) {
	ends, committed := f.ends(), f.committed(group)
	for k, end := range ends {
		if committed[k] != end {
			return false, fmt.Sprintf("committed %v, ends %v", committed, ends)
		}
	}
	return true, ""
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s: %s", timeout, what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// start runs a projector; the returned stop cancels it and returns Run's
// error.
func start(t *testing.T, cfg projector.Config) (*projector.Projector, func() error) {
	t.Helper()
	p, err := projector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = errors.New("Run did not return within 20s of its context's end")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return p, stop
}

// recorder is a projector.Observer (and SkipObserver) keeping the last lag
// per partition and totals.
type recorder struct {
	mu       sync.Mutex
	lag      map[tp]int64
	flushed  map[string]int
	failures int
	skipped  int
}

func newRecorder() *recorder { return &recorder{lag: map[tp]int64{}, flushed: map[string]int{}} }

func (r *recorder) Lag(topic string, partition int, records int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lag[tp{topic, partition}] = records
}

func (r *recorder) Flushed(table string, rows int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushed[table] += rows
}

func (r *recorder) InsertFailed(error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures++
}

func (r *recorder) Skipped(string, int, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped++
}

func (r *recorder) snapshot() (lag map[tp]int64, flushed map[string]int, failures, skipped int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lag, flushed = map[tp]int64{}, map[string]int{}
	for k, v := range r.lag {
		lag[k] = v
	}
	for k, v := range r.flushed {
		flushed[k] = v
	}
	return lag, flushed, r.failures, r.skipped
}

func TestRunProjectsEvents(t *testing.T) {
	t.Parallel()
	f := setup(t, 3, 2)
	topics := f.topicList()
	f.publish(topics[0], append(f.probes("a", 30), []byte(`{"not":"an envelope"}`))...)
	f.publish(topics[1], append(f.probes("b", 20), f.probe("b", 99, "unmappable"))...)

	rec := newRecorder()
	cfg := f.config(kafkatest.UniqueTopic(t, "g"), rec)
	p, stop := start(t, cfg)
	group := cfg.GroupPrefix + cfg.Name

	eventually(t, 30*time.Second, "rows projected", func() (bool, string) {
		e, pr := f.count("SELECT count() FROM t_events FINAL"), f.count("SELECT count() FROM t_probes FINAL")
		return e == 50 && pr == 50, fmt.Sprintf("t_events %d, t_probes %d", e, pr)
	})
	eventually(t, 10*time.Second, "offsets committed", func() (bool, string) { return f.caughtUp(group) })
	eventually(t, 10*time.Second, "lag 0 reported for every partition", func() (bool, string) {
		lag, _, _, _ := rec.snapshot()
		for _, l := range lag {
			if l != 0 {
				return false, fmt.Sprint(lag)
			}
		}
		return len(lag) == 5, fmt.Sprint(lag)
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	if n := f.count("SELECT uniqExact(kafka_topic, kafka_partition, kafka_offset) FROM t_events"); n != 50 {
		t.Errorf("distinct sources = %d, want 50", n)
	}
	// Nothing was redelivered here: each row was inserted exactly once.
	if n := f.count("SELECT count() FROM t_events"); n != 50 {
		t.Errorf("t_events holds %d rows before merges, want 50", n)
	}
	st := p.Stats()
	// A flush holds fewer than 2*MaxRows records (it starts as soon as
	// MaxRows are buffered, and a chunk holds at most MaxRows).
	if st.Records != 52 || st.Skipped != 2 || st.Rows != 100 || st.Flushes < 52/13 {
		t.Errorf("Stats = %+v, want 52 records, 2 skipped, 100 rows, >= 4 flushes", st)
	}
	_, flushed, failures, skipped := rec.snapshot()
	if flushed["t_events"] != 50 || flushed["t_probes"] != 50 || failures != 0 || skipped != 2 {
		t.Errorf("observer: flushed %v, %d insert failures, %d skipped; want 50 rows each, 0, 2", flushed, failures, skipped)
	}
}

func TestRedeliveredEventsAreReplaced(t *testing.T) {
	t.Parallel()
	f := setup(t, 3)
	topic := f.topicList()[0]
	batch := f.probes("r", 20)
	f.publish(topic, batch...)
	f.publish(topic, batch...) // the same events again: a producer retry, say

	check := func(what string) {
		t.Helper()
		for _, q := range []string{
			"SELECT count() FROM t_events FINAL", "SELECT uniqExact(key) FROM t_events",
			"SELECT count() FROM t_probes FINAL",
		} {
			if n := f.count(q); n != 20 {
				t.Errorf("%s: %s = %d, want 20", what, q, n)
			}
		}
	}
	cfg := f.config(kafkatest.UniqueTopic(t, "g1"), nil)
	_, stop := start(t, cfg)
	eventually(t, 30*time.Second, "first projector caught up", func() (bool, string) { return f.caughtUp(cfg.GroupPrefix + cfg.Name) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	check("duplicates in the log")

	// A projector that lost its offsets (a new group) redelivers everything.
	cfg2 := f.config(kafkatest.UniqueTopic(t, "g2"), nil)
	_, stop2 := start(t, cfg2)
	eventually(t, 30*time.Second, "second projector caught up", func() (bool, string) { return f.caughtUp(cfg2.GroupPrefix + cfg2.Name) })
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	check("redelivered to a new group")
	if n := f.count("SELECT count() FROM t_events"); n < 20 || n > 80 {
		t.Errorf("t_events holds %d rows before merges, want 20..80", n)
	}
}

func TestReplayReproducesRows(t *testing.T) {
	t.Parallel()
	f := setup(t, 3, 2)
	topics := f.topicList()
	f.publish(topics[0], append(f.probes("x", 25), []byte("garbage"))...)
	f.publish(topics[1], f.probes("y", 15)...)

	cfg := f.config(kafkatest.UniqueTopic(t, "g"), nil)
	_, stop := start(t, cfg)
	eventually(t, 30*time.Second, "caught up", func() (bool, string) { return f.caughtUp(cfg.GroupPrefix + cfg.Name) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := f.rows()
	if len(want) != 80 {
		t.Fatalf("projected %d rows, want 80", len(want))
	}

	// The operator drops the tables and re-creates them empty, then replays.
	f.dropTables()
	f.createTables()
	var progress [][2]int64
	rcfg := f.config("", nil)
	rcfg.MaxRows = 10
	rcfg.Progress = func(done, total int64) { progress = append(progress, [2]int64{done, total}) }
	stats, err := projector.Replay(t.Context(), rcfg)
	if err != nil {
		t.Fatal(err)
	}
	got := f.rows()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("replayed rows differ\n got: %q\nwant: %q", got, want)
	}
	if stats.Records != 41 || stats.Skipped != 1 || stats.Rows != 80 || stats.Took <= 0 {
		t.Errorf("Stats = %+v, want 41 records, 1 skipped, 80 rows", stats)
	}
	if len(progress) < 3 || progress[0] != [2]int64{0, 41} || progress[len(progress)-1] != [2]int64{41, 41} {
		t.Errorf("progress = %v, want (0, 41) ... (41, 41)", progress)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i][0] < progress[i-1][0] {
			t.Errorf("progress went backwards: %v", progress)
		}
	}
}

// flakyConn is ClickHouse failing: while down, PrepareBatch of a query
// containing match fails, as with the server unreachable.
type flakyConn struct {
	driver.Conn
	match    string
	down     atomic.Bool
	failures atomic.Int64
}

func (c *flakyConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	if c.down.Load() && strings.Contains(query, c.match) {
		c.failures.Add(1)
		return nil, errors.New("simulated outage: dial tcp 127.0.0.1:19000: connection refused")
	}
	return c.Conn.PrepareBatch(ctx, query, opts...)
}

func TestClickHouseOutage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, match string }{
		{"every table", "INSERT"},
		{"second table only", "t_probes"}, // t_events' batch succeeds and must not be sent again
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, 2)
			topic := f.topicList()[0]
			f.publish(topic, f.probes("o", 20)...)
			conn := &flakyConn{Conn: f.conn, match: tt.match}
			conn.down.Store(true)
			rec := newRecorder()
			cfg := f.config(kafkatest.UniqueTopic(t, "g"), rec)
			cfg.Conn = conn
			_, stop := start(t, cfg)
			group := cfg.GroupPrefix + cfg.Name

			eventually(t, 30*time.Second, "inserts retried", func() (bool, string) {
				return conn.failures.Load() >= 5, fmt.Sprint(conn.failures.Load(), " failures")
			})
			for k, off := range f.committed(group) {
				if off != -1 {
					t.Errorf("%v: offset %d committed while ClickHouse was down", k, off)
				}
			}
			if n := f.count("SELECT count() FROM t_probes"); n != 0 {
				t.Errorf("t_probes has %d rows while its inserts fail", n)
			}
			conn.down.Store(false)

			eventually(t, 30*time.Second, "caught up after the outage", func() (bool, string) { return f.caughtUp(group) })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			// Not FINAL: each row must have been inserted exactly once.
			for _, table := range []string{"t_events", "t_probes"} {
				if n := f.count("SELECT count() FROM " + table); n != 20 {
					t.Errorf("%s holds %d rows, want 20 (nothing lost, nothing doubled)", table, n)
				}
			}
			if _, _, failures, _ := rec.snapshot(); failures < 5 {
				t.Errorf("observer saw %d insert failures, want >= 5", failures)
			}
		})
	}
	t.Run("longer than MaxOutage", func(t *testing.T) {
		t.Parallel()
		f := setup(t, 1)
		f.publish(f.topicList()[0], f.probes("m", 3)...)
		conn := &flakyConn{Conn: f.conn, match: "INSERT"}
		conn.down.Store(true)
		cfg := f.config(kafkatest.UniqueTopic(t, "g"), nil)
		cfg.Conn, cfg.MaxOutage = conn, 500*time.Millisecond
		p, err := projector.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = p.Run(ctx)
		if !errors.Is(err, projector.ErrOutage) {
			t.Fatalf("Run = %v, want ErrOutage", err)
		}
		t.Logf("Run: %v", err)
		for k, off := range f.committed(cfg.GroupPrefix + cfg.Name) {
			if off != -1 {
				t.Errorf("%v: offset %d committed though nothing was inserted", k, off)
			}
		}
	})
}

func TestValidate(t *testing.T) {
	good := projector.Config{Name: "p", Brokers: []string{"b:9092"}, Topics: []string{"t"}, Conn: &flakyConn{},
		Mapper: testMapper{}, Registry: events.Catalog()}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	for _, tt := range []struct {
		name   string
		mutate func(*projector.Config)
		want   string
	}{
		{"no name", func(c *projector.Config) { c.Name = "" }, "Name is required"},
		{"no topics", func(c *projector.Config) { c.Topics = nil }, "Topics is required"},
		{"duplicate topic", func(c *projector.Config) { c.Topics = []string{"t", "t"} }, "listed twice"},
		{"no conn", func(c *projector.Config) { c.Conn = nil }, "Conn is required"},
		{"MaxRows", func(c *projector.Config) { c.MaxRows = -1 }, "MaxRows"},
		{"negative delay", func(c *projector.Config) { c.MaxDelay = -time.Second }, "MaxDelay must be positive"},
		{"backoff", func(c *projector.Config) { c.InsertBackoffMin, c.InsertBackoffMax = time.Second, time.Millisecond }, "InsertBackoffMax"},
		{"bad table", func(c *projector.Config) { c.Mapper = badMapper{} }, "not a plain identifier"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mutate(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

type badMapper struct{ testMapper }

func (badMapper) Tables() []projector.Table {
	return []projector.Table{{Name: "x; DROP TABLE y", Columns: []string{"a"}}}
}

// skipSignal is an Observer whose Skipped closes a channel.
type skipSignal struct {
	*recorder
	once    sync.Once
	skipped chan struct{}
}

func (s *skipSignal) Skipped(topic string, partition int, offset int64, err error) {
	s.recorder.Skipped(topic, partition, offset, err)
	s.once.Do(func() { close(s.skipped) })
}

func TestStopFlushesAndCommitsWhatWasRead(t *testing.T) {
	t.Parallel()
	f := setup(t, 1)
	topic := f.topicList()[0]
	// The undecodable record comes last: once it is skipped, the reader
	// has handed every record over.
	f.publish(topic, append(f.probes("s", 5), []byte("garbage"))...)
	obs := &skipSignal{recorder: newRecorder(), skipped: make(chan struct{})}
	cfg := f.config(kafkatest.UniqueTopic(t, "g"), obs)
	cfg.MaxDelay, cfg.MaxRows = time.Hour, 1000 // nothing is flushed before the stop
	p, stop := start(t, cfg)
	select {
	case <-obs.skipped:
	case <-time.After(30 * time.Second):
		t.Fatal("the records were not read")
	}
	time.Sleep(100 * time.Millisecond)
	if n := f.count("SELECT count() FROM t_events"); n != 0 || p.Stats().Flushes != 0 {
		t.Fatalf("%d rows inserted, stats %+v, before the stop; want none (MaxDelay is an hour)", n, p.Stats())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := f.count("SELECT count() FROM t_events"); n != 5 {
		t.Errorf("after the stop t_events holds %d rows, want 5", n)
	}
	if ok, state := f.caughtUp(cfg.GroupPrefix + cfg.Name); !ok {
		t.Errorf("offsets not committed at the stop: %s", state)
	}
}

// strayMapper returns a row for a table it does not declare: a bug.
type strayMapper struct{ testMapper }

func (strayMapper) Map(events.Envelope, events.Payload, projector.Source) ([]projector.Row, error) {
	return []projector.Row{{Table: "t_elsewhere", Values: []any{"x"}}}, nil
}

func TestMapperBugStopsRun(t *testing.T) {
	t.Parallel()
	f := setup(t, 1)
	f.publish(f.topicList()[0], f.probes("b", 2)...)
	cfg := f.config(kafkatest.UniqueTopic(t, "g"), nil)
	cfg.Mapper = strayMapper{}
	p, err := projector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Run(ctx); err == nil || !strings.Contains(err.Error(), `table "t_elsewhere"`) {
		t.Fatalf("Run = %v, want the stray table reported", err)
	}
	for k, off := range f.committed(cfg.GroupPrefix + cfg.Name) {
		if off != -1 {
			t.Errorf("%v: offset %d committed", k, off)
		}
	}
}
