package saga

import (
	"time"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/services/processor"
)

// Due returns a saga.fire_deadline command for every running saga whose
// deadline is at or before now, at most Config.DueMax per call. It changes
// nothing: a saga's deadline moves only when its FireDeadline is handled,
// so Due keeps returning the command until then, and the runtime throttles
// the repeats (processor.Config.RefireAfter).
//
// Each command's envelope is a pure function of the saga's state, ID
// DeriveID(sagaID, "deadline", deadline in RFC 3339 with nanoseconds,
// UTC), so every repeat is the same record and the saga handles it once.
func (h *Handler) Due(now time.Time) []processor.Outbound {
	var out []processor.Outbound
	h.timers.due(now, h.cfg.DueMax, func(id string, deadline time.Time) {
		key, correlation, step, ok := h.running(id)
		if !ok {
			// The index mirrors the fold; a finished saga has no timer.
			panic("saga: timer armed for saga " + id + " that is not running")
		}
		env, err := h.reg.New(key, step.seq, events.FireDeadline{SagaID: id, Deadline: deadline}, events.Meta{
			ID:            events.DeriveID(id, "deadline", deadline.UTC().Format(time.RFC3339Nano)),
			CorrelationID: correlation,
			CausationID:   step.id,
			OccurredAt:    deadline,
		})
		if err != nil {
			panic("saga: building fire_deadline for " + id + ": " + err.Error())
		}
		out = append(out, processor.EnvelopeTo(h.cfg.Topics.SagaInbox, env))
	})
	return out
}

// running returns the partition key, correlation ID and current step of a
// running saga, of a finished payment's running correction, or of a
// running refund (keyed by its payment's TxnID, the partition it lives in).
func (h *Handler) running(id string) (string, string, stepRef, bool) {
	if p, ok := h.payments[id]; ok {
		switch {
		case p.run != nil:
			return id, p.run.correlation, p.run.entered, true
		case p.corr.running():
			return id, correctionCorrelation(p.id, p.corr.discrepancyID), p.corr.entered, true
		}
	}
	if txnID, ok := h.refundTxn[id]; ok {
		if f := h.payments[txnID].refundOf(id); f != nil && f.run != nil {
			return txnID, f.run.correlation, f.run.entered, true
		}
	}
	if s, ok := h.signings[id]; ok && s.run != nil {
		return id, s.run.correlation, s.run.entered, true
	}
	return "", "", stepRef{}, false
}
