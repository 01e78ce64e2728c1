package legacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/events/kafkaconn"
	"github.com/paycore/paycore/services/payerkey"
	"github.com/segmentio/kafka-go"
)

// Defaults applied to a zero Config field.
const (
	DefaultAnswerWait = time.Minute
	DefaultBatchRows  = 1000
)

// beijing is China Standard Time, fixed (no zoneinfo needed): the date an
// agreement cannot have been signed after is the import's Beijing date.
var beijing = time.FixedZone("CST", 8*3600)

// Config configures an import.
type Config struct {
	Brokers   []string
	Connector *kafkaconn.Connector // nil: plaintext
	// Full topic names (topology.Topology.Name of PayerInbox, LegacyMaps,
	// LegacyReplies).
	PayerInbox, Mappings, Replies string
	Registry                      *events.Registry
	// Deriver computes payer keys; it must use the deployment's secret.
	Deriver payerkey.Deriver
	// DryRun checks the file against the mapping log and sends nothing.
	DryRun bool
	// AnswerWait is how long the import waits for the bank's next answer
	// before it reports the rows still unanswered as no_answer.
	AnswerWait time.Duration
	// BatchRows is the number of records per produce call.
	BatchRows int
	// Progress, when set, is called as rows are sent, answered and mapped.
	Progress func(Progress)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Phase names a step of the import, for progress.
type Phase string

// Phases, in order.
const (
	PhaseSending Phase = "sending"
	PhaseAnswers Phase = "answers"
	PhaseMapping Phase = "mapping"
)

// Progress reports Done of Total rows through Phase.
type Progress struct {
	Phase       Phase
	Done, Total int
}

func (c *Config) setDefaults() {
	if c.AnswerWait == 0 {
		c.AnswerWait = DefaultAnswerWait
	}
	if c.BatchRows == 0 {
		c.BatchRows = DefaultBatchRows
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Progress == nil {
		c.Progress = func(Progress) {}
	}
}

// Validate reports a configuration an import cannot run with.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("legacy: no brokers"))
	}
	if c.PayerInbox == "" || c.Mappings == "" || c.Replies == "" {
		errs = append(errs, errors.New("legacy: PayerInbox, Mappings and Replies topics are required"))
	}
	if c.Registry == nil {
		errs = append(errs, errors.New("legacy: nil registry"))
	}
	if c.AnswerWait <= 0 || c.BatchRows < 1 {
		errs = append(errs, fmt.Errorf("legacy: AnswerWait %v and BatchRows %d must be positive", c.AnswerWait, c.BatchRows))
	}
	return errors.Join(errs...)
}

// Import migrates the agreements of file (see the package doc). It fails
// only when it cannot do its job (the file unreadable, Kafka down); bad
// rows, conflicts, refusals and unanswered rows are in the Result. After
// a failure the Result still says what was decided so far, and importing
// the file again is safe.
func Import(ctx context.Context, cfg Config, file io.Reader) (Result, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	now := cfg.Now().UTC()
	sum := sha256.New()
	parsed, err := Parse(io.TeeReader(file, sum), now.In(beijing).Format(time.DateOnly))
	if err != nil {
		return Result{}, err
	}
	res := Result{ImportID: events.DeriveID("legacy", "import", hex.EncodeToString(sum.Sum(nil))), DryRun: cfg.DryRun}
	for _, b := range parsed.Bad {
		res.Lines = append(res.Lines, Line{Line: b.Line, LegacyNo: b.LegacyNo, Status: StatusBadRow, Reason: b.Reason, Detail: detail(b)})
	}
	for _, d := range parsed.Duplicates {
		res.Lines = append(res.Lines, Line{Line: d.Line, LegacyNo: d.LegacyNo, Status: StatusDuplicate, Detail: "same as line " + strconv.Itoa(d.SameAs)})
	}
	log, err := LoadMappings(ctx, cfg.Brokers, cfg.Connector, cfg.Mappings, cfg.Registry)
	if err != nil {
		return res, err
	}
	plans := plan(parsed.Agreements, cfg.Deriver, log)
	var send []int // indexes into plans
	for i, p := range plans {
		l := Line{Line: p.Line, LegacyNo: p.LegacyNo, AgreementNo: p.agreementNo}
		switch {
		case p.conflict != "":
			l.Status, l.Reason, l.Detail = StatusConflict, p.conflict, p.conflictDetail
		case cfg.DryRun && p.mapped != nil:
			l.Status = StatusWouldCheck
		case cfg.DryRun:
			l.Status = StatusWouldImport
		default:
			send = append(send, i)
			continue
		}
		res.Lines = append(res.Lines, l)
	}
	if len(send) > 0 {
		x := exchange{cfg: cfg, plans: plans, importID: res.ImportID, now: now}
		answers, err := x.run(ctx, send)
		res.Lines = append(res.Lines, x.lines(send, answers)...)
		if err == nil {
			res.MappingsWritten, err = x.writeMappings(ctx, send, answers)
		}
		if err != nil {
			res.sortLines()
			return res, err
		}
	}
	res.sortLines()
	return res, nil
}

// detail renders a bad row's field and detail for the report.
func detail(b BadRow) string {
	if b.Field == "" {
		return b.Detail
	}
	return b.Field + " " + b.Detail
}

// answer is the bank's answer to one row: its reply envelope and payload.
type answer struct {
	env      events.Envelope
	imported *events.AgreementImported
	refused  *events.AgreementImportRefused
}

// exchange sends the import commands and collects the bank's answers.
type exchange struct {
	cfg      Config
	plans    []planned
	importID string
	now      time.Time
}

// run sends plans[send...] and waits for their answers, by plan index.
// The answers follower starts before the first command is sent, so no
// answer can slip past it.
func (x exchange) run(ctx context.Context, send []int) (map[int]answer, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	replies, err := followFromEnd(ctx, x.cfg.Brokers, x.cfg.Connector, x.cfg.Replies)
	if err != nil {
		return nil, err
	}
	pending := make(map[string]int, len(send)) // legacy no → plan index
	msgs := make([]kafka.Message, 0, len(send))
	for _, i := range send {
		env, err := x.plans[i].command(x.cfg.Registry, x.importID, x.now)
		if err != nil {
			return nil, err
		}
		m, err := record(x.cfg.PayerInbox, env)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
		pending[x.plans[i].LegacyNo] = i
	}
	if err := x.write(ctx, PhaseSending, msgs); err != nil {
		return nil, err
	}

	answers := make(map[int]answer, len(send))
	idle := time.NewTimer(x.cfg.AnswerWait)
	defer idle.Stop()
	for len(pending) > 0 {
		select {
		case m := <-replies:
			i, a, ok, err := x.match(m, pending)
			if err != nil {
				return answers, err
			}
			if !ok {
				continue
			}
			delete(pending, x.plans[i].LegacyNo)
			answers[i] = a
			x.cfg.Progress(Progress{Phase: PhaseAnswers, Done: len(answers), Total: len(send)})
			idle.Reset(x.cfg.AnswerWait)
		case <-idle.C:
			return answers, nil // the rest are reported as no_answer
		case <-ctx.Done():
			return answers, ctx.Err()
		}
	}
	return answers, nil
}

// match decodes a record of the replies topic and returns the pending row
// it answers. Records answering other rows (another import, an earlier
// redelivery) are not for this import and are skipped; a record that does
// not decode is an error, since only the payer bank writes the topic.
func (x exchange) match(m kafka.Message, pending map[string]int) (int, answer, bool, error) {
	env, err := events.Unmarshal(m.Value)
	if err != nil {
		return 0, answer{}, false, fmt.Errorf("legacy: %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	p, err := x.cfg.Registry.Decode(env)
	if err != nil {
		return 0, answer{}, false, fmt.Errorf("legacy: %s/%d@%d: %w", m.Topic, m.Partition, m.Offset, err)
	}
	i, ok := pending[env.AggregateID]
	if !ok {
		return 0, answer{}, false, nil
	}
	a := answer{env: env}
	var no string
	switch e := p.(type) {
	case events.AgreementImported:
		a.imported, no = &e, e.AgreementNo
	case events.AgreementImportRefused:
		a.refused, no = &e, e.AgreementNo
	default:
		return 0, answer{}, false, nil
	}
	return i, a, no == x.plans[i].agreementNo, nil
}

// lines reports each sent row by its answer.
func (x exchange) lines(send []int, answers map[int]answer) []Line {
	out := make([]Line, 0, len(send))
	for _, i := range send {
		p := x.plans[i]
		l := Line{Line: p.Line, LegacyNo: p.LegacyNo, AgreementNo: p.agreementNo}
		a, ok := answers[i]
		switch {
		case !ok:
			l.Status, l.Reason = StatusNoAnswer, ReasonNoAnswer
			l.Detail = "the payer bank did not answer within " + x.cfg.AnswerWait.String() + "; import the file again"
		case a.refused != nil:
			l.Status, l.Reason = StatusRefused, a.refused.ReasonCode
			l.Detail = events.Reasons[a.refused.ReasonCode]
		case x.alreadyImported(p, a):
			l.Status = StatusAlreadyImported
			l.Detail = "by import " + a.imported.ImportID
		default:
			l.Status = StatusImported
		}
		out = append(out, l)
	}
	return out
}

// alreadyImported tells an agreement an earlier import created from one
// this import did: the bank answers both alike, but an earlier one was
// mapped already, or carries another import ID, or (the same file after
// an interrupted run) was recorded before this run started.
func (x exchange) alreadyImported(p planned, a answer) bool {
	return p.mapped != nil || a.imported.ImportID != x.importID || a.env.OccurredAt.Before(x.now)
}

// writeMappings appends a mapping for every agreement the bank holds that
// the log does not map yet, and returns how many it wrote.
func (x exchange) writeMappings(ctx context.Context, send []int, answers map[int]answer) (int, error) {
	var msgs []kafka.Message
	for _, i := range send {
		a, ok := answers[i]
		p := x.plans[i]
		if !ok || a.imported == nil || p.mapped != nil {
			continue
		}
		env, err := p.mappingEvent(x.cfg.Registry, a.env, *a.imported, x.importID, x.now)
		if err != nil {
			return 0, err
		}
		m, err := record(x.cfg.Mappings, env)
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, m)
	}
	if err := x.write(ctx, PhaseMapping, msgs); err != nil {
		return 0, err
	}
	return len(msgs), nil
}

// write produces msgs in batches of BatchRows, reporting progress.
func (x exchange) write(ctx context.Context, phase Phase, msgs []kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	w := newWriter(x.cfg.Brokers, x.cfg.Connector, x.cfg.BatchRows)
	defer w.Close()
	for start := 0; start < len(msgs); start += x.cfg.BatchRows {
		end := min(start+x.cfg.BatchRows, len(msgs))
		if err := w.WriteMessages(ctx, msgs[start:end]...); err != nil {
			return fmt.Errorf("legacy: %s: %w", phase, err)
		}
		x.cfg.Progress(Progress{Phase: phase, Done: end, Total: len(msgs)})
	}
	return nil
}
