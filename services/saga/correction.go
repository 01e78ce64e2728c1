package saga

import (
	"time"

	"github.com/paycore/paycore/events"
)

// correction is the error-handling correction (差错处理) of a finished
// payment: reconciliation found that the money did not do what the final
// status claimed, and the saga puts it right with a command of its own.
// The final status never changes; the correction is a flow beside it. A
// payment takes one correction at most. It changes only in the fold.
type correction struct {
	discrepancyID string
	batchID       string
	// requested is the action reconciliation asked for; action is the one
	// under way: the same, or refund_customer once the reserve bank
	// refused a credit_reserve correction.
	requested string
	action    string
	// attempt numbers the current action's command, from 1; each re-send
	// is a new attempt with an ID of its own.
	attempt int
	// entered is the payment.correction_started that sent the current
	// command; the command and its deadline are built from it.
	entered stepRef
	done    bool
	// amount is what the correction moved, once done: the payment's
	// amount, or zero when the bank had decided before the correction.
	amount events.Money
}

// running reports whether c awaits the bank.
func (c *correction) running() bool { return c != nil && !c.done }

// deadline is when the current command is re-sent if the bank has not
// answered: LegTimeout after the first attempt of an action, QueryInterval
// after a re-send, the cadence of the payment's own reversal.
//
// Unlike a payment's deadlines it is derived from configuration, not
// recorded: payment.correction_started carries no deadline. That is safe
// because the deadline decides nothing but when to re-send: a restart
// under another interval re-sends sooner or later, never differently. A
// snapshot taken under another interval fails Restore on its timers and
// the partition is rebuilt from the log.
func (c *correction) deadline(cfg *Config) time.Time {
	if c.attempt == 1 {
		return c.entered.at.Add(cfg.LegTimeout)
	}
	return c.entered.at.Add(cfg.QueryInterval)
}

// correctionCorrelation is the correlation ID of a correction's events
// and commands: a flow of its own, so that a bank's decision tells by its
// correlation whether the correction caused it (money moved now) or an
// earlier command did (the bank answers a decided transaction with the
// original decision, and nothing moves).
func correctionCorrelation(txnID, discrepancyID string) string {
	return events.DeriveID(txnID, "correction", discrepancyID)
}

// correctable reports whether reconciliation may ask a payment that ended
// in status for action: a refund where the saga claimed that no debit
// stands (failure, presumed_failure) but the payer bank's file shows one;
// a reserve credit where the saga presumed the credit happened
// (presumed_success) but the reserve bank's file lacks it.
func correctable(status, action string) bool {
	switch action {
	case events.ActionRefundCustomer:
		return status == events.StatusFailure || status == events.StatusPresumedFailure
	case events.ActionCreditReserve:
		return status == events.StatusPresumedSuccess
	}
	return false
}

// correctionKeys is what a finished payment keeps of its run for a
// correction: the payer key to reverse the debit, the reserve account to
// credit it. Never changed once built; the fold drops it whole.
type correctionKeys struct {
	payerKey       string
	reserveAccount string
}

// keepForCorrection returns what a payment that ended in status keeps of
// its run for a correction, nil if no correction fits the status: the
// payer key where a refund may follow (a presumed_success too, whose
// credit correction turns into a refund if the reserve bank refuses), the
// reserve account where a credit may.
func keepForCorrection(status string, r *paymentRun) *correctionKeys {
	switch status {
	case events.StatusFailure, events.StatusPresumedFailure:
		return &correctionKeys{payerKey: r.payerKey}
	case events.StatusPresumedSuccess:
		return &correctionKeys{payerKey: r.payerKey, reserveAccount: r.reserveAccount}
	}
	return nil
}

// correctionStarted folds payment.correction_started: the first starts
// the correction; a later one of the same discrepancy re-sends the
// current action (next attempt) or turns a refused credit into a refund
// (attempt 1).
func (p *payment) correctionStarted(env events.Envelope, e events.PaymentCorrectionStarted) {
	if p.run != nil {
		impossible(env, "correction of a running payment")
	}
	c := p.corr
	if c == nil {
		if !correctable(p.end.status, e.Action) || e.DiscrepancyID == "" || p.end.keys == nil {
			impossible(env, "correction %q (discrepancy %q) of a %s payment", e.Action, e.DiscrepancyID, p.end.status)
		}
		p.corr = &correction{
			discrepancyID: e.DiscrepancyID,
			batchID:       e.BatchID,
			requested:     e.Action,
			action:        e.Action,
			attempt:       1,
			entered:       stepOf(env),
		}
		return
	}
	switch {
	case c.done || e.DiscrepancyID != c.discrepancyID || e.BatchID != c.batchID:
		impossible(env, "second correction (discrepancy %q) after discrepancy %q", e.DiscrepancyID, c.discrepancyID)
	case e.Action == c.action:
		c.attempt++
	case c.action == events.ActionCreditReserve && e.Action == events.ActionRefundCustomer:
		c.action, c.attempt = e.Action, 1
	default:
		impossible(env, "correction %s to %s", c.action, e.Action)
	}
	c.entered = stepOf(env)
}

// corrected folds payment.corrected: the correction is over, and the keys
// it needed go.
func (p *payment) corrected(env events.Envelope, e events.PaymentCorrected) {
	c := p.corr
	switch {
	case !c.running():
		impossible(env, "no correction under way")
	case e.Action != c.action:
		impossible(env, "corrected by %s while correcting by %s", e.Action, c.action)
	case !e.Amount.Currency().IsValid() || !e.Amount.IsZero() && !e.Amount.Equal(p.amount):
		impossible(env, "corrected amount %s of a payment of %s", e.Amount, p.amount)
	}
	c.done, c.amount = true, e.Amount
	p.end.keys = nil
}

// CorrectionView is a payment's correction as tests and audits see it.
type CorrectionView struct {
	DiscrepancyID string
	BatchID       string
	// Requested is the action reconciliation asked for, Action the one
	// carried out (refund_customer after a refused credit_reserve).
	Requested string
	Action    string
	Attempt   int
	// Deadline is when the command is re-sent; zero once done.
	Deadline time.Time
	Done     bool
	// Moved is what the correction moved, once done: the payment's
	// amount, or zero when the bank had decided before it.
	Moved *events.Money
}

func (c *correction) view(cfg *Config) *CorrectionView {
	v := &CorrectionView{
		DiscrepancyID: c.discrepancyID, BatchID: c.batchID, Requested: c.requested, Action: c.action,
		Attempt: c.attempt, Done: c.done,
	}
	if c.done {
		moved := c.amount
		v.Moved = &moved
	} else {
		v.Deadline = c.deadline(cfg)
	}
	return v
}
