package saga

import (
	"hash/fnv"
	"time"

	"github.com/paycore/paycore/events"
)

// refund is one refund (退款) of a payment: debit the channel's reserve
// sub-account, then credit the customer, or return the reserve debit if
// the payer bank refuses the credit. It is a flow inside the payment
// aggregate, not an aggregate of its own: its events are the payment's
// events (AggregateID = TxnID, one sequence), so every refund of a payment
// is decided in the payment's partition, one after the other, and the
// refundable remainder is checked without a lock and without a race.
// It changes only in the fold.
type refundFlow struct {
	id     string
	req    request
	amount events.Money
	// last is the latest event of this refund, so a redelivery of the
	// message behind it is answered again with what it sent.
	last lastEvent
	run  *refundRun // nil once finished or rejected
	end  refundEnd
	// rejected marks a refund created by refund.rejected: it never
	// started, and its answer is its rejection.
	rejected bool
}

// request rebuilds the StartRefund that created f, for payment txnID.
func (f *refundFlow) request(txnID string) events.StartRefund {
	return events.StartRefund{
		RefundID: f.id, TxnID: txnID, ChannelID: f.req.channelID, OrderID: f.req.orderID,
		IdempotencyKey: f.req.idemKey, BodyHash: f.req.bodyHash, Amount: f.amount,
	}
}

// refundRun is what a running refund needs to go on. The paying side is
// the reserve leg now: its final deadline bounds the debit (still unknown:
// presumed_failure), the payer leg's bounds the credit (presumed_success).
type refundRun struct {
	correlation  string
	subAccount   string
	step         string
	attempt      int
	deadline     time.Time
	reserveFinal time.Time
	payerFinal   time.Time // set in await_payer_credit
	payerReason  string    // the payer bank's refusal, the failure reason after the return
	entered      stepRef
}

// refundEnd is a refund's final status; set once, never changed.
type refundEnd struct {
	status        string
	reasonCode    string
	reserveDebit  string
	payerCredited string
	at            time.Time
}

// refundKeys is what a successful or presumed-successful payment keeps of
// its run so it can be refunded: where the money went, and whose account
// it came from.
type refundKeys struct {
	payerKey       string
	agreementNo    string
	reserveAccount string
}

// keepForRefund returns the keys a payment that ended in status keeps for
// refunds, nil where none may follow.
func keepForRefund(status string, r *paymentRun) *refundKeys {
	if !refundable(status) {
		return nil
	}
	return &refundKeys{payerKey: r.payerKey, agreementNo: r.agreementNo, reserveAccount: r.reserveAccount}
}

// refundable reports whether a payment that ended in status may be
// refunded: only money the switch claims arrived can go back.
func refundable(status string) bool {
	return status == events.StatusSuccess || status == events.StatusPresumedSuccess
}

// holds reports whether a refund's amount counts against the payment's
// refundable remainder: while it runs, and after it ended in a status
// that claims the money went back. A failed refund released its amount.
func (f *refundFlow) holds() bool {
	if f.rejected {
		return false
	}
	return f.run != nil || refundable(f.end.status)
}

func (r *refundRun) awaitingReserve() bool {
	return r.step == events.RefundStepAwaitReserve || r.step == events.RefundStepQueryReserve
}

func (r *refundRun) awaitingPayer() bool {
	return r.step == events.RefundStepAwaitPayer || r.step == events.RefundStepQueryPayer
}

// subAccountFor picks the reserve sub-account a refund debits: a hash of
// the refund ID, so the refunds of one hot account spread evenly over its
// sub-accounts (and their partitions), and a re-decided refund picks the
// same one.
func subAccountFor(reserveAccount, refundID string, subAccounts int) string {
	h := fnv.New32a()
	h.Write([]byte(refundID))
	return events.SubAccountKey(reserveAccount, int(h.Sum32()%uint32(subAccounts)))
}

// refundOf returns the refund refundID of p, nil if p has none.
func (p *payment) refundOf(refundID string) *refundFlow {
	for _, f := range p.refunds {
		if f.id == refundID {
			return f
		}
	}
	return nil
}

// heldByRefunds sums the amounts of p's refunds that hold part of it.
func (p *payment) heldByRefunds() events.Money {
	held := events.ZeroCNY()
	for _, f := range p.refunds {
		if !f.holds() {
			continue
		}
		sum, err := held.Add(f.amount)
		if err != nil {
			// Held amounts never exceed the payment's, which fits.
			panic("saga: refunds of " + p.id + ": " + err.Error())
		}
		held = sum
	}
	return held
}

// refundStarted folds refund.started.
func (p *payment) refundStarted(env events.Envelope, e events.RefundStarted) {
	c := e.Request
	switch {
	case p.run != nil || p.end.refund == nil:
		impossible(env, "refund of a %s payment", p.end.status)
	case c.TxnID != p.id:
		impossible(env, "refund of txn %s", c.TxnID)
	case p.refundOf(c.RefundID) != nil:
		impossible(env, "refund %s started twice", c.RefundID)
	}
	p.refunds = append(p.refunds, &refundFlow{
		id:     c.RefundID,
		req:    request{channelID: c.ChannelID, orderID: c.OrderID, idemKey: c.IdempotencyKey, bodyHash: c.BodyHash},
		amount: c.Amount,
		last:   lastOf(env, e),
		run: &refundRun{
			correlation:  env.CorrelationID,
			subAccount:   e.SubAccount,
			step:         events.RefundStepAwaitReserve,
			deadline:     e.Deadline,
			reserveFinal: e.FinalDeadline,
			entered:      stepOf(env),
		},
	})
}

// refundRejected folds refund.rejected: a new refund that never started,
// or a reused key of a known one (which changes nothing of it).
func (p *payment) refundRejected(env events.Envelope, e events.RefundRejected) {
	c := e.Request
	if c.TxnID != p.id {
		impossible(env, "refund rejection of txn %s", c.TxnID)
	}
	if f := p.refundOf(c.RefundID); f != nil {
		if e.ReasonCode != events.ReasonDuplicateKeyNewBody {
			impossible(env, "refund %s rejected after it was recorded", c.RefundID)
		}
		f.last = lastOf(env, e)
		return
	}
	p.refunds = append(p.refunds, &refundFlow{
		id:       c.RefundID,
		req:      request{channelID: c.ChannelID, orderID: c.OrderID, idemKey: c.IdempotencyKey, bodyHash: c.BodyHash},
		amount:   c.Amount,
		last:     lastOf(env, e),
		end:      refundEnd{status: events.StatusRejected, reasonCode: e.ReasonCode, at: env.OccurredAt},
		rejected: true,
	})
}

// refundStepChanged folds refund.step_changed, checking the move is one
// the decisions make.
func (p *payment) refundStepChanged(env events.Envelope, e events.RefundStepChanged) {
	f := p.refundOf(e.RefundID)
	if f == nil || f.run == nil {
		impossible(env, "step of refund %s that is not running", e.RefundID)
	}
	r := f.run
	var ok bool
	switch e.Step {
	case events.RefundStepQueryReserve:
		ok = r.awaitingReserve()
	case events.RefundStepAwaitPayer:
		ok = r.awaitingReserve() && !e.FinalDeadline.IsZero()
	case events.RefundStepQueryPayer:
		ok = r.awaitingPayer()
	case events.RefundStepAwaitReversal:
		ok = r.awaitingPayer() && e.ReasonCode != "" || r.step == events.RefundStepAwaitReversal
	}
	if !ok {
		impossible(env, "refund %s step %s to %s", f.id, r.step, e.Step)
	}
	switch {
	case e.Step == events.RefundStepAwaitPayer:
		r.payerFinal = e.FinalDeadline
	case e.Step == events.RefundStepAwaitReversal && r.step != events.RefundStepAwaitReversal:
		r.payerReason = e.ReasonCode
	}
	r.step, r.attempt, r.deadline, r.entered = e.Step, e.Attempt, e.Deadline, stepOf(env)
	f.last = lastOf(env, e)
}

// refundFinished folds refund.finished and drops the refund's working state.
func (p *payment) refundFinished(env events.Envelope, e events.RefundFinished) {
	f := p.refundOf(e.RefundID)
	if f == nil || f.run == nil {
		impossible(env, "end of refund %s that is not running", e.RefundID)
	}
	f.end = refundEnd{
		status:        e.Status,
		reasonCode:    e.ReasonCode,
		reserveDebit:  e.ReserveDebit,
		payerCredited: e.PayerCredited,
		at:            env.OccurredAt,
	}
	f.run = nil
	f.last = lastOf(env, e)
}

// refundEventID returns the refund an event of the payment aggregate
// belongs to, "" for the payment's own events.
func refundEventID(p events.Payload) string {
	switch e := p.(type) {
	case events.RefundStarted:
		return e.Request.RefundID
	case events.RefundRejected:
		return e.Request.RefundID
	case events.RefundStepChanged:
		return e.RefundID
	case events.RefundFinished:
		return e.RefundID
	}
	return ""
}

// RefundView is a refund as tests and audits see it.
type RefundView struct {
	RefundID       string
	TxnID          string
	ChannelID      string
	OrderID        string
	IdempotencyKey string
	Amount         events.Money
	SubAccount     string
	// Step and Attempt describe a running refund; Step is empty once it
	// finished.
	Step    string
	Attempt int
	// Status is the final status (empty while running; "rejected" for a
	// refund refused before any money moved), with its reason and what the
	// saga knew of each leg.
	Status        string
	ReasonCode    string
	ReserveDebit  string
	PayerCredited string
}

// Refunds returns the refunds of payment txnID in the order they arrived,
// if this partition holds the payment.
func (h *Handler) Refunds(txnID string) ([]RefundView, bool) {
	p, ok := h.payments[txnID]
	if !ok {
		return nil, false
	}
	out := make([]RefundView, 0, len(p.refunds))
	for _, f := range p.refunds {
		v := RefundView{
			RefundID: f.id, TxnID: p.id, ChannelID: f.req.channelID, OrderID: f.req.orderID,
			IdempotencyKey: f.req.idemKey, Amount: f.amount,
			Status: f.end.status, ReasonCode: f.end.reasonCode,
			ReserveDebit: f.end.reserveDebit, PayerCredited: f.end.payerCredited,
		}
		if r := f.run; r != nil {
			v.Step, v.Attempt, v.SubAccount = r.step, r.attempt, r.subAccount
		}
		out = append(out, v)
	}
	return out, true
}
