package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// Leg knowledge recorded in events.PaymentFinished.
const (
	legYes     = "yes"
	legNo      = "no"
	legUnknown = "unknown"
)

// payment is one agreement payment saga (协议支付): debit the payer bank,
// then credit the reserve account, or reverse the debit if the reserve
// bank refuses. It changes only in the fold (apply).
type payment struct {
	id     string
	seq    uint64
	last   lastEvent
	req    request
	amount events.Money
	// run is the working state; nil once finished, so a finished payment
	// keeps only what answering a repeated request needs.
	run *paymentRun
	end paymentEnd
	// corr is the payment's error-handling correction, if reconciliation
	// asked for one (correction.go); nil for almost every payment.
	corr *correction
	// refunds are the payment's refunds in arrival order (refund.go); nil
	// for almost every payment.
	refunds []*refundFlow
}

// paymentRun is what a running payment needs to go on.
type paymentRun struct {
	correlation    string
	agreementNo    string
	payerKey       string
	reserveAccount string
	step           string
	attempt        int
	deadline       time.Time
	payerFinal     time.Time // presumed_failure from here
	reserveFinal   time.Time // presumed_success from here; set in await_reserve
	reserveReason  string    // the reserve's refusal, the failure reason after reversal
	entered        stepRef
}

// paymentEnd is the final status; set once, never changed.
type paymentEnd struct {
	status          string
	reasonCode      string
	payerDebited    string
	reserveCredited string
	at              time.Time
	// keys outlive the run only where a correction may still need them
	// (keepForCorrection), and only until a correction ended, because a
	// payment takes one correction only. A pointer: most payments succeed
	// and keep none, and the sagas hold a million payments.
	keys *correctionKeys
	// refund is what a successful or presumed-successful payment keeps so
	// it can be refunded; nil for other statuses.
	refund *refundKeys
}

func (r *paymentRun) awaitingPayer() bool {
	return r.step == events.StepAwaitPayer || r.step == events.StepQueryPayer
}

func (r *paymentRun) awaitingReserve() bool {
	return r.step == events.StepAwaitReserve || r.step == events.StepQueryReserve
}

// newPayment folds payment.started.
func newPayment(env events.Envelope, e events.PaymentStarted) *payment {
	checkNext(env, 0)
	c := e.Request
	if c.TxnID != env.AggregateID {
		impossible(env, "started for txn %s", c.TxnID)
	}
	p := &payment{
		id:     env.AggregateID,
		seq:    env.Sequence,
		last:   lastOf(env, e),
		req:    request{channelID: c.ChannelID, orderID: c.OrderID, idemKey: c.IdempotencyKey, bodyHash: c.BodyHash},
		amount: c.Amount,
		run: &paymentRun{
			correlation:    env.CorrelationID,
			agreementNo:    c.AgreementNo,
			payerKey:       c.PayerKey,
			reserveAccount: c.ReserveAccount,
			step:           events.StepAwaitPayer,
			deadline:       e.Deadline,
			payerFinal:     e.FinalDeadline,
			entered:        stepOf(env),
		},
	}
	return p
}

// apply folds every payment event after payment.started.
func (p *payment) apply(env events.Envelope, ev events.Payload) {
	checkNext(env, p.seq)
	switch e := ev.(type) {
	case events.PaymentStepChanged:
		p.stepChanged(env, e)
	case events.PaymentFinished:
		p.finished(env, e)
	case events.PaymentDuplicateRejected:
		// Changes nothing but the sequence: the answer derives from the
		// rejected request itself.
	case events.PaymentCorrectionStarted:
		p.correctionStarted(env, e)
	case events.PaymentCorrected:
		p.corrected(env, e)
	case events.RefundStarted:
		p.refundStarted(env, e)
	case events.RefundRejected:
		p.refundRejected(env, e)
	case events.RefundStepChanged:
		p.refundStepChanged(env, e)
	case events.RefundFinished:
		p.refundFinished(env, e)
	default:
		impossible(env, "not a payment event")
	}
	p.seq = env.Sequence
	p.last = lastOf(env, ev)
}

// stepChanged folds payment.step_changed, checking the move is one the
// decisions make.
func (p *payment) stepChanged(env events.Envelope, e events.PaymentStepChanged) {
	r := p.run
	if r == nil {
		impossible(env, "payment already finished")
	}
	var ok bool
	switch e.Step {
	case events.StepQueryPayer:
		ok = r.awaitingPayer()
	case events.StepAwaitReserve:
		ok = r.awaitingPayer() && !e.FinalDeadline.IsZero()
	case events.StepQueryReserve:
		ok = r.awaitingReserve()
	case events.StepAwaitReversal:
		// Entered from a reserve step with the refusal's reason, or
		// re-entered to re-send the reversal.
		ok = r.awaitingReserve() && e.ReasonCode != "" || r.step == events.StepAwaitReversal
	}
	if !ok {
		impossible(env, "step %s to %s", r.step, e.Step)
	}
	switch {
	case e.Step == events.StepAwaitReserve:
		r.reserveFinal = e.FinalDeadline
	case e.Step == events.StepAwaitReversal && r.step != events.StepAwaitReversal:
		r.reserveReason = e.ReasonCode
	}
	r.step = e.Step
	r.attempt = e.Attempt
	r.deadline = e.Deadline
	r.entered = stepOf(env)
}

// finished folds payment.finished and drops the working state.
func (p *payment) finished(env events.Envelope, e events.PaymentFinished) {
	if p.run == nil {
		impossible(env, "payment already finished as %s", p.end.status)
	}
	p.end = paymentEnd{
		status:          e.Status,
		reasonCode:      e.ReasonCode,
		payerDebited:    e.PayerDebited,
		reserveCredited: e.ReserveCredited,
		at:              env.OccurredAt,
	}
	p.end.keys = keepForCorrection(e.Status, p.run)
	p.end.refund = keepForRefund(e.Status, p.run)
	p.run = nil
}

// clone returns a copy the decision can fold a new event into without
// touching the partition state.
func (p *payment) clone() *payment {
	c := *p
	if p.run != nil {
		r := *p.run
		c.run = &r
	}
	if p.corr != nil {
		k := *p.corr
		c.corr = &k
	}
	if p.refunds != nil {
		// The fold changes refunds in place: the copy gets its own.
		c.refunds = make([]*refundFlow, len(p.refunds))
		for i, f := range p.refunds {
			g := *f
			if f.run != nil {
				r := *f.run
				g.run = &r
			}
			c.refunds[i] = &g
		}
	}
	return &c
}

// PaymentView is a payment saga as tests and audits see it.
type PaymentView struct {
	TxnID          string
	ChannelID      string
	OrderID        string
	IdempotencyKey string
	Amount         events.Money
	// Sequence is the saga's last event sequence in saga.events.
	Sequence uint64
	// Step, Attempt and Deadline describe a running payment; Step is empty
	// once it finished.
	Step     string
	Attempt  int
	Deadline time.Time
	// Status is the final status (empty while running), with its reason
	// and what the saga knew of each leg ("yes", "no", "unknown").
	Status          string
	ReasonCode      string
	PayerDebited    string
	ReserveCredited string
	FinishedAt      time.Time
	// Correction is the error-handling correction of a finished payment,
	// nil when reconciliation asked for none.
	Correction *CorrectionView
}

// Payment returns the payment saga txnID, if this partition holds it.
func (h *Handler) Payment(txnID string) (PaymentView, bool) {
	p, ok := h.payments[txnID]
	if !ok {
		return PaymentView{}, false
	}
	v := PaymentView{
		TxnID:           p.id,
		ChannelID:       p.req.channelID,
		OrderID:         p.req.orderID,
		IdempotencyKey:  p.req.idemKey,
		Amount:          p.amount,
		Sequence:        p.seq,
		Status:          p.end.status,
		ReasonCode:      p.end.reasonCode,
		PayerDebited:    p.end.payerDebited,
		ReserveCredited: p.end.reserveCredited,
		FinishedAt:      p.end.at,
	}
	if r := p.run; r != nil {
		v.Step, v.Attempt, v.Deadline = r.step, r.attempt, r.deadline
	}
	if c := p.corr; c != nil {
		v.Correction = c.view(&h.cfg)
	}
	return v, true
}
