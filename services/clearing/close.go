package clearing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
)

// CloseConfig is what Close needs.
type CloseConfig struct {
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector *kafkaconn.Connector
	// ClearingTopic is clearing.events; SagaEvents is the saga log the
	// projector must have caught up with.
	ClearingTopic string
	SagaEvents    string
	// ProjectorGroup is the consumer group of the ClickHouse projector.
	ProjectorGroup string
	// Conn reads the projected tables.
	Conn     driver.Conn
	Registry *events.Registry
	Schedule Schedule
	// Until: windows that ended at or before Until minus SettleDelay are
	// closed. Zero means Now. It must not be after Now: a window that has
	// not ended may still get payments.
	Until time.Time
	// SettleDelay covers the time between a payment's final status and
	// its payment.finished reaching Kafka (default DefaultSettleDelay).
	SettleDelay time.Duration
	// FilesDir receives the reconciliation files (default "recon").
	FilesDir string
	// MaxBatches bounds the batches one Close closes (default
	// DefaultMaxBatches); the rest are left for the next run.
	MaxBatches int
	// ProjectorWait bounds the wait for the projector to catch up
	// (default DefaultProjectorWait).
	ProjectorWait time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults of CloseConfig.
const (
	DefaultSettleDelay   = time.Minute
	DefaultFilesDir      = "recon"
	DefaultMaxBatches    = 1000
	DefaultProjectorWait = 10 * time.Second
)

func (c *CloseConfig) setDefaults() {
	if c.Schedule == (Schedule{}) {
		c.Schedule = DefaultSchedule
	}
	if c.SettleDelay == 0 {
		c.SettleDelay = DefaultSettleDelay
	}
	if c.FilesDir == "" {
		c.FilesDir = DefaultFilesDir
	}
	if c.MaxBatches == 0 {
		c.MaxBatches = DefaultMaxBatches
	}
	if c.ProjectorWait == 0 {
		c.ProjectorWait = DefaultProjectorWait
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c *CloseConfig) validate(now time.Time) error {
	errs := []error{c.Schedule.Validate()}
	if len(c.Brokers) == 0 || c.ClearingTopic == "" || c.SagaEvents == "" || c.ProjectorGroup == "" {
		errs = append(errs, errors.New("clearing: brokers, topics and the projector's group are required"))
	}
	if c.Conn == nil || c.Registry == nil {
		errs = append(errs, errors.New("clearing: a ClickHouse connection and the event registry are required"))
	}
	if c.SettleDelay < 0 || c.MaxBatches < 1 || c.ProjectorWait < 0 {
		errs = append(errs, fmt.Errorf("clearing: settle delay %v, max batches %d, projector wait %v: out of range",
			c.SettleDelay, c.MaxBatches, c.ProjectorWait))
	}
	if c.Until.After(now) {
		errs = append(errs, fmt.Errorf("clearing: until %s is in the future (now %s): a window that has not ended may still get payments",
			c.Until.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// ClosedBatch is one batch Close closed.
type ClosedBatch struct {
	Batch      Batch
	Settlement Settlement
	// Files are the paths of the reconciliation files written.
	Files []string
}

// CloseReport says what Close did.
type CloseReport struct {
	Closed []ClosedBatch
	// AlreadyClosed counts windows in range that had a BatchClosed.
	AlreadyClosed int
	// Left counts windows in range left for the next run (MaxBatches).
	Left int
	// Horizon: windows ending at or before it were in range.
	Horizon time.Time
}

// Close closes every window that ended by Until minus SettleDelay and
// has no BatchClosed on clearing.events, from the window of the earliest
// finished payment on, at most MaxBatches per call, oldest first. Windows
// without payments are closed too: a bank expects a file for every batch,
// and a closed empty window tells anyone later that nothing was missed.
//
// For each batch, in order: its payments are read from ClickHouse, the
// reconciliation files are written (so a failure to publish leaves files a
// re-run rewrites identically), then one SettlementInstructed per reserve
// account that receives money and, last, the BatchClosed are published to
// clearing.events keyed by the batch ID, with IDs derived from the batch
// (and account). BatchClosed last means: a batch that has one has its
// instructions on the log; a crash before it leaves the batch open, and
// the next run publishes the same instructions again with the same IDs.
//
// It refuses (ErrProjectorBehind) when the projector has not caught up
// with saga.events: the batches would miss payments.
func Close(ctx context.Context, cfg CloseConfig) (CloseReport, error) {
	cfg.setDefaults()
	now := cfg.Now().UTC()
	if cfg.Until.IsZero() {
		cfg.Until = now
	}
	if err := cfg.validate(now); err != nil {
		return CloseReport{}, err
	}
	rep := CloseReport{Horizon: cfg.Until.Add(-cfg.SettleDelay).UTC()}
	if err := WaitProjected(ctx, cfg.Brokers, cfg.Connector, cfg.ProjectorGroup, []string{cfg.SagaEvents}, cfg.ProjectorWait); err != nil {
		return rep, fmt.Errorf("clearing: not closing batches: %w", err)
	}
	log, err := ReadLog(ctx, cfg.Brokers, cfg.Connector, cfg.ClearingTopic, cfg.Registry)
	if err != nil {
		return rep, err
	}
	first, ok, err := firstFinished(ctx, cfg.Conn)
	if err != nil || !ok {
		return rep, err
	}
	var due []Batch
	for b := cfg.Schedule.BatchOf(first); !b.End.After(rep.Horizon); b = cfg.Schedule.Next(b) {
		switch _, closed := log.Closed(b.ID); {
		case closed:
			rep.AlreadyClosed++
		case len(due) == cfg.MaxBatches:
			rep.Left++
		default:
			due = append(due, b)
		}
	}
	for _, b := range due {
		closed, err := closeBatch(ctx, cfg, log, b, now)
		if err != nil {
			return rep, err
		}
		rep.Closed = append(rep.Closed, closed)
	}
	return rep, nil
}

func closeBatch(ctx context.Context, cfg CloseConfig, log *Log, b Batch, now time.Time) (ClosedBatch, error) {
	payments, err := LoadBatch(ctx, cfg.Conn, b.Start, b.End)
	if err != nil {
		return ClosedBatch{}, fmt.Errorf("clearing: batch %s: %w", b.ID, err)
	}
	s, err := Settle(b, payments, now)
	if err != nil {
		return ClosedBatch{}, err
	}
	files, err := WriteFiles(cfg.FilesDir, b.ID, payments)
	if err != nil {
		return ClosedBatch{}, err
	}
	draft := log.Draft(b.ID, now)
	closedID := BatchClosedID(b.ID)
	for _, in := range s.Instructions {
		if _, err := draft.Add(events.DeriveID(in.InstructionID, in.EventType()), closedID, in); err != nil {
			return ClosedBatch{}, err
		}
	}
	if _, err := draft.Add(closedID, BatchCorrelation(b.ID), s.Closed); err != nil {
		return ClosedBatch{}, err
	}
	if err := Publish(ctx, cfg.Brokers, cfg.Connector, To(cfg.ClearingTopic, draft.Envelopes()...)); err != nil {
		return ClosedBatch{}, fmt.Errorf("clearing: batch %s: %w", b.ID, err)
	}
	return ClosedBatch{Batch: b, Settlement: s, Files: files}, nil
}

// BatchClosedID is the event ID of a batch's BatchClosed.
func BatchClosedID(batchID string) string {
	return events.DeriveID(events.BatchClosed{}.EventType(), batchID)
}
