package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/clearing"
	"github.com/paycore/paycore/services/processor"
)

// Topics are the full names of the topics Reconcile reads and writes.
type Topics struct {
	Clearing     string // clearing.events: read, and the results written
	SagaEvents   string // the log the projector must have caught up with
	SagaInbox    string // corrections
	ReserveInbox string // summarized postings
}

// Config is what Reconcile needs.
type Config struct {
	Brokers []string
	// Connector authenticates and encrypts the Kafka connections; nil is
	// plaintext.
	Connector *kafkaconn.Connector
	Topics    Topics
	// ProjectorGroup is the consumer group of the ClickHouse projector.
	ProjectorGroup string
	Conn           driver.Conn
	Registry       *events.Registry
	// ProjectorWait bounds the wait for the projector to catch up
	// (default clearing.DefaultProjectorWait).
	ProjectorWait time.Duration
	// Now is the clock (default time.Now): when new results occur.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.ProjectorWait == 0 {
		c.ProjectorWait = clearing.DefaultProjectorWait
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

func (c Config) validate() error {
	t := c.Topics
	if len(c.Brokers) == 0 || t.Clearing == "" || t.SagaEvents == "" || t.SagaInbox == "" || t.ReserveInbox == "" || c.ProjectorGroup == "" {
		return errors.New("reconcile: brokers, topics and the projector's group are required")
	}
	if c.Conn == nil || c.Registry == nil {
		return errors.New("reconcile: a ClickHouse connection and the event registry are required")
	}
	return nil
}

// ErrNotClosed: the batch has no BatchClosed on clearing.events.
var ErrNotClosed = errors.New("batch is not closed")

// ErrBatchChanged: ClickHouse no longer gives the batch its closed
// contents, so comparing would report differences that are ours.
var ErrBatchChanged = errors.New("the batch in ClickHouse differs from the batch closed")

// Result is what a reconciliation found and did.
type Result struct {
	Closed events.BatchClosed
	Bank   string
	Lines  []Line
	// Recorded are the events published to clearing.events (discrepancies,
	// then BatchReconciled); Fresh counts those that were not there yet.
	Recorded []events.Envelope
	Fresh    int
	// Corrections are the saga.correct_payment commands sent.
	Corrections []events.CorrectPayment
	// Postings are the reserve.post_summary commands sent (reserve bank);
	// Held the accounts whose posting waits.
	Postings []events.PostReserveSummary
	Held     []Held
	// Restated are discrepancies an earlier reconciliation recorded with
	// other details (another statement): the recorded ones stand.
	Restated []Restated
}

// Restated is a discrepancy found again with other details.
type Restated struct {
	Recorded, Now events.DiscrepancyFound
}

// Discrepancies returns the discrepant lines.
func (r Result) Discrepancies() []Line {
	var out []Line
	for _, l := range r.Lines {
		if l.Discrepant() {
			out = append(out, l)
		}
	}
	return out
}

// Load returns a closed batch and its payments as ClickHouse holds them,
// checking that they are still what the batch closed with: where the
// reconciliation and the simulated banks start. The projector must have
// caught up with saga.events and with the further logs named in projected
// (the bank legs a caller reads next). Errors: ErrNotClosed,
// clearing.ErrProjectorBehind, ErrBatchChanged.
func Load(ctx context.Context, cfg Config, batchID string, projected ...string) (events.BatchClosed, []clearing.Payment, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return events.BatchClosed{}, nil, err
	}
	log, err := clearing.ReadLog(ctx, cfg.Brokers, cfg.Connector, cfg.Topics.Clearing, cfg.Registry)
	if err != nil {
		return events.BatchClosed{}, nil, err
	}
	return load(ctx, cfg, log, batchID, projected)
}

func load(ctx context.Context, cfg Config, log *clearing.Log, batchID string, projected []string) (events.BatchClosed, []clearing.Payment, error) {
	closed, ok := log.Closed(batchID)
	if !ok {
		return closed, nil, fmt.Errorf("reconcile: %w: %s has no BatchClosed on %s; close it first (paycore clearing close)",
			ErrNotClosed, batchID, cfg.Topics.Clearing)
	}
	topics := append([]string{cfg.Topics.SagaEvents}, projected...)
	if err := clearing.WaitProjected(ctx, cfg.Brokers, cfg.Connector, cfg.ProjectorGroup, topics, cfg.ProjectorWait); err != nil {
		return closed, nil, fmt.Errorf("reconcile: batch %s: %w", batchID, err)
	}
	ours, err := clearing.LoadBatch(ctx, cfg.Conn, closed.WindowStart, closed.WindowEnd)
	if err != nil {
		return closed, nil, fmt.Errorf("reconcile: batch %s: %w", batchID, err)
	}
	b := clearing.Batch{ID: batchID, Start: closed.WindowStart, End: closed.WindowEnd}
	again, err := clearing.Settle(b, ours, closed.ClosedAt)
	if err != nil {
		return closed, nil, err
	}
	if c := again.Closed; c.Payments != closed.Payments || !c.SettledAmount.Equal(closed.SettledAmount) {
		return closed, nil, fmt.Errorf("reconcile: %w: %s closed with %d payments settling %s, ClickHouse now gives %d settling %s; "+
			"rebuild the projection (paycore replay) before reconciling",
			ErrBatchChanged, batchID, closed.Payments, closed.SettledAmount, c.Payments, c.SettledAmount)
	}
	return closed, ours, nil
}

// Reconcile reconciles batch batchID with a bank's statement (parsed
// first, with ParseStatement, so a malformed file publishes nothing).
//
// It refuses a batch that is not closed (ErrNotClosed), a projector that
// is behind (clearing.ErrProjectorBehind), and a batch whose payments in
// ClickHouse are not the ones it closed with (ErrBatchChanged). Then it
// compares, and publishes, in this order: to clearing.events keyed by the
// batch, one DiscrepancyFound per discrepancy (ID from batch, bank,
// transaction and class) and the BatchReconciled (ID from the batch, bank
// and result, so the same result is the same event); then to saga.inbox
// keyed by transaction, one CorrectPayment per automatic correction; for
// the reserve bank, to reserve.inbox keyed by account, one
// PostReserveSummary per account ReservePostings posts. Results go first
// so a correction never runs without its discrepancy on record.
//
// Events already on clearing.events are republished as they are, and the
// commands keep their IDs and times, so a re-run publishes exact
// duplicates that change nothing downstream. A discrepancy an earlier
// run recorded with other details (the bank sent another statement)
// keeps its recorded details: it is listed in Result.Restated.
func Reconcile(ctx context.Context, cfg Config, batchID string, st Statement) (Result, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	if err := ValidBank(st.Bank); err != nil {
		return Result{}, err
	}
	log, err := clearing.ReadLog(ctx, cfg.Brokers, cfg.Connector, cfg.Topics.Clearing, cfg.Registry)
	if err != nil {
		return Result{}, err
	}
	closed, ours, err := load(ctx, cfg, log, batchID, nil)
	if err != nil {
		return Result{}, err
	}
	res := Result{Closed: closed, Bank: st.Bank, Lines: Compare(st.Bank, ours, st.Rows)}

	draft := log.Draft(batchID, cfg.Now())
	cause := clearing.BatchClosedID(batchID)
	var ids []string
	var commands []processor.Outbound
	matched := 0
	for _, l := range res.Lines {
		if !l.Discrepant() {
			matched++
			continue
		}
		id := DiscrepancyID(batchID, st.Bank, l.TxnID, l.Class)
		d := discrepancy(batchID, st.Bank, l)
		if prev, ok := recorded(log, cfg.Registry, id); ok && !sameDiscrepancy(prev, d) {
			// An earlier statement showed this difference with other
			// details. A recorded fact stands; the note says so.
			res.Restated = append(res.Restated, Restated{Recorded: prev, Now: d})
			d = prev
		}
		env, err := draft.Add(id, cause, d)
		if err != nil {
			return Result{}, err
		}
		ids = append(ids, id)
		if l.Action == "" {
			continue
		}
		c := events.CorrectPayment{TxnID: l.TxnID, BatchID: batchID, Action: l.Action, DiscrepancyID: id}
		cmd, err := command(cfg.Registry, l.TxnID, events.DeriveID(id, c.EventType()), env, c)
		if err != nil {
			return Result{}, err
		}
		commands = append(commands, processor.EnvelopeTo(cfg.Topics.SagaInbox, cmd))
		res.Corrections = append(res.Corrections, c)
	}
	rec, err := draft.Add(BatchReconciledID(batchID, st.Bank, matched, ids), cause, events.BatchReconciled{
		BatchID: batchID, Bank: st.Bank, Matched: matched, Discrepancies: len(ids),
	})
	if err != nil {
		return Result{}, err
	}
	res.Recorded, res.Fresh = draft.Envelopes(), draft.Fresh()

	if st.Bank == events.BankReserve {
		corrected, err := loadCorrected(ctx, cfg.Conn, closed)
		if err != nil {
			return Result{}, err
		}
		if res.Postings, res.Held, err = ReservePostings(batchID, res.Lines, corrected); err != nil {
			return Result{}, err
		}
		for _, p := range res.Postings {
			cmd, err := command(cfg.Registry, p.ReserveAccount, PostingID(batchID, p.ReserveAccount), rec, p)
			if err != nil {
				return Result{}, err
			}
			commands = append(commands, processor.EnvelopeTo(cfg.Topics.ReserveInbox, cmd))
		}
	}

	if err := clearing.Publish(ctx, cfg.Brokers, cfg.Connector, clearing.To(cfg.Topics.Clearing, res.Recorded...)); err != nil {
		return Result{}, fmt.Errorf("reconcile: batch %s: %w", batchID, err)
	}
	if err := clearing.Publish(ctx, cfg.Brokers, cfg.Connector, commands); err != nil {
		return Result{}, fmt.Errorf("reconcile: batch %s: results recorded, commands not sent (run again): %w", batchID, err)
	}
	return res, nil
}

// command builds a command caused by a recorded event: it occurs when
// that event occurred, so every run builds the same command.
func command(reg *events.Registry, aggregate, id string, cause events.Envelope, p events.Payload) (events.Envelope, error) {
	env, err := reg.New(aggregate, 1, p, events.Meta{
		ID: id, CorrelationID: cause.CorrelationID, CausationID: cause.ID, OccurredAt: cause.OccurredAt,
	})
	if err != nil {
		return events.Envelope{}, fmt.Errorf("reconcile: building %s for %s: %w", p.EventType(), aggregate, err)
	}
	return env, nil
}

// recorded returns the discrepancy recorded under id, if any.
func recorded(log *clearing.Log, reg *events.Registry, id string) (events.DiscrepancyFound, bool) {
	env, ok := log.Envelope(id)
	if !ok {
		return events.DiscrepancyFound{}, false
	}
	p, err := reg.DecodeOwn(env)
	d, ok := p.(events.DiscrepancyFound)
	return d, err == nil && ok
}

// sameDiscrepancy compares what two findings of one discrepancy say.
func sameDiscrepancy(a, b events.DiscrepancyFound) bool {
	sameAmount := func(x, y *events.Money) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.BatchID == b.BatchID && a.Bank == b.Bank && a.TxnID == b.TxnID && a.Class == b.Class && a.Action == b.Action &&
		a.OurStatus == b.OurStatus && a.TheirStatus == b.TheirStatus &&
		sameAmount(a.OurAmount, b.OurAmount) && sameAmount(a.TheirAmount, b.TheirAmount)
}

func discrepancy(batchID, bank string, l Line) events.DiscrepancyFound {
	d := events.DiscrepancyFound{BatchID: batchID, Bank: bank, TxnID: l.TxnID, Class: l.Class, Action: l.Action}
	if l.Ours != nil {
		amount := l.Ours.Amount
		d.OurStatus, d.OurAmount = l.Ours.Status, &amount
	}
	if l.Theirs != nil {
		amount := l.Theirs.Amount
		d.TheirStatus, d.TheirAmount = l.Theirs.Status, &amount
	}
	return d
}

// DiscrepancyID is the event ID of a discrepancy: the same difference
// found again is the same event.
func DiscrepancyID(batchID, bank, txnID, class string) string {
	return events.DeriveID(events.DiscrepancyFound{}.EventType(), batchID, bank, txnID, class)
}

// BatchReconciledID is the event ID of a reconciliation's result: the
// same result (matched count and discrepancies) is the same event, and a
// different one, from a corrected statement, a new event that follows it.
func BatchReconciledID(batchID, bank string, matched int, discrepancyIDs []string) string {
	parts := append([]string{events.BatchReconciled{}.EventType(), batchID, bank, fmt.Sprint(matched)}, discrepancyIDs...)
	return events.DeriveID(parts...)
}

// PostingID is the ID of the summarized posting of a batch to a reserve
// account: one per account and batch, however often it is sent.
func PostingID(batchID, reserveAccount string) string {
	return events.DeriveID(events.PostReserveSummary{}.EventType(), batchID, reserveAccount)
}
