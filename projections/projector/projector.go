package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Projector runs one projector (see Run).
type Projector struct {
	cfg        Config
	log        *slog.Logger
	tables     []Table
	tableIndex map[string]int
	client     *kafka.Client
	stats      counters
	ins        *inserter
}

// New returns a Projector for cfg (zero tuning fields defaulted).
func New(cfg Config) (*Projector, error) {
	cfg.setDefaults()
	if err := cfg.validate(true); err != nil {
		return nil, err
	}
	return newProjector(cfg, cfg.Logger.With("projector", cfg.Name)), nil
}

func newProjector(cfg Config, log *slog.Logger) *Projector {
	p := &Projector{
		cfg:        cfg,
		log:        log,
		tables:     slices.Clone(cfg.Mapper.Tables()),
		tableIndex: map[string]int{},
		client:     &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Timeout: 10 * time.Second, Transport: cfg.Connector.Transport()},
	}
	for i, t := range p.tables {
		p.tableIndex[t.Name] = i
	}
	p.ins = newInserter(&p.cfg, log, p.tables, &p.stats)
	return p
}

// Stats returns what the projector did so far; safe to call while Run runs.
func (p *Projector) Stats() Stats { return p.stats.snapshot() }

// Run joins the consumer group GroupPrefix+Name on all Topics and projects
// the partitions it is assigned, generation after generation, until ctx
// ends (nil, after a last flush and commit bounded by DrainTimeout) or it
// cannot go on: inserts failing for MaxOutage (ErrOutage), or a Mapper
// bug. Run may be called once.
//
// Progress is recorded as the group's committed offsets, and only after
// every row of every record up to them is in ClickHouse: a crash or a
// rebalance redelivers at most what was not committed, and the tables'
// ReplacingMergeTree engine makes the second copy harmless.
//
// The group is a kafka.ConsumerGroup whose generations Run drives itself,
// as services/processor does, with one kafka.Reader per assigned partition,
// rather than a group kafka.Reader with GroupTopics: buffered rows must be
// committed under the generation that read them and flushed (or dropped)
// before the partitions move on, which a group Reader hides (it rebalances
// and commits underneath, and would let rows of a lost partition commit
// over the new owner's progress); and per-partition readers give the
// high watermark each partition's lag is computed from.
func (p *Projector) Run(ctx context.Context) error {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                p.cfg.GroupPrefix + p.cfg.Name,
		Brokers:           p.cfg.Brokers,
		Dialer:            p.cfg.Connector.Dialer(),
		Topics:            p.cfg.Topics,
		StartOffset:       kafka.FirstOffset, // a new projector projects every log from its start
		HeartbeatInterval: p.cfg.HeartbeatInterval,
		SessionTimeout:    p.cfg.SessionTimeout,
		// A member leaving a generation drains (flush + commit) first.
		RebalanceTimeout: p.cfg.SessionTimeout + p.cfg.DrainTimeout,
		JoinGroupBackoff: 500 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("projector %s: consumer group: %w", p.cfg.Name, err)
	}
	defer group.Close()
	p.log.Info("projector starting", "group", p.cfg.GroupPrefix+p.cfg.Name, "topics", p.cfg.Topics,
		"tables", len(p.tables), "max_rows", p.cfg.MaxRows, "max_delay", p.cfg.MaxDelay)
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Rebalances in progress, coordinator moves, a broker
			// restarting: the group keeps retrying underneath, so do we.
			p.log.Warn("consumer group not ready; retrying", "err", err)
			continue
		}
		// The generation's work runs inside it (gen.Start), so the group
		// rejoins only after the last flush and commit; Run waits for it.
		done := make(chan error, 1)
		gen.Start(func(genCtx context.Context) { done <- p.runGeneration(ctx, genCtx, gen) })
		if err := <-done; err != nil {
			return fmt.Errorf("projector %s: %w", p.cfg.Name, err)
		}
		if ctx.Err() != nil {
			p.log.Info("projector stopped", "stats", p.Stats())
			return nil
		}
	}
}

// errCommit marks a failed offset commit: the rows are in ClickHouse, the
// generation is probably over, and the records will be redelivered.
var errCommit = errors.New("commit offsets")

// partitionState is what the flushing loop knows about an assigned
// partition, for commits and lag.
type partitionState struct {
	committed int64 // offset the group has recorded; < 0 when none
	start     int64 // log start offset; < 0 until known
	end       int64 // high watermark; < 0 until known
}

// generation is one generation's flushing loop: it owns the buffer and is
// the only goroutine that inserts and commits.
type generation struct {
	p       *Projector
	gen     *kafka.Generation
	parts   map[topicPartition]*partitionState
	buf     *buffer
	nextLag time.Time
}

// runGeneration projects the generation's partitions until it ends or ctx
// ends; then it drains. A nil error means "join the next generation" (or
// stop, if ctx ended).
func (p *Projector) runGeneration(ctx, genCtx context.Context, gen *kafka.Generation) error {
	gctx, cancel := context.WithCancel(genCtx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel) // the run's end ends the generation's work too
	defer stop()

	g := &generation{p: p, gen: gen, parts: map[topicPartition]*partitionState{}, buf: newBuffer(len(p.tables))}
	var assigned []string
	for topic, as := range gen.Assignments {
		for _, a := range as {
			committed := a.Offset
			if committed < 0 { // kafka.FirstOffset: nothing committed yet
				committed = -1
			}
			g.parts[topicPartition{topic, a.ID}] = &partitionState{committed: committed, start: -1, end: -1}
			assigned = append(assigned, fmt.Sprintf("%s/%d@%d", topic, a.ID, a.Offset))
		}
	}
	slices.Sort(assigned)
	p.log.Info("assigned partitions", "generation", gen.ID, "partitions", assigned)

	chunks := make(chan chunk, 2*len(g.parts)+1)
	failed := make(chan error, len(g.parts))
	rctx, stopReaders := context.WithCancel(gctx)
	var wg sync.WaitGroup
	defer func() { stopReaders(); wg.Wait() }() // readers end before the generation does
	for topic, as := range gen.Assignments {
		for _, a := range as {
			wg.Go(func() {
				err := p.readPartition(rctx, topic, a.ID, a.Offset, -1, chunks)
				if err != nil && rctx.Err() == nil {
					failed <- err
				}
			})
		}
	}

	// drain stops the readers, takes the chunks they already handed over,
	// and flushes and commits everything once more.
	drain := func() error {
		stopReaders()
		wg.Wait()
		for {
			select {
			case c := <-chunks:
				if c.err != nil {
					return c.err
				}
				g.buf.add(&c, time.Now())
				continue
			default:
			}
			return g.drain(gctx)
		}
	}
	check := time.NewTicker(checkInterval(p.cfg.MaxDelay))
	defer check.Stop()
	for {
		select {
		case <-gctx.Done():
			return drain()
		case err := <-failed:
			// The reader gave up after retrying: leave the generation (a
			// fresh one reconnects everything) after flushing what we have.
			p.log.Warn("partition reader failed; rejoining the group", "err", err)
			return drain()
		case c := <-chunks:
			if c.err != nil {
				return c.err
			}
			g.buf.add(&c, time.Now())
			if st := g.parts[topicPartition{c.topic, c.partition}]; st != nil {
				st.end = max(st.end, c.hwm)
			}
			if g.buf.full(p.cfg.MaxRows) {
				if err := g.flush(gctx); err != nil {
					return g.flushFailed(gctx, err, drain)
				}
			}
		case now := <-check.C:
			if g.buf.due(now, p.cfg.MaxDelay) {
				if err := g.flush(gctx); err != nil {
					return g.flushFailed(gctx, err, drain)
				}
			}
			g.tickLag(gctx)
		}
	}
}

// checkInterval is how often the loop looks at the clock: a tenth of
// MaxDelay, within 5 ms..100 ms.
func checkInterval(maxDelay time.Duration) time.Duration {
	return min(max(maxDelay/10, 5*time.Millisecond), 100*time.Millisecond)
}

// flush inserts the buffer (retrying while ClickHouse fails), then commits
// the offsets after the buffered records: progress is recorded only for
// what is in ClickHouse.
func (g *generation) flush(ctx context.Context) error {
	if g.buf.empty() {
		return nil
	}
	p := g.p
	if err := p.ins.flush(ctx, g.buf, func() { g.tickLag(ctx) }); err != nil {
		return err
	}
	offsets := map[string]map[int]int64{}
	for tp, next := range g.buf.next {
		if offsets[tp.topic] == nil {
			offsets[tp.topic] = map[int]int64{}
		}
		offsets[tp.topic][tp.partition] = next
	}
	if err := g.gen.CommitOffsets(offsets); err != nil {
		return fmt.Errorf("%w %v: %w", errCommit, offsets, err)
	}
	for tp, next := range g.buf.next {
		if st := g.parts[tp]; st != nil {
			st.committed = next
		}
	}
	p.stats.records.Add(g.buf.records)
	p.stats.flushes.Add(1)
	g.buf.reset()
	g.reportLag()
	return nil
}

// flushFailed decides what a failed flush means for the run: stopping
// (MaxOutage, a bug), draining (the generation or the run ended during
// the retries), or rejoining (the commit failed: rows are in, the records
// will be redelivered).
func (g *generation) flushFailed(ctx context.Context, err error, drain func() error) error {
	switch {
	case errors.Is(err, errCommit):
		g.p.log.Warn("offset commit failed; rejoining the group (the records are redelivered, harmlessly)", "err", err)
		return nil
	case ctx.Err() != nil:
		return drain()
	default:
		return err
	}
}

// drain runs when the generation or the run ends: one last flush and
// commit, bounded by DrainTimeout, so a clean stop or a rebalance does not
// redeliver what was consumed. What cannot be flushed in time is dropped
// without being committed, hence redelivered.
func (g *generation) drain(ctx context.Context) error {
	if g.buf.empty() {
		return nil
	}
	p := g.p
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.DrainTimeout)
	defer cancel()
	records := g.buf.records
	err := g.flush(dctx)
	switch {
	case err == nil:
		p.log.Info("flushed and committed before leaving the generation", "generation", g.gen.ID, "records", records)
		return nil
	case errors.Is(err, ErrOutage):
		return err
	case errors.Is(err, errCommit), dctx.Err() != nil:
		p.log.Warn("could not flush and commit before leaving the generation; the records will be redelivered",
			"generation", g.gen.ID, "records", records, "err", err)
		return nil
	default:
		return err
	}
}

// tickLag refreshes the partitions' end offsets from the brokers and
// reports lag, every LagInterval.
func (g *generation) tickLag(ctx context.Context) {
	now := time.Now()
	if now.Before(g.nextLag) {
		return
	}
	g.nextLag = now.Add(g.p.cfg.LagInterval)
	topics := map[string][]kafka.OffsetRequest{}
	for tp := range g.parts {
		topics[tp.topic] = append(topics[tp.topic], kafka.FirstOffsetOf(tp.partition), kafka.LastOffsetOf(tp.partition))
	}
	if len(topics) == 0 {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, min(g.p.cfg.LagInterval, 5*time.Second))
	defer cancel()
	res, err := g.p.client.ListOffsets(lctx, &kafka.ListOffsetsRequest{Topics: topics})
	if err != nil {
		g.p.log.Debug("list offsets for lag failed", "err", err)
	} else {
		for topic, ps := range res.Topics {
			for _, po := range ps {
				st := g.parts[topicPartition{topic, po.Partition}]
				if st == nil || po.Error != nil {
					continue
				}
				st.start, st.end = po.FirstOffset, max(st.end, po.LastOffset)
			}
		}
	}
	g.reportLag()
}

// reportLag reports, per partition, the records not yet recorded as
// projected: from the committed offset (or the log's start) to the end.
func (g *generation) reportLag() {
	obs := g.p.cfg.Observer
	if obs == nil {
		return
	}
	for tp, st := range g.parts {
		base := st.committed
		if base < 0 || st.start > base {
			base = st.start
		}
		if base < 0 || st.end < 0 {
			continue
		}
		obs.Lag(tp.topic, tp.partition, max(0, st.end-base))
	}
}
