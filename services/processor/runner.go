package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/chain"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Config describes one processor.
type Config struct {
	// Name identifies the processor; its consumer group is GroupPrefix+Name.
	Name        string
	GroupPrefix string
	Brokers     []string
	// Connector authenticates and encrypts every connection of the
	// runner; nil is plaintext.
	Connector *kafkaconn.Connector
	// Inbox is the topic the processor consumes.
	Inbox string
	// Events is the processor's own event topic, co-partitioned with Inbox.
	// Empty for stateless processors (the intake).
	Events string
	// Snapshots is the processor's compacted snapshot topic, co-partitioned
	// with Events; empty disables snapshots.
	Snapshots string
	// SnapshotEvery is how many events a partition folds between two
	// snapshots: the bound on the log tail a new owner has to replay.
	// Encoding a snapshot pauses the partition for a time that grows with
	// its state (a saga partition: ~60 ms at 10,000 finished payments,
	// ~1.7 s at 100,000), so a partition also waits snapshotSpacing times
	// its last encoding before the next: snapshots then cost at most about
	// 5 % of its time, at the price of a longer tail.
	SnapshotEvery int
	// SnapshotChunkBytes bounds one snapshot record (below the broker's
	// message.max.bytes).
	SnapshotChunkBytes int
	// ChainKey keys the hash chain the runtime links every event of Events
	// into (see package events/chain); empty means chain.DevKey.
	ChainKey []byte
	// Poison receives inbox records that can never be handled.
	Poison string
	// RawInbox hands records to the handler undecoded (the intake reads
	// channel JSON, not envelopes).
	RawInbox bool
	Registry *events.Registry
	Factory  Factory

	// MaxBatch bounds the records handled, written and committed together.
	MaxBatch int
	// FetchWait bounds how long a partition waits for its first record
	// before it checks timers.
	FetchWait time.Duration
	// TickInterval is how often Handler.Due is asked for deadlines.
	TickInterval time.Duration
	// RefireAfter is how long a deadline command is not re-sent while it is
	// still due (its handling is on the way through the inbox).
	RefireAfter time.Duration
	// CommitInterval bounds how often a busy partition commits its inbox
	// offset (always after the batch's records were acknowledged).
	CommitInterval time.Duration
	// WriteAttempts bounds produce retries of one batch; after that the
	// processor stops with an error rather than commit what it could not
	// write (a supervisor restarts it; the batch is redelivered).
	WriteAttempts int
	// SessionTimeout and HeartbeatInterval tune the consumer group: how
	// fast a dead instance's partitions move to the others.
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	// Admission, if set, is asked before every inbox fetch and holds the
	// partition while it is closed: the intake waits there while the
	// processors downstream are behind (package admission). Run runs it
	// for as long as the runner runs.
	Admission Admission
	// Observer, if set, is told about batches and rebuilds (metrics).
	Observer Observer
	Logger   *slog.Logger
}

// Admission decides how many records a processor may take from its inbox;
// *admission.Gate is one.
type Admission interface {
	Run(ctx context.Context)
	// TryAcquire takes up to n without waiting (0: none now); Acquire
	// waits until it can take at least one; Release gives back what a
	// fetch did not use.
	TryAcquire(n int) int
	Acquire(ctx context.Context, n int) (int, error)
	Release(n int)
}

// DecisionObserver is an Observer that also watches what handlers decide:
// every event they record (not the events folded during a rebuild) and
// every record they send, before it is written. Metrics use it for
// outcomes by status and reason, and saga latencies. It is called from the
// partition's goroutine and must be quick and safe for concurrent use.
type DecisionObserver interface {
	Decided(processor string, env events.Envelope, p events.Payload)
	Sent(processor string, o Outbound)
}

// Observer receives the runtime's measurements. Implementations must be
// safe for concurrent use: partitions run in parallel.
type Observer interface {
	Rebuilt(processor string, partition int, events int, took time.Duration)
	Batch(processor string, partition int, records int, took time.Duration)
	// Lag is the partition's consumer lag in records, reported every tick.
	Lag(processor string, partition int, records int64)
	Poisoned(processor string, reason string)
	Snapshotted(processor string, partition int, bytes int, took time.Duration)
}

func (c *Config) setDefaults() {
	if len(c.ChainKey) == 0 {
		c.ChainKey = []byte(chain.DevKey)
	}
	if c.GroupPrefix == "" {
		c.GroupPrefix = "paycore."
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 500
	}
	if c.FetchWait == 0 {
		c.FetchWait = 50 * time.Millisecond
	}
	if c.TickInterval == 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.RefireAfter == 0 {
		c.RefireAfter = 2 * time.Second
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 50000
	}
	if c.SnapshotChunkBytes == 0 {
		c.SnapshotChunkBytes = 512 << 10
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = 100 * time.Millisecond
	}
	if c.WriteAttempts == 0 {
		c.WriteAttempts = 8
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate reports a configuration the runtime cannot run with.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("processor: Name is required")
	case len(c.Brokers) == 0:
		return errors.New("processor: Brokers is required")
	case c.Inbox == "" || c.Poison == "":
		return errors.New("processor: Inbox and Poison topics are required")
	case c.Registry == nil || c.Factory == nil:
		return errors.New("processor: Registry and Factory are required")
	case c.MaxBatch < 1 || c.MaxBatch > 100000:
		return fmt.Errorf("processor: MaxBatch %d outside 1..100000", c.MaxBatch)
	}
	return nil
}

// Runner runs one processor until its context ends or it fails.
type Runner struct {
	cfg        Config
	writer     *kafka.Writer
	snapWriter *kafka.Writer // routes by partition header, not key
	log        *slog.Logger
}

// New returns a Runner for cfg.
func New(cfg Config) (*Runner, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Runner{
		cfg: cfg,
		writer: &kafka.Writer{
			Addr: kafka.TCP(cfg.Brokers...), Transport: cfg.Connector.Transport(),
			// Murmur2 is the Java client's partitioner: a record keyed by a
			// channel's kcat or Java producer lands where ours would.
			Balancer:     &kafka.Murmur2Balancer{},
			RequiredAcks: kafka.RequireAll,
			BatchSize:    cfg.MaxBatch,
			BatchBytes:   16 << 20,
			BatchTimeout: 2 * time.Millisecond,
			WriteTimeout: 10 * time.Second,
			MaxAttempts:  3,
		},
		snapWriter: &kafka.Writer{
			Addr: kafka.TCP(cfg.Brokers...), Transport: cfg.Connector.Transport(), Balancer: partitionFromHeader{}, RequiredAcks: kafka.RequireAll,
			BatchSize: 16, BatchBytes: 1 << 20, BatchTimeout: time.Millisecond, WriteTimeout: 30 * time.Second,
		},
		log: cfg.Logger.With("processor", cfg.Name),
	}, nil
}

// Run joins the consumer group and runs every partition it is assigned,
// generation after generation, until ctx ends (nil error) or a partition
// fails in a way that must not be papered over (the error).
func (r *Runner) Run(ctx context.Context) error {
	defer r.writer.Close()
	defer r.snapWriter.Close()
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                r.cfg.GroupPrefix + r.cfg.Name,
		Brokers:           r.cfg.Brokers,
		Dialer:            r.cfg.Connector.Dialer(),
		Topics:            []string{r.cfg.Inbox},
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: r.cfg.HeartbeatInterval,
		SessionTimeout:    r.cfg.SessionTimeout,
		RebalanceTimeout:  r.cfg.SessionTimeout,
		JoinGroupBackoff:  500 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("%s: consumer group: %w", r.cfg.Name, err)
	}
	defer group.Close()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if a := r.cfg.Admission; a != nil {
		go a.Run(ctx)
	}
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
				return cause
			}
			if ctx.Err() != nil {
				return nil
			}
			// Rebalances in progress, coordinator moves, a broker
			// restarting: the group keeps retrying underneath, so do we.
			r.log.Warn("consumer group not ready; retrying", "err", err)
			continue
		}
		assigned := gen.Assignments[r.cfg.Inbox]
		ids := make([]int, len(assigned))
		for i, a := range assigned {
			ids[i] = a.ID
		}
		sort.Ints(ids)
		r.log.Info("assigned partitions", "generation", gen.ID, "partitions", ids)
		for _, a := range assigned {
			gen.Start(func(genCtx context.Context) {
				pctx, stop := context.WithCancel(genCtx)
				defer stop()
				go func() { // the run's end stops the partition too
					select {
					case <-ctx.Done():
						stop()
					case <-pctx.Done():
					}
				}()
				if err := r.runPartition(pctx, gen, a.ID, a.Offset); err != nil && pctx.Err() == nil {
					r.log.Error("partition failed; stopping processor", "partition", a.ID, "err", err)
					cancel(fmt.Errorf("%s partition %d: %w", r.cfg.Name, a.ID, err))
				}
			})
		}
	}
}

// partition is the state of one owned partition.
type partition struct {
	r       *Runner
	gen     *kafka.Generation
	id      int
	handler Handler
	delayed []Outbound           // held replies, sorted by NotBefore
	fired   map[string]time.Time // deadline commands sent, by key+value
	out     []kafka.Message      // records of the current batch
	snap    *snapshotter
	chain   *links // last chain value per aggregate of the event log
	// decided is the Observer when it also watches decisions, else nil.
	decided DecisionObserver
}

func (r *Runner) newPartition(gen *kafka.Generation, id int) *partition {
	p := &partition{r: r, gen: gen, id: id, handler: r.cfg.Factory(id), fired: map[string]time.Time{},
		snap: &snapshotter{r: r, id: id}, chain: newLinks(r.cfg.ChainKey)}
	p.decided, _ = r.cfg.Observer.(DecisionObserver)
	return p
}

func (r *Runner) runPartition(ctx context.Context, gen *kafka.Generation, id int, offset int64) error {
	p := r.newPartition(gen, id)
	if r.cfg.Events != "" {
		if _, err := p.rebuild(ctx, true); err != nil {
			return err
		}
	} else if obs := r.cfg.Observer; obs != nil {
		obs.Rebuilt(r.cfg.Name, id, 0, 0) // stateless: ready at once
	}
	reader, err := r.inboxReader(id, offset)
	if err != nil {
		return err
	}
	defer func() { reader.Close() }()
	defer p.snap.wait()
	fetchFailures := 0
	committed, lastCommit := offset, time.Now()
	commitFailures := 0
	nextTick := time.Now()
	// commit commits offset; stop says the partition must end (with err,
	// nil when the partition was lost).
	commit := func() (stop bool, err error) {
		if err := gen.CommitOffsets(map[string]map[int]int64{r.cfg.Inbox: {id: offset}}); err != nil {
			if ctx.Err() != nil {
				return true, nil // lost the partition; the next owner redelivers
			}
			// A restarting broker or a moving group coordinator answers
			// NotCoordinator for a while before the generation ends.
			// An uncommitted offset only means redelivery, which the
			// handlers answer without deciding again: retry on the next
			// round, a bounded number of times in a row.
			commitFailures++
			if commitFailures > maxCommitFailures {
				return true, fmt.Errorf("commit offset %d: %w", offset, err)
			}
			r.log.Warn("commit failed; retrying", "partition", id, "offset", offset, "attempt", commitFailures, "err", err)
			lastCommit = time.Now()
			return false, nil
		}
		committed, lastCommit, commitFailures = offset, time.Now(), 0
		return false, nil
	}
	batch := make([]kafka.Message, 0, r.cfg.MaxBatch)
	for ctx.Err() == nil {
		batch = batch[:0]
		granted, grow := r.cfg.MaxBatch, func(n int) int { return n }
		if a := r.cfg.Admission; a != nil {
			// One record's worth of admission held while waiting for the
			// first record; the rest of the batch is taken from the budget
			// once records are there, so an idle partition never sits on
			// budget another one could use.
			if granted = a.TryAcquire(1); granted == 0 {
				// Held back: commit what is handled first, so that the
				// lag shows only what waits, then wait for the gate.
				if offset != committed {
					if stop, err := commit(); stop {
						return err
					}
				}
				var err error
				if granted, err = a.Acquire(ctx, 1); err != nil {
					return nil // the generation ended while waiting
				}
			}
			grow = func(n int) int { took := a.TryAcquire(n); granted += took; return took }
		}
		err := p.fetch(ctx, reader, &batch, grow)
		if a := r.cfg.Admission; a != nil {
			a.Release(granted - len(batch))
		}
		if err != nil {
			// Leadership moves and broker restarts surface here. Nothing
			// of the failed fetch was handled, so reopen the reader at the
			// next unhandled offset, a bounded number of times in a row.
			fetchFailures++
			if fetchFailures > maxFetchFailures {
				return err
			}
			r.log.Warn("inbox fetch failed; reopening reader", "partition", id, "offset", offset, "attempt", fetchFailures, "err", err)
			reader.Close()
			time.Sleep(min(time.Duration(fetchFailures)*100*time.Millisecond, 2*time.Second))
			if reader, err = r.inboxReader(id, offset); err != nil {
				return err
			}
			continue
		}
		fetchFailures = 0
		if len(batch) > 0 {
			start := time.Now()
			for _, m := range batch {
				p.handle(m)
			}
			if err := p.flush(ctx); err != nil {
				return revokedIsNil(err)
			}
			offset = batch[len(batch)-1].Offset + 1
			if err := p.snap.maybeTake(ctx, p); err != nil && ctx.Err() == nil {
				// A snapshot only shortens rebuilds; failing one is no
				// reason to stop handling payments.
				r.log.Warn("snapshot failed", "partition", id, "err", err)
			}
			if obs := r.cfg.Observer; obs != nil {
				obs.Batch(r.cfg.Name, id, len(batch), time.Since(start))
			}
		}
		// Commit what was written, at most every CommitInterval (and at
		// once when idle): a commit is a round trip to the group
		// coordinator, and committing less often only means redelivering
		// more after a crash, which handlers answer without deciding again.
		if offset != committed && (len(batch) == 0 || time.Since(lastCommit) >= r.cfg.CommitInterval) {
			if stop, err := commit(); stop {
				return err
			}
		}
		now := time.Now()
		p.releaseDelayed(now)
		if !now.Before(nextTick) {
			p.fireDeadlines(now)
			if obs := r.cfg.Observer; obs != nil {
				obs.Lag(r.cfg.Name, id, reader.Lag())
			}
			nextTick = now.Add(r.cfg.TickInterval)
		}
		if len(p.out) > 0 {
			if err := p.flush(ctx); err != nil {
				return revokedIsNil(err)
			}
		}
	}
	return nil
}

// maxFetchFailures bounds consecutive failed fetches before a partition
// gives up (about a minute of retrying); maxCommitFailures does the same
// for offset commits (tried every CommitInterval while work goes on).
const (
	maxFetchFailures  = 40
	maxCommitFailures = 600
)

// inboxReader opens a reader of one inbox partition at offset (a committed
// offset, or kafka.FirstOffset for a partition the group never committed).
func (r *Runner) inboxReader(partition int, offset int64) (*kafka.Reader, error) {
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers: r.cfg.Brokers, Dialer: r.cfg.Connector.Dialer(), Topic: r.cfg.Inbox, Partition: partition,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: r.cfg.FetchWait,
		QueueCapacity: r.cfg.MaxBatch, ReadBackoffMin: 5 * time.Millisecond, ReadBackoffMax: 50 * time.Millisecond,
	})
	if err := reader.SetOffset(offset); err != nil {
		reader.Close()
		return nil, fmt.Errorf("seek inbox partition %d to %d: %w", partition, offset, err)
	}
	return reader, nil
}

// fetch collects up to MaxBatch records. It waits up to FetchWait for the
// first (less when a held reply is due sooner: it must not wait for an
// unrelated record to arrive), then takes as many of the records already
// buffered as grow allows (grow(n) returns how many of n more it may
// take: the admission gate's budget, or n).
func (p *partition) fetch(ctx context.Context, reader *kafka.Reader, batch *[]kafka.Message, grow func(n int) int) error {
	first := p.r.cfg.FetchWait
	if len(p.delayed) > 0 {
		first = max(min(first, time.Until(p.delayed[0].NotBefore)), time.Millisecond)
	}
	wait, cancel := context.WithTimeout(ctx, first)
	defer cancel()
	m, err := reader.FetchMessage(wait)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil
		}
		return fmt.Errorf("fetch inbox: %w", err)
	}
	*batch = append(*batch, m)
	for more := grow(p.r.cfg.MaxBatch - 1); more > 0; more-- {
		// Only records already fetched: a context that expires at once
		// makes FetchMessage return when nothing is buffered.
		c, stop := context.WithTimeout(ctx, time.Millisecond)
		m, err := reader.FetchMessage(c)
		stop()
		if err != nil {
			return nil
		}
		*batch = append(*batch, m)
	}
	return nil
}

// handle decides on one record and queues what it produced.
func (p *partition) handle(m kafka.Message) {
	msg := Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time.UTC()}
	if !p.r.cfg.RawInbox {
		// Inboxes hold only what paycore processors wrote (channels write
		// to the requests topic, read raw by the intake), so the own-record
		// decoder applies.
		env, err := events.UnmarshalOwn(m.Value)
		if err == nil {
			msg.Envelope = env
			msg.Payload, err = p.r.cfg.Registry.DecodeOwn(env)
		}
		if err != nil {
			p.poison(m, "", "undecodable: "+err.Error())
			return
		}
	}
	out, err := p.handler.Handle(msg)
	if err != nil {
		p.poison(m, msg.Envelope.CorrelationID, err.Error())
		return
	}
	if len(out.Payloads) != 0 && len(out.Payloads) != len(out.Events) {
		panic(fmt.Sprintf("processor %s: handler returned %d payloads for %d events", p.r.cfg.Name, len(out.Payloads), len(out.Events)))
	}
	for i, env := range out.Events {
		var payload events.Payload
		var err error
		if len(out.Payloads) > 0 {
			payload = out.Payloads[i]
		} else {
			payload, err = p.r.cfg.Registry.Decode(env)
		}
		if err != nil {
			// The handler built an event the registry cannot read back: a
			// bug. Writing it would poison every future rebuild.
			panic(fmt.Sprintf("processor %s: handler produced undecodable event %s: %v", p.r.cfg.Name, env.Type, err))
		}
		p.handler.Apply(env, payload)
		p.snap.applied++
		if p.decided != nil {
			p.decided.Decided(p.r.cfg.Name, env, payload)
		}
		wire, err := p.chain.seal(env)
		if err != nil {
			panic(fmt.Sprintf("processor %s: encoding %s: %v", p.r.cfg.Name, env.Type, err)) // decoded above: a bug
		}
		p.queue(Outbound{Topic: p.r.cfg.Events, Key: env.AggregateID, Value: wire})
	}
	now := time.Now()
	for _, o := range out.Messages {
		if p.decided != nil {
			p.decided.Sent(p.r.cfg.Name, o)
		}
		if o.NotBefore.After(now) {
			p.delay(o)
			continue
		}
		p.queue(o)
	}
}

func (p *partition) queue(o Outbound) {
	p.out = append(p.out, kafka.Message{Topic: o.Topic, Key: []byte(o.Key), Value: o.Value})
}

func (p *partition) delay(o Outbound) {
	i := sort.Search(len(p.delayed), func(i int) bool { return p.delayed[i].NotBefore.After(o.NotBefore) })
	p.delayed = append(p.delayed, Outbound{})
	copy(p.delayed[i+1:], p.delayed[i:])
	p.delayed[i] = o
}

func (p *partition) releaseDelayed(now time.Time) {
	n := 0
	for n < len(p.delayed) && !p.delayed[n].NotBefore.After(now) {
		p.queue(p.delayed[n])
		n++
	}
	p.delayed = p.delayed[n:]
}

func (p *partition) fireDeadlines(now time.Time) {
	due := p.handler.Due(now)
	live := make(map[string]time.Time, len(due))
	for _, o := range due {
		k := o.Key + "\x00" + string(o.Value)
		if sent, ok := p.fired[k]; ok && now.Sub(sent) < p.r.cfg.RefireAfter {
			live[k] = sent
			continue
		}
		live[k] = now
		p.queue(o)
	}
	p.fired = live
}

// poison parks m on the poison topic with reason. correlation is the
// record's correlation ID when it could be decoded ("" otherwise), so the
// log line leads an operator to the whole flow.
func (p *partition) poison(m kafka.Message, correlation, reason string) {
	p.r.log.Warn("poison record", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
		"correlation_id", correlation, "reason", reason)
	if obs := p.r.cfg.Observer; obs != nil {
		obs.Poisoned(p.r.cfg.Name, reason)
	}
	p.out = append(p.out, kafka.Message{
		Topic: p.r.cfg.Poison, Key: m.Key, Value: m.Value,
		Headers: []kafka.Header{
			{Key: "poison_reason", Value: []byte(reason)},
			{Key: "poison_processor", Value: []byte(p.r.cfg.Name)},
			{Key: "source_topic", Value: []byte(m.Topic)},
			{Key: "source_partition", Value: []byte(strconv.Itoa(m.Partition))},
			{Key: "source_offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
		},
	})
}

// errRevoked says the partition was taken away (rebalance, shutdown)
// before its records were written: nothing of the batch may be committed.
var errRevoked = errors.New("partition revoked before the batch was written")

// revokedIsNil turns errRevoked into a clean stop of the partition: the
// next owner redelivers the batch.
func revokedIsNil(err error) error {
	if errors.Is(err, errRevoked) {
		return nil
	}
	return err
}

// flush writes the queued records in one produce call, retrying with a
// bounded backoff. The caller commits only after it returned nil; it
// returns errRevoked when the partition was revoked first, because then
// the records may not all be written, and committing would lose them.
func (p *partition) flush(ctx context.Context) error {
	if len(p.out) == 0 {
		return nil
	}
	backoff := 100 * time.Millisecond
	var err error
	for attempt := 1; attempt <= p.r.cfg.WriteAttempts; attempt++ {
		if err = p.r.writer.WriteMessages(ctx, p.out...); err == nil {
			p.out = p.out[:0]
			return nil
		}
		if ctx.Err() != nil {
			return errRevoked
		}
		p.r.log.Warn("produce failed; retrying", "partition", p.id, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return errRevoked
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
	return fmt.Errorf("produce %d records after %d attempts: %w", len(p.out), p.r.cfg.WriteAttempts, err)
}

// rebuild builds the partition's state before any command is handled:
// the latest snapshot if there is a usable one, then the event log from the
// snapshot's offset (or from the start) up to its end at assignment time.
func (p *partition) rebuild(ctx context.Context, useSnapshot bool) (RebuildStats, error) {
	var pick snapshotPicker
	if useSnapshot {
		pick = p.r.latestSnapshot
	}
	return p.rebuildWith(ctx, pick, -1, nil)
}

// snapshotPicker chooses the snapshot a rebuild starts from: its manifest,
// state and chunk keys, or a nil manifest for none.
type snapshotPicker func(ctx context.Context, partition int) (*manifest, []byte, []string, error)

// rebuildWith is rebuild from the snapshot pick chooses (none when pick is
// nil), folding the log up to end (exclusive), or up to its end at the
// start when end < 0. covered, if set, is told how many offsets of the
// log each step accounted for: the snapshot's, then one per event.
func (p *partition) rebuildWith(ctx context.Context, pick snapshotPicker, end int64, covered func(int64)) (RebuildStats, error) {
	start := time.Now()
	var stats RebuildStats
	first, last, err := p.r.offsets(ctx, p.r.cfg.Events, p.id)
	if err != nil {
		return stats, err
	}
	if end >= 0 {
		last = min(last, end)
	}
	from := first
	if snap, ok := p.handler.(Snapshotter); ok && pick != nil && p.r.cfg.Snapshots != "" {
		m, state, keys, err := pick(ctx, p.id)
		switch {
		case err != nil:
			p.r.log.Warn("snapshot unusable; folding the whole log", "partition", p.id, "err", err)
		case m != nil:
			if err := p.restore(snap, state); err != nil {
				p.r.log.Warn("snapshot does not restore; folding the whole log", "partition", p.id, "snapshot", m.SnapshotID, "err", err)
				p.handler, p.chain = p.r.cfg.Factory(p.id), newLinks(p.r.cfg.ChainKey)
			} else {
				from = max(m.EventsOffset, first)
				stats.FromSnapshot, stats.SnapshotBytes = true, m.Bytes
				p.snap.last, p.snap.previous = m, keys
			}
		}
	}
	stats.EventsOffset = from
	stats.EndOffset = max(from, last)
	if covered != nil {
		covered(from - first)
	}
	if last > from {
		reader := kafka.NewReader(kafka.ReaderConfig{
			Brokers: p.r.cfg.Brokers, Dialer: p.r.cfg.Connector.Dialer(), Topic: p.r.cfg.Events, Partition: p.id,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 10000,
		})
		defer reader.Close()
		if err := reader.SetOffset(from); err != nil {
			return stats, err
		}
		for {
			m, err := reader.FetchMessage(ctx)
			if err != nil {
				return stats, fmt.Errorf("rebuild %s/%d: %w", p.r.cfg.Events, p.id, err)
			}
			env, err := events.UnmarshalOwn(m.Value)
			if err != nil {
				return stats, fmt.Errorf("rebuild %s/%d offset %d: %w", p.r.cfg.Events, p.id, m.Offset, err)
			}
			env = p.chain.learn(env, m.Value)
			payload, err := p.r.cfg.Registry.DecodeOwn(env)
			if err != nil {
				return stats, fmt.Errorf("rebuild %s/%d offset %d: %w", p.r.cfg.Events, p.id, m.Offset, err)
			}
			p.handler.Apply(env, payload)
			stats.Events++
			if covered != nil {
				covered(1)
			}
			if m.Offset >= last-1 {
				break
			}
		}
	}
	p.snap.applied = stats.Events
	stats.Took = time.Since(start)
	if obs := p.r.cfg.Observer; obs != nil {
		obs.Rebuilt(p.r.cfg.Name, p.id, stats.Events, stats.Took)
	}
	p.r.log.Info("partition rebuilt", "partition", p.id, "from_snapshot", stats.FromSnapshot, "snapshot_bytes", stats.SnapshotBytes,
		"events", stats.Events, "took", stats.Took.Round(time.Millisecond))
	return stats, nil
}

// offsets returns the first and next-to-write offsets of topic/partition.
// Leadership moves (topic just created, broker restarting) are retried for
// a bounded time before the partition gives up.
func (r *Runner) offsets(ctx context.Context, topic string, partition int) (int64, int64, error) {
	var lastErr error
	backoff := 50 * time.Millisecond
	for attempt := 0; attempt < 12; attempt++ {
		for _, b := range r.cfg.Brokers {
			conn, err := r.cfg.Connector.DialLeader(ctx, b, topic, partition)
			if err != nil {
				lastErr = err
				continue
			}
			first, last, err := conn.ReadOffsets()
			conn.Close()
			if err != nil {
				lastErr = err
				continue
			}
			return first, last, nil
		}
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
	return 0, 0, fmt.Errorf("offsets of %s/%d: %w", topic, partition, lastErr)
}

// Name returns the processor's name.
func (r *Runner) Name() string { return r.cfg.Name }
