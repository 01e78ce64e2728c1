package tables

import (
	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
)

// Values of refund_legs.leg and refund_legs.kind.
const (
	RefundLegReserve = "reserve" // reserve.reserve_debited / _debit_refused / _debit_reversed
	RefundLegPayer   = "payer"   // payer.payer_credited / _credit_refused

	RefundDebited  = "debited"
	RefundRefused  = "refused"
	RefundReturned = "returned"
	RefundCredited = "credited"
)

// refundRows maps the refund events; it reports whether p was one.
func (m *mapping) refundRows(p events.Payload) bool {
	switch e := p.(type) {
	case events.RefundStarted:
		r := e.Request
		m.row(Refunds, m.required("refund_id", r.RefundID), m.required("txn_id", r.TxnID), r.ChannelID, r.OrderID,
			r.IdempotencyKey, e.ReserveAccount, e.SubAccount, e.PayerKey, m.money("amount", r.Amount),
			m.at(), m.millis("occurred_at", m.env.OccurredAt))
	case events.RefundFinished:
		m.refundResult(e.RefundID, e.Status, e.ReasonCode, zero, e.ReserveDebit, e.PayerCredited)
	case events.RefundRejected:
		if e.ReasonCode == events.ReasonDuplicateKeyNewBody {
			// Belongs to a known refund; its row must not replace that
			// refund's end. The outcome and the rejects topic keep it.
			return true
		}
		m.refundResult(e.Request.RefundID, events.StatusRejected, e.ReasonCode, m.money("amount", e.Request.Amount), "", "")
	case events.ReserveDebited:
		m.refundLeg(e.RefundID, e.TxnID, RefundLegReserve, RefundDebited, e.SubAccount, m.money("amount", e.Amount), "")
	case events.ReserveDebitRefused:
		m.refundLeg(e.RefundID, e.TxnID, RefundLegReserve, RefundRefused, m.env.AggregateID, zero, e.ReasonCode)
	case events.ReserveDebitReversed:
		m.refundLeg(e.RefundID, e.TxnID, RefundLegReserve, RefundReturned, e.SubAccount, m.money("amount", e.Amount), "")
	case events.PayerCredited:
		m.refundLeg(e.RefundID, e.TxnID, RefundLegPayer, RefundCredited, m.env.AggregateID, m.money("amount", e.Amount), "")
	case events.PayerCreditRefused:
		m.refundLeg(e.RefundID, e.TxnID, RefundLegPayer, RefundRefused, m.env.AggregateID, zero, e.ReasonCode)
	default:
		return false
	}
	return true
}

// refundResult builds a refund_results row. The refund's events belong to
// its payment's stream, so the aggregate is the original txn_id.
func (m *mapping) refundResult(refundID, status, reason string, amount decimal.Decimal, reserveDebited, payerCredited string) {
	m.row(RefundResults, m.required("refund_id", refundID), m.required("txn_id", m.env.AggregateID),
		m.required("status", status), reason, amount, reserveDebited, payerCredited,
		m.at(), m.millis("occurred_at", m.env.OccurredAt))
}

func (m *mapping) refundLeg(refundID, txnID, leg, kind, account string, amount decimal.Decimal, reason string) {
	m.row(RefundLegs, m.required("refund_id", refundID), m.required("txn_id", txnID), leg, kind, account, amount, reason, m.at())
}
