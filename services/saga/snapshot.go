package saga

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Errors Restore returns (wrapped, with the detail).
var (
	// ErrSnapshotVersion: the snapshot was written by a format version
	// this build does not read.
	ErrSnapshotVersion = errors.New("saga: unsupported snapshot version")
	// ErrSnapshotMalformed: the snapshot is not JSON of the expected shape,
	// or describes a state the fold cannot have built.
	ErrSnapshotMalformed = errors.New("saga: malformed snapshot")
	// ErrNotFresh: Restore was called on a handler that already holds
	// sagas; a snapshot replaces the state of an empty handler only.
	ErrNotFresh = errors.New("saga: restore into a handler that is not fresh")
)

// snapshotVersion is the format Snapshot writes and Restore reads.
// Version 2 added corrections and the keys a finished payment keeps for
// one; version 3 refunds and the keys a successful payment keeps for them.
// An older snapshot is refused, not read: its finished payments lack those
// keys, so restoring it would make corrections or refunds of them
// impossible; the runtime rebuilds the partition from the log instead.
const snapshotVersion = 3

var _ processor.Snapshotter = (*Handler)(nil)

// snapshotV2 is the snapshot format, version 2: every saga with every
// field the fold keeps, sagas sorted by ID and confirm requests by key,
// times in RFC 3339 with nanoseconds in UTC ("" for the zero time), money
// as events.Money.
//
// Timers is the deadline heap in its array order, not sorted: Due walks
// the heap in that order and stops after Config.DueMax commands, so the
// layout decides which due sagas a tick returns, and in which order.
// Restoring the very layout keeps Due (and every later heap operation)
// identical. Each entry must match its saga's current deadline.
type snapshotV2 struct {
	Version  int           `json:"version"`
	Payments []paymentSnap `json:"payments"`
	Signings []signingSnap `json:"signings"`
	Timers   []timerSnap   `json:"timers"`
}

type lastSnap struct {
	Kind  string `json:"kind"`
	Cause string `json:"cause"`
	At    string `json:"at"`
}

type stepSnap struct {
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
	At  string `json:"at"`
}

type requestSnap struct {
	ChannelID      string `json:"channel_id"`
	OrderID        string `json:"order_id"`
	IdempotencyKey string `json:"idempotency_key"`
	BodyHash       string `json:"body_hash"`
}

type paymentSnap struct {
	ID      string          `json:"id"`
	Seq     uint64          `json:"seq"`
	Last    lastSnap        `json:"last"`
	Request requestSnap     `json:"request"`
	Amount  events.Money    `json:"amount"`
	Run     *paymentRunSnap `json:"run"` // null once finished
	End     paymentEndSnap  `json:"end"` // empty while running
	// Correction is null unless reconciliation started one.
	Correction *correctionSnap `json:"correction"`
	// Refunds are the payment's refunds in arrival order (omitted when none).
	Refunds []refundSnap `json:"refunds,omitempty"`
}

// refundSnap is one refund of a payment.
type refundSnap struct {
	ID       string         `json:"id"`
	Last     lastSnap       `json:"last"`
	Request  requestSnap    `json:"request"`
	Amount   events.Money   `json:"amount"`
	Rejected bool           `json:"rejected"`
	Run      *refundRunSnap `json:"run"` // null once finished
	End      refundEndSnap  `json:"end"` // empty while running
}

type refundRunSnap struct {
	Correlation  string   `json:"correlation"`
	SubAccount   string   `json:"sub_account"`
	Step         string   `json:"step"`
	Attempt      int      `json:"attempt"`
	Deadline     string   `json:"deadline"`
	ReserveFinal string   `json:"reserve_final"`
	PayerFinal   string   `json:"payer_final"`
	PayerReason  string   `json:"payer_reason"`
	Entered      stepSnap `json:"entered"`
}

type refundEndSnap struct {
	Status        string `json:"status"`
	ReasonCode    string `json:"reason_code"`
	ReserveDebit  string `json:"reserve_debit"`
	PayerCredited string `json:"payer_credited"`
	At            string `json:"at"`
}

type paymentRunSnap struct {
	Correlation    string   `json:"correlation"`
	AgreementNo    string   `json:"agreement_no"`
	PayerKey       string   `json:"payer_key"`
	ReserveAccount string   `json:"reserve_account"`
	Step           string   `json:"step"`
	Attempt        int      `json:"attempt"`
	Deadline       string   `json:"deadline"`
	PayerFinal     string   `json:"payer_final"`
	ReserveFinal   string   `json:"reserve_final"`
	ReserveReason  string   `json:"reserve_reason"`
	Entered        stepSnap `json:"entered"`
}

type paymentEndSnap struct {
	Status          string `json:"status"`
	ReasonCode      string `json:"reason_code"`
	PayerDebited    string `json:"payer_debited"`
	ReserveCredited string `json:"reserve_credited"`
	At              string `json:"at"`
	PayerKey        string `json:"payer_key"`
	ReserveAccount  string `json:"reserve_account"`
	// Refund holds the keys a successful or presumed-successful payment
	// keeps for refunds; null for other statuses.
	Refund *refundKeysSnap `json:"refund"`
}

type refundKeysSnap struct {
	PayerKey       string `json:"payer_key"`
	AgreementNo    string `json:"agreement_no"`
	ReserveAccount string `json:"reserve_account"`
}

// correctionSnap is a correction. Its deadline is not written: it derives
// from Entered and the configuration (correction.deadline), and the
// timer entry, checked against it, holds it.
type correctionSnap struct {
	DiscrepancyID string        `json:"discrepancy_id"`
	BatchID       string        `json:"batch_id"`
	Requested     string        `json:"requested"`
	Action        string        `json:"action"`
	Attempt       int           `json:"attempt"`
	Entered       stepSnap      `json:"entered"`
	Done          bool          `json:"done"`
	Amount        *events.Money `json:"amount"` // null until done
}

type signingSnap struct {
	ID        string          `json:"id"`
	Seq       uint64          `json:"seq"`
	Last      lastSnap        `json:"last"`
	LastKey   string          `json:"last_key"`
	Request   requestSnap     `json:"request"`
	SMSSentAt string          `json:"sms_sent_at"`
	Confirms  []confirmSnap   `json:"confirms"`
	Run       *signingRunSnap `json:"run"` // null once finished
	End       signingEndSnap  `json:"end"` // empty while running
}

type signingRunSnap struct {
	Correlation   string      `json:"correlation"`
	PayerKey      string      `json:"payer_key"`
	Verify        *verifySnap `json:"verify"` // null once verified
	Step          string      `json:"step"`
	Deadline      string      `json:"deadline"`
	Final         string      `json:"final"`
	CodeExpiresAt string      `json:"code_expires_at"`
	Pending       string      `json:"pending"`
	PendingCode   string      `json:"pending_code"`
	Entered       stepSnap    `json:"entered"`
}

// verifySnap is events.VerifySigning, spelled out so the snapshot format
// does not change with the command's wire format.
type verifySnap struct {
	SigningID       string       `json:"signing_id"`
	ChannelID       string       `json:"channel_id"`
	PayerKey        string       `json:"payer_key"`
	PayerAccount    string       `json:"payer_account"`
	HolderName      string       `json:"holder_name"`
	IDNumber        string       `json:"id_number"`
	Phone           string       `json:"phone"`
	PerPaymentLimit events.Money `json:"per_payment_limit"`
	DailyLimit      events.Money `json:"daily_limit"`
}

type signingEndSnap struct {
	Status      string `json:"status"`
	ReasonCode  string `json:"reason_code"`
	AgreementNo string `json:"agreement_no"`
	ConfirmKey  string `json:"confirm_key"`
	At          string `json:"at"`
}

type confirmSnap struct {
	Key        string `json:"key"`
	BodyHash   string `json:"body_hash"`
	OrderID    string `json:"order_id"`
	Status     string `json:"status"`
	ReasonCode string `json:"reason_code"`
	At         string `json:"at"`
}

type timerSnap struct {
	ID string `json:"id"`
	At string `json:"at"`
}

// Snapshot encodes every saga of the partition and the deadline index, in
// format snapshotV1. The same state always gives the same bytes. It fails
// only on a state no event can have built (an unset amount).
func (h *Handler) Snapshot() ([]byte, error) {
	s := snapshotV2{
		Version:  snapshotVersion,
		Payments: make([]paymentSnap, 0, len(h.payments)),
		Signings: make([]signingSnap, 0, len(h.signings)),
		Timers:   make([]timerSnap, 0, h.timers.len()),
	}
	for _, id := range slices.Sorted(maps.Keys(h.payments)) {
		s.Payments = append(s.Payments, snapPayment(h.payments[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(h.signings)) {
		s.Signings = append(s.Signings, snapSigning(h.signings[id]))
	}
	for _, tm := range h.timers.heap {
		s.Timers = append(s.Timers, timerSnap{ID: tm.id, At: fmtTime(tm.at)})
	}
	b, err := events.EncodeJSON(s)
	if err != nil {
		return nil, fmt.Errorf("saga: encoding snapshot: %w", err)
	}
	return b, nil
}

func snapPayment(p *payment) paymentSnap {
	ps := paymentSnap{
		ID:      p.id,
		Seq:     p.seq,
		Last:    snapLast(p.last),
		Request: snapRequest(p.req),
		Amount:  p.amount,
		End: paymentEndSnap{
			Status:          p.end.status,
			ReasonCode:      p.end.reasonCode,
			PayerDebited:    p.end.payerDebited,
			ReserveCredited: p.end.reserveCredited,
			At:              fmtTime(p.end.at),
		},
	}
	if k := p.end.keys; k != nil {
		ps.End.PayerKey, ps.End.ReserveAccount = k.payerKey, k.reserveAccount
	}
	if k := p.end.refund; k != nil {
		ps.End.Refund = &refundKeysSnap{PayerKey: k.payerKey, AgreementNo: k.agreementNo, ReserveAccount: k.reserveAccount}
	}
	for _, f := range p.refunds {
		ps.Refunds = append(ps.Refunds, snapRefund(f))
	}
	if c := p.corr; c != nil {
		cs := &correctionSnap{
			DiscrepancyID: c.discrepancyID,
			BatchID:       c.batchID,
			Requested:     c.requested,
			Action:        c.action,
			Attempt:       c.attempt,
			Entered:       snapStep(c.entered),
			Done:          c.done,
		}
		if c.done {
			amount := c.amount
			cs.Amount = &amount
		}
		ps.Correction = cs
	}
	if r := p.run; r != nil {
		ps.Run = &paymentRunSnap{
			Correlation:    r.correlation,
			AgreementNo:    r.agreementNo,
			PayerKey:       r.payerKey,
			ReserveAccount: r.reserveAccount,
			Step:           r.step,
			Attempt:        r.attempt,
			Deadline:       fmtTime(r.deadline),
			PayerFinal:     fmtTime(r.payerFinal),
			ReserveFinal:   fmtTime(r.reserveFinal),
			ReserveReason:  r.reserveReason,
			Entered:        snapStep(r.entered),
		}
	}
	return ps
}

func snapRefund(f *refundFlow) refundSnap {
	fs := refundSnap{
		ID:       f.id,
		Last:     snapLast(f.last),
		Request:  snapRequest(f.req),
		Amount:   f.amount,
		Rejected: f.rejected,
		End: refundEndSnap{
			Status:        f.end.status,
			ReasonCode:    f.end.reasonCode,
			ReserveDebit:  f.end.reserveDebit,
			PayerCredited: f.end.payerCredited,
			At:            fmtTime(f.end.at),
		},
	}
	if r := f.run; r != nil {
		fs.Run = &refundRunSnap{
			Correlation:  r.correlation,
			SubAccount:   r.subAccount,
			Step:         r.step,
			Attempt:      r.attempt,
			Deadline:     fmtTime(r.deadline),
			ReserveFinal: fmtTime(r.reserveFinal),
			PayerFinal:   fmtTime(r.payerFinal),
			PayerReason:  r.payerReason,
			Entered:      snapStep(r.entered),
		}
	}
	return fs
}

func snapSigning(s *signing) signingSnap {
	ss := signingSnap{
		ID:        s.id,
		Seq:       s.seq,
		Last:      snapLast(s.last),
		LastKey:   s.lastKey,
		Request:   snapRequest(s.req),
		SMSSentAt: fmtTime(s.smsSentAt),
		Confirms:  make([]confirmSnap, 0, len(s.confirms)),
		End: signingEndSnap{
			Status:      s.end.status,
			ReasonCode:  s.end.reasonCode,
			AgreementNo: s.end.agreementNo,
			ConfirmKey:  s.end.confirmKey,
			At:          fmtTime(s.end.at),
		},
	}
	for _, key := range slices.Sorted(maps.Keys(s.confirms)) {
		c := s.confirms[key]
		ss.Confirms = append(ss.Confirms, confirmSnap{
			Key: key, BodyHash: c.bodyHash, OrderID: c.orderID,
			Status: c.status, ReasonCode: c.reasonCode, At: fmtTime(c.at),
		})
	}
	if r := s.run; r != nil {
		rs := &signingRunSnap{
			Correlation:   r.correlation,
			PayerKey:      r.payerKey,
			Step:          r.step,
			Deadline:      fmtTime(r.deadline),
			Final:         fmtTime(r.final),
			CodeExpiresAt: fmtTime(r.codeExpiresAt),
			Pending:       r.pending,
			PendingCode:   r.pendingCode,
			Entered:       snapStep(r.entered),
		}
		if v := r.verify; v != nil {
			rs.Verify = &verifySnap{
				SigningID: v.SigningID, ChannelID: v.ChannelID, PayerKey: v.PayerKey,
				PayerAccount: v.PayerAccount, HolderName: v.HolderName, IDNumber: v.IDNumber, Phone: v.Phone,
				PerPaymentLimit: v.PerPaymentLimit, DailyLimit: v.DailyLimit,
			}
		}
		ss.Run = rs
	}
	return ss
}

func snapLast(l lastEvent) lastSnap {
	return lastSnap{Kind: l.kind, Cause: l.cause, At: fmtTime(l.at)}
}

func snapStep(s stepRef) stepSnap { return stepSnap{ID: s.id, Seq: s.seq, At: fmtTime(s.at)} }

func snapRequest(r request) requestSnap {
	return requestSnap{ChannelID: r.channelID, OrderID: r.orderID, IdempotencyKey: r.idemKey, BodyHash: r.bodyHash}
}

// fmtTime writes t as RFC 3339 with nanoseconds in UTC, the zero time as "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Restore replaces the empty state of a fresh handler (just built by New,
// nothing applied) with snapshot. It checks the snapshot describes a state
// the fold can have built: known version, strict shape, known event kinds
// and steps, consistent references, corrections the fold can have
// started, and a deadline heap that holds exactly the running sagas and
// running corrections at their deadlines (a correction's under this
// handler's configuration), in heap order. On error the handler is left
// unchanged. Errors wrap ErrNotFresh, ErrSnapshotVersion or
// ErrSnapshotMalformed.
func (h *Handler) Restore(snapshot []byte) error {
	if len(h.payments) != 0 || len(h.signings) != 0 || h.timers.len() != 0 {
		return fmt.Errorf("%w: it holds %d payments, %d signings", ErrNotFresh, len(h.payments), len(h.signings))
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(snapshot, &probe); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshotMalformed, err)
	}
	switch {
	case probe.Version == nil:
		return fmt.Errorf("%w: no version", ErrSnapshotMalformed)
	case *probe.Version != snapshotVersion:
		return fmt.Errorf("%w: %d (this build reads %d)", ErrSnapshotVersion, *probe.Version, snapshotVersion)
	}
	var s snapshotV2
	dec := json.NewDecoder(bytes.NewReader(snapshot))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshotMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the snapshot", ErrSnapshotMalformed)
	}
	r := restorer{
		cfg:      &h.cfg,
		payments: make(map[string]*payment, len(s.Payments)),
		signings: make(map[string]*signing, len(s.Signings)),
		timers:   newTimers(),
	}
	r.restore(&s)
	if r.err != nil {
		return fmt.Errorf("%w: %v", ErrSnapshotMalformed, r.err)
	}
	h.payments, h.signings, h.timers = r.payments, r.signings, r.timers
	for _, p := range h.payments {
		for _, f := range p.refunds {
			h.refundTxn[f.id] = p.id
		}
	}
	return nil
}

// Event kinds a saga's latest event can be, interned: lastEvent.kind is a
// constant string in the fold, not one allocation per saga.
var (
	paymentKinds = kinds(events.PaymentStarted{}, events.PaymentStepChanged{}, events.PaymentFinished{},
		events.PaymentDuplicateRejected{}, events.PaymentCorrectionStarted{}, events.PaymentCorrected{},
		events.RefundStarted{}, events.RefundRejected{}, events.RefundStepChanged{}, events.RefundFinished{})
	refundKinds = kinds(events.RefundStarted{}, events.RefundRejected{}, events.RefundStepChanged{}, events.RefundFinished{})
	refundSteps = kindSet(events.RefundStepAwaitReserve, events.RefundStepQueryReserve, events.RefundStepAwaitPayer,
		events.RefundStepQueryPayer, events.RefundStepAwaitReversal)
	signingKinds = kinds(events.SigningStarted{}, events.SigningStepChanged{}, events.SigningCodeSubmitted{},
		events.SigningConfirmRejected{}, events.SigningFinished{})
	paymentSteps = kindSet(events.StepAwaitPayer, events.StepQueryPayer, events.StepAwaitReserve,
		events.StepQueryReserve, events.StepAwaitReversal)
	signingSteps = kindSet(events.StepAwaitBank, events.StepAwaitCode, events.StepAwaitAgreement)
	actions      = kindSet(events.ActionRefundCustomer, events.ActionCreditReserve)
)

func kinds(ps ...events.Payload) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.EventType()] = p.EventType()
	}
	return m
}

func kindSet(ss ...string) map[string]string {
	m := make(map[string]string, len(ss))
	for _, s := range ss {
		m[s] = s
	}
	return m
}

// restorer converts a decoded snapshot into state, keeping the first
// error; later conversions are skipped once one failed.
type restorer struct {
	err      error
	cfg      *Config // for the deadlines of corrections
	payments map[string]*payment
	signings map[string]*signing
	timers   timers
}

func (r *restorer) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// time parses a time written by fmtTime; anything else fails.
func (r *restorer) time(what, s string) time.Time {
	if s == "" || r.err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() || fmtTime(t) != s {
		r.fail("%s: %q is not an RFC 3339 UTC time", what, s)
		return time.Time{}
	}
	return t.UTC()
}

// mustTime is time for a field that is never zero.
func (r *restorer) mustTime(what, s string) time.Time {
	if s == "" {
		r.fail("%s: missing", what)
	}
	return r.time(what, s)
}

func (r *restorer) last(what string, l lastSnap, known map[string]string) lastEvent {
	kind, ok := known[l.Kind]
	if !ok {
		r.fail("%s: latest event kind %q is not one of its saga's", what, l.Kind)
	}
	return lastEvent{kind: kind, cause: l.Cause, at: r.mustTime(what+" last.at", l.At)}
}

func (r *restorer) step(what string, s stepSnap) stepRef {
	if s.ID == "" || s.Seq == 0 {
		r.fail("%s: step entered by no event", what)
	}
	return stepRef{id: s.ID, seq: s.Seq, at: r.mustTime(what+" entered.at", s.At)}
}

func (r *restorer) restore(s *snapshotV2) {
	for i := range s.Payments {
		if r.err != nil {
			return
		}
		r.payment(&s.Payments[i])
	}
	for i := range s.Signings {
		if r.err != nil {
			return
		}
		r.signing(&s.Signings[i])
	}
	if r.err != nil {
		return
	}
	r.heap(s.Timers)
}

func (r *restorer) payment(ps *paymentSnap) {
	what := "payment " + ps.ID
	switch _, dup := r.payments[ps.ID]; {
	case ps.ID == "":
		r.fail("payment without ID")
	case dup:
		r.fail("%s: twice", what)
	case ps.Seq == 0:
		r.fail("%s: sequence 0", what)
	case !ps.Amount.Currency().IsValid():
		r.fail("%s: no amount", what)
	case (ps.Run == nil) == (ps.End.Status == ""):
		r.fail("%s: running %v with final status %q", what, ps.Run != nil, ps.End.Status)
	}
	p := &payment{
		id:     ps.ID,
		seq:    ps.Seq,
		last:   r.last(what, ps.Last, paymentKinds),
		req:    restoreRequest(ps.Request),
		amount: ps.Amount,
		end: paymentEnd{
			status:          ps.End.Status,
			reasonCode:      ps.End.ReasonCode,
			payerDebited:    ps.End.PayerDebited,
			reserveCredited: ps.End.ReserveCredited,
			at:              r.time(what+" end.at", ps.End.At),
		},
	}
	if rs := ps.Run; rs != nil {
		step, ok := paymentSteps[rs.Step]
		if !ok {
			r.fail("%s: unknown step %q", what, rs.Step)
		}
		p.run = &paymentRun{
			correlation:    rs.Correlation,
			agreementNo:    rs.AgreementNo,
			payerKey:       rs.PayerKey,
			reserveAccount: rs.ReserveAccount,
			step:           step,
			attempt:        rs.Attempt,
			deadline:       r.mustTime(what+" deadline", rs.Deadline),
			payerFinal:     r.time(what+" payer_final", rs.PayerFinal),
			reserveFinal:   r.time(what+" reserve_final", rs.ReserveFinal),
			reserveReason:  rs.ReserveReason,
			entered:        r.step(what, rs.Entered),
		}
	}
	if ps.End.PayerKey != "" || ps.End.ReserveAccount != "" {
		p.end.keys = &correctionKeys{payerKey: ps.End.PayerKey, reserveAccount: ps.End.ReserveAccount}
	}
	if cs := ps.Correction; cs != nil {
		p.corr = r.correction(what, p, cs)
	}
	if k := ps.End.Refund; k != nil {
		p.end.refund = &refundKeys{payerKey: k.PayerKey, agreementNo: k.AgreementNo, reserveAccount: k.ReserveAccount}
	}
	r.keys(what, p)
	r.refunds(what, p, ps.Refunds)
	if isCorrectionKind(p.last.kind) && p.corr == nil {
		r.fail("%s: latest event %s without a correction", what, p.last.kind)
	}
	r.payments[p.id] = p
}

func isCorrectionKind(kind string) bool {
	return kind == (events.PaymentCorrectionStarted{}).EventType() || kind == (events.PaymentCorrected{}).EventType()
}

// correction restores the correction of payment p, checking it is one the
// fold can have built: of a finished payment whose status fits what was
// requested, refund_customer being the only action a credit_reserve turns
// into, and an amount exactly once done, zero or the payment's.
func (r *restorer) correction(what string, p *payment, cs *correctionSnap) *correction {
	what += " correction"
	requested, okR := actions[cs.Requested]
	action, okA := actions[cs.Action]
	switch {
	case p.run != nil:
		r.fail("%s: of a running payment", what)
	case cs.DiscrepancyID == "":
		r.fail("%s: no discrepancy ID", what)
	case !okR || !okA:
		r.fail("%s: unknown action %q or %q", what, cs.Requested, cs.Action)
	case !correctable(p.end.status, requested):
		r.fail("%s: %s of a %s payment", what, requested, p.end.status)
	case action != requested && (requested != events.ActionCreditReserve || action != events.ActionRefundCustomer):
		r.fail("%s: %s turned into %s", what, requested, action)
	case cs.Attempt < 1:
		r.fail("%s: attempt %d", what, cs.Attempt)
	case cs.Done != (cs.Amount != nil):
		r.fail("%s: done %v with amount %v", what, cs.Done, cs.Amount)
	case cs.Amount != nil && (!cs.Amount.Currency().IsValid() || !cs.Amount.IsZero() && !cs.Amount.Equal(p.amount)):
		r.fail("%s: amount %v of a payment of %s", what, cs.Amount, p.amount)
	}
	c := &correction{
		discrepancyID: cs.DiscrepancyID,
		batchID:       cs.BatchID,
		requested:     requested,
		action:        action,
		attempt:       cs.Attempt,
		entered:       r.step(what, cs.Entered),
		done:          cs.Done,
	}
	if cs.Amount != nil {
		c.amount = *cs.Amount
	}
	return c
}

// keys checks that payment p keeps the keys the fold leaves it: those a
// correction may need (keepForCorrection), until its correction ended.
func (r *restorer) keys(what string, p *payment) {
	var payerKey, reserveAccount bool
	if p.run == nil && !(p.corr != nil && p.corr.done) {
		switch p.end.status {
		case events.StatusFailure, events.StatusPresumedFailure:
			payerKey = true
		case events.StatusPresumedSuccess:
			payerKey, reserveAccount = true, true
		}
	}
	var k correctionKeys
	if p.end.keys != nil {
		k = *p.end.keys
	}
	if (k.payerKey != "") != payerKey || (k.reserveAccount != "") != reserveAccount {
		r.fail("%s: %s payment keeps payer key %q, reserve account %q", what, p.end.status, k.payerKey, k.reserveAccount)
	}
}

// refunds restores the refunds of payment p, checking they are ones the
// fold can have built: of a finished refundable payment that keeps its
// refund keys (exactly those), IDs unique, a run exactly while no final
// status, and together holding no more than the payment.
func (r *restorer) refunds(what string, p *payment, fs []refundSnap) {
	if (p.end.refund != nil) != (p.run == nil && refundable(p.end.status)) {
		r.fail("%s: %s payment with refund keys %v", what, p.end.status, p.end.refund != nil)
	}
	k := p.end.refund
	if k != nil && (k.payerKey == "" || k.agreementNo == "" || k.reserveAccount == "") {
		r.fail("%s: incomplete refund keys", what)
	}
	for i := range fs {
		s := &fs[i]
		w := what + " refund " + s.ID
		switch {
		case k == nil && !s.Rejected:
			r.fail("%s: of a %s payment", w, p.end.status)
		case s.ID == "" || p.refundOf(s.ID) != nil:
			r.fail("%s: missing or repeated ID", w)
		case !s.Amount.Currency().IsValid() || !s.Amount.IsPositive():
			r.fail("%s: amount %v", w, s.Amount)
		case (s.Run == nil) == (s.End.Status == ""):
			r.fail("%s: running %v with final status %q", w, s.Run != nil, s.End.Status)
		case s.Rejected != (s.End.Status == events.StatusRejected):
			r.fail("%s: rejected %v with status %q", w, s.Rejected, s.End.Status)
		}
		f := &refundFlow{
			id:       s.ID,
			last:     r.last(w, s.Last, refundKinds),
			req:      restoreRequest(s.Request),
			amount:   s.Amount,
			rejected: s.Rejected,
			end: refundEnd{
				status:        s.End.Status,
				reasonCode:    s.End.ReasonCode,
				reserveDebit:  s.End.ReserveDebit,
				payerCredited: s.End.PayerCredited,
				at:            r.time(w+" end.at", s.End.At),
			},
		}
		if rs := s.Run; rs != nil {
			step, ok := refundSteps[rs.Step]
			if !ok {
				r.fail("%s: unknown step %q", w, rs.Step)
			}
			f.run = &refundRun{
				correlation:  rs.Correlation,
				subAccount:   rs.SubAccount,
				step:         step,
				attempt:      rs.Attempt,
				deadline:     r.mustTime(w+" deadline", rs.Deadline),
				reserveFinal: r.mustTime(w+" reserve_final", rs.ReserveFinal),
				payerFinal:   r.time(w+" payer_final", rs.PayerFinal),
				payerReason:  rs.PayerReason,
				entered:      r.step(w, rs.Entered),
			}
		}
		p.refunds = append(p.refunds, f)
	}
	if len(p.refunds) > 0 && r.err == nil && p.heldByRefunds().Cmp(p.amount) > 0 {
		r.fail("%s: refunds hold more than the payment's %s", what, p.amount)
	}
}

func (r *restorer) signing(ss *signingSnap) {
	what := "signing " + ss.ID
	switch _, dup := r.signings[ss.ID]; {
	case ss.ID == "":
		r.fail("signing without ID")
	case dup:
		r.fail("%s: twice", what)
	case r.payments[ss.ID] != nil:
		r.fail("%s: also a payment", what)
	case ss.Seq == 0:
		r.fail("%s: sequence 0", what)
	case (ss.Run == nil) == (ss.End.Status == ""):
		r.fail("%s: running %v with final status %q", what, ss.Run != nil, ss.End.Status)
	}
	s := &signing{
		id:        ss.ID,
		seq:       ss.Seq,
		last:      r.last(what, ss.Last, signingKinds),
		lastKey:   ss.LastKey,
		req:       restoreRequest(ss.Request),
		smsSentAt: r.time(what+" sms_sent_at", ss.SMSSentAt),
		confirms:  make(map[string]confirm, len(ss.Confirms)),
		end: signingEnd{
			status:      ss.End.Status,
			reasonCode:  ss.End.ReasonCode,
			agreementNo: ss.End.AgreementNo,
			confirmKey:  ss.End.ConfirmKey,
			at:          r.time(what+" end.at", ss.End.At),
		},
	}
	for _, c := range ss.Confirms {
		if _, dup := s.confirms[c.Key]; dup || c.Key == "" {
			r.fail("%s: confirm key %q empty or twice", what, c.Key)
		}
		s.confirms[c.Key] = confirm{
			bodyHash: c.BodyHash, orderID: c.OrderID, status: c.Status, reasonCode: c.ReasonCode,
			at: r.time(what+" confirm "+c.Key+" at", c.At),
		}
	}
	refs := []string{s.lastKey, s.end.confirmKey}
	if rs := ss.Run; rs != nil {
		step, ok := signingSteps[rs.Step]
		if !ok {
			r.fail("%s: unknown step %q", what, rs.Step)
		}
		run := &signingRun{
			correlation:   rs.Correlation,
			payerKey:      rs.PayerKey,
			step:          step,
			deadline:      r.mustTime(what+" deadline", rs.Deadline),
			final:         r.mustTime(what+" final", rs.Final),
			codeExpiresAt: r.time(what+" code_expires_at", rs.CodeExpiresAt),
			pending:       rs.Pending,
			pendingCode:   rs.PendingCode,
			entered:       r.step(what, rs.Entered),
		}
		if v := rs.Verify; v != nil {
			if !v.PerPaymentLimit.Currency().IsValid() || !v.DailyLimit.Currency().IsValid() {
				r.fail("%s: verify without limits", what)
			}
			run.verify = &events.VerifySigning{
				SigningID: v.SigningID, ChannelID: v.ChannelID, PayerKey: v.PayerKey,
				PayerAccount: v.PayerAccount, HolderName: v.HolderName, IDNumber: v.IDNumber, Phone: v.Phone,
				PerPaymentLimit: v.PerPaymentLimit, DailyLimit: v.DailyLimit,
			}
		}
		s.run = run
		refs = append(refs, run.pending)
	}
	for _, key := range refs {
		if _, ok := s.confirms[key]; key != "" && !ok {
			r.fail("%s: refers to confirm %q it does not hold", what, key)
		}
	}
	r.signings[s.id] = s
}

func restoreRequest(rs requestSnap) request {
	return request{channelID: rs.ChannelID, orderID: rs.OrderID, idemKey: rs.IdempotencyKey, bodyHash: rs.BodyHash}
}

// heap rebuilds the deadline heap in the snapshot's array order, checking
// it holds exactly the running sagas and running corrections, each at its
// current deadline, and satisfies the heap order.
func (r *restorer) heap(ts []timerSnap) {
	want := 0
	for _, p := range r.payments {
		if p.run != nil || p.corr.running() {
			want++
		}
	}
	for _, s := range r.signings {
		if s.run != nil {
			want++
		}
	}
	running := map[string]*refundFlow{}
	for _, p := range r.payments {
		for _, f := range p.refunds {
			if f.run != nil {
				running[f.id] = f
			}
		}
	}
	want += len(running)
	if len(ts) != want {
		r.fail("%d timers for %d running sagas", len(ts), want)
		return
	}
	t := &r.timers
	t.heap = make(timerHeap, 0, len(ts))
	for i, e := range ts {
		at := r.mustTime("timer "+e.ID, e.At)
		var deadline time.Time
		if p, ok := r.payments[e.ID]; ok && p.run != nil {
			deadline = p.run.deadline
		} else if ok && p.corr.running() {
			deadline = p.corr.deadline(r.cfg)
		} else if s, ok := r.signings[e.ID]; ok && s.run != nil {
			deadline = s.run.deadline
		} else if f, ok := running[e.ID]; ok {
			deadline = f.run.deadline
		} else {
			r.fail("timer %s: no such running saga", e.ID)
		}
		if _, dup := t.byID[e.ID]; dup {
			r.fail("timer %s: twice", e.ID)
		}
		if r.err != nil {
			return
		}
		if !at.Equal(deadline) {
			r.fail("timer %s at %s, its saga's deadline is %s", e.ID, e.At, fmtTime(deadline))
			return
		}
		tm := &timer{id: e.ID, at: deadline, index: i}
		t.heap = append(t.heap, tm)
		t.byID[e.ID] = tm
		if i > 0 && t.heap.Less(i, (i-1)/2) {
			r.fail("timer %s out of heap order", e.ID)
			return
		}
	}
}
