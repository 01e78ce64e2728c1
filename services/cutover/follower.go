package cutover

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/segmentio/kafka-go"
)

// Follower follows cutover.rules and holds the latest rules version for
// the intake. Rules is safe for concurrent use and never blocks: it reads
// an atomic pointer that the following goroutine swaps when a new version
// arrives, so the intake's Handle stays free of I/O.
type Follower struct {
	current atomic.Pointer[Rules]
	ready   chan struct{}
	// done is closed when the goroutine ends; err says why.
	done chan struct{}
	err  error
}

// Rules returns the rules in force as far as the follower has read (nil
// before the first version).
func (f *Follower) Rules() *Rules { return f.current.Load() }

// Ready is closed once the follower has read every record that was on the
// topic when it started: before that, Rules may be an older version than
// the one in force, and an intake must not route with it.
func (f *Follower) Ready() <-chan struct{} { return f.ready }

// WaitReady blocks until Ready, the follower failing, or ctx ending.
func (f *Follower) WaitReady(ctx context.Context) error {
	select {
	case <-f.ready:
		return nil
	case <-f.done:
		return fmt.Errorf("cutover: rules follower stopped before it caught up: %w", f.err)
	case <-ctx.Done():
		return fmt.Errorf("cutover: waiting for the rules follower to catch up with the rules topic: %w", ctx.Err())
	}
}

// Static returns a follower that always holds r and is ready, for tests
// and tools that route without a broker.
func Static(r *Rules) *Follower {
	f := &Follower{ready: make(chan struct{}), done: make(chan struct{})}
	f.current.Store(r)
	close(f.ready)
	return f
}

// Follow starts following topic (one partition) from its first record,
// through c (nil: plaintext), until ctx ends. Invalid records and versions
// that do not increase are skipped with a warning, as Load skips them.
func Follow(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string, reg *events.Registry, logger *slog.Logger) (*Follower, error) {
	if logger == nil {
		logger = slog.Default()
	}
	first, last, err := ruleOffsets(ctx, brokers, c, topic)
	if err != nil {
		return nil, err
	}
	f := &Follower{ready: make(chan struct{}), done: make(chan struct{})}
	if last <= first {
		close(f.ready)
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Dialer: c.Dialer(), Topic: topic, Partition: 0,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond,
	})
	if err := r.SetOffset(first); err != nil {
		r.Close()
		return nil, err
	}
	go func() {
		defer close(f.done)
		defer r.Close()
		book := &Book{}
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					f.err = ctx.Err()
					return
				}
				// A broker restarting: keep following, a stale rule set is
				// better than an intake that cannot start.
				logger.Warn("cutover: reading rules", "topic", topic, "err", err)
				select {
				case <-time.After(200 * time.Millisecond):
					continue
				case <-ctx.Done():
					f.err = ctx.Err()
					return
				}
			}
			if err := addRecord(book, reg, m.Value); err != nil {
				logger.Warn("cutover: skipping rules record", "offset", m.Offset, "err", err)
			} else {
				f.current.Store(book.Latest())
				logger.Info("cutover: rules in force", "version", book.Latest().Version())
			}
			if m.Offset >= last-1 {
				select {
				case <-f.ready:
				default:
					close(f.ready)
				}
			}
		}
	}()
	return f, nil
}

// ruleOffsets returns the first and next offsets of the rules topic. A
// topic created a moment ago may not have its leader known to every
// broker yet (Not Leader For Partition, Leader Not Available): such
// temporary errors are retried for a few seconds before giving up.
func ruleOffsets(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) (first, last int64, err error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		first, last, err = readRuleOffsets(ctx, brokers, c, topic)
		var kerr kafka.Error
		if err == nil || !errors.As(err, &kerr) || !kerr.Temporary() || time.Now().After(deadline) {
			return first, last, err
		}
		select {
		case <-ctx.Done():
			return 0, 0, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func readRuleOffsets(ctx context.Context, brokers []string, c *kafkaconn.Connector, topic string) (int64, int64, error) {
	conn, err := c.DialLeader(ctx, brokers[0], topic, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("cutover: leader of %s/0: %w", topic, err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return 0, 0, fmt.Errorf("cutover: offsets of %s/0: %w", topic, err)
	}
	return first, last, nil
}
