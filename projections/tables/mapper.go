package tables

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paycore/paycore/events"
	"github.com/paycore/paycore/projections/projector"
)

// Mapper maps paycore's payment, payer-bank and reserve-bank events onto
// the tables of Tables. The zero value is ready to use; it is stateless,
// so one Mapper may serve any number of goroutines.
//
// Projected events (payload value types, as events.Registry decodes them):
//
//	payment.started                -> payments
//	payment.finished               -> payment_results
//	payer.payer_debited            -> payer_legs (kind debited)
//	payer.payer_debit_refused      -> payer_legs (kind refused)
//	payer.payer_debit_reversed     -> payer_legs (kind reversed)
//	reserve.reserve_credited       -> reserve_legs (kind credited)
//	reserve.reserve_credit_refused -> reserve_legs (kind refused)
//	payer.agreement_signed         -> agreements (status active)
//	payer.agreement_imported       -> agreements (status active, no signing_id)
//	payer.agreement_terminated     -> agreements (status terminated)
//	payer.account_opened           -> customer_accounts (account masked)
//	clearing.batch_closed              -> clearing_batches
//	clearing.settlement_instructed     -> settlement_instructions
//	reconciliation.discrepancy_found   -> reconciliation_discrepancies
//	reconciliation.batch_reconciled    -> batch_reconciliations
//	payment.correction_started         -> payment_corrections (stage started)
//	payment.corrected                  -> payment_corrections (stage corrected)
//	reserve.summary_posted             -> reserve_postings
//	legacy.agreement_mapped            -> legacy_mappings
//
// Every other event maps to no rows. Values have the Go types the
// ClickHouse driver expects for the columns: string, decimal.Decimal for
// Decimal(18, 2), time.Time (UTC, whole seconds) for DateTime and Date,
// uint64 and uint32 for UInt64 and UInt32.
type Mapper struct{}

var _ projector.Mapper = Mapper{}

// Tables returns Tables().
func (Mapper) Tables() []projector.Table { return Tables() }

// ErrUnmappable wraps every error of Map: the event cannot be projected
// as it is (a payload that does not match its envelope, an unset amount,
// a time ClickHouse's DateTime cannot hold). The projector must not skip
// such an event silently.
var ErrUnmappable = errors.New("tables: event cannot be projected")

// beijing is China Standard Time (no daylight saving since 1991), fixed
// so the result does not depend on the host's zoneinfo. It matches the
// payer bank's day for daily limits.
var beijing = time.FixedZone("CST", 8*3600)

// Map returns the rows env contributes, or nil for events these tables do
// not hold. It is pure: the same (env, p, src) always gives the same rows.
func (Mapper) Map(env events.Envelope, p events.Payload, src projector.Source) ([]projector.Row, error) {
	if p == nil {
		return nil, nil
	}
	m := mapping{env: env}
	if p.EventType() != env.Type {
		m.fail("payload is %s but the envelope says %s", p.EventType(), env.Type)
	}
	m.occurredAt = m.dateTime("occurred_at", env.OccurredAt)
	switch e := p.(type) {
	case events.PaymentStarted:
		m.payment(e)
	case events.PaymentFinished:
		m.result(e)
	case events.PayerDebited:
		m.payerDebited(e)
	case events.PayerDebitRefused:
		m.payerLeg(e.TxnID, PayerRefused, "", zero, e.ReasonCode, beijingDay(env.OccurredAt))
	case events.PayerDebitReversed:
		m.payerLeg(e.TxnID, PayerReversed, "", m.money("amount", e.Amount), "", beijingDay(env.OccurredAt))
	case events.ReserveCredited:
		m.reserveLeg(e.TxnID, ReserveCredited, e.ReserveAccount, e.ChannelID, m.money("amount", e.Amount), "")
	case events.ReserveCreditRefused:
		m.reserveLeg(e.TxnID, ReserveRefused, "", "", zero, e.ReasonCode)
	case events.AgreementSigned:
		m.agreement(e.AgreementNo, AgreementActive, e.ChannelID, e.PayerKey, e.SigningID,
			m.money("per_payment_limit", e.PerPaymentLimit), m.money("daily_limit", e.DailyLimit))
	case events.AgreementTerminated:
		m.agreement(e.AgreementNo, AgreementTerminated, "", env.AggregateID, "", zero, zero)
	case events.AgreementImported:
		// A migrated stock agreement: active like a signed one, without a
		// signing; legacy_mappings names its legacy number.
		m.agreement(e.AgreementNo, AgreementActive, e.ChannelID, e.PayerKey, "",
			m.money("per_payment_limit", e.PerPaymentLimit), m.money("daily_limit", e.DailyLimit))
	case events.AccountOpened:
		m.account(e)
	case events.BatchClosed:
		m.batchClosed(e)
	case events.SettlementInstructed:
		m.row(SettlementInstructions, m.required("batch_id", e.BatchID), m.required("instruction_id", e.InstructionID),
			e.FromBank, e.ToBank, e.ReserveAccount, m.money("amount", e.Amount), m.at())
	case events.DiscrepancyFound:
		m.discrepancy(e)
	case events.BatchReconciled:
		m.row(BatchReconciliations, m.required("batch_id", e.BatchID), m.required("bank", e.Bank),
			m.count("matched", e.Matched), m.count("discrepancies", e.Discrepancies), m.at())
	case events.PaymentCorrectionStarted:
		m.correction(e.TxnID, CorrectionStarted, e.Action, e.BatchID, e.DiscrepancyID, zero)
	case events.PaymentCorrected:
		m.correction(e.TxnID, CorrectionCompleted, e.Action, "", "", m.money("amount", e.Amount))
	case events.ReserveSummaryPosted:
		m.row(ReservePostings, m.required("reserve_account", e.ReserveAccount), m.required("batch_id", e.BatchID),
			m.money("amount", e.Amount), m.count("credits", e.Credits), m.money("balance_after", e.BalanceAfter), m.at())
	case events.AgreementMapped:
		m.row(LegacyMappings, m.required("legacy_no", e.LegacyNo), m.required("agreement_no", e.AgreementNo),
			e.ChannelID, e.PayerKey, e.ImportID, e.Reason, m.at())
	default:
		if !m.refundRows(p) {
			return nil, nil
		}
		if m.table == "" && m.err == nil {
			return nil, nil // a refund event without a row of its own
		}
	}
	m.provenance(src)
	if m.err != nil {
		return nil, fmt.Errorf("%w: %s %s (aggregate %s, sequence %d): %v",
			ErrUnmappable, env.Type, env.ID, env.AggregateID, env.Sequence, m.err)
	}
	return []projector.Row{{Table: m.table, Values: m.values}}, nil
}

// zero is the amount of rows whose event carries none (refusals, and
// the limits of a termination).
var zero = decimal.New(0, -2)

// mapping builds one row; the first problem found sticks in err.
type mapping struct {
	env        events.Envelope
	occurredAt time.Time // env.OccurredAt for a DateTime column
	table      string
	values     []any
	err        error
}

func (m *mapping) fail(format string, args ...any) {
	if m.err == nil {
		m.err = fmt.Errorf(format, args...)
	}
}

// row sets the row's table and leading values, leaving room for the
// provenance columns.
func (m *mapping) row(table string, values ...any) {
	m.table = table
	m.values = append(make([]any, 0, len(values)+len(provenance)), values...)
}

// required returns s, failing when it is empty: an empty key would make
// unrelated events replace each other's rows.
func (m *mapping) required(field, s string) string {
	if s == "" {
		m.fail("%s is empty", field)
	}
	return s
}

// money returns an amount as Decimal(18, 2) wants it, failing on an unset
// Money: it must never silently become 0.00.
func (m *mapping) money(field string, v events.Money) decimal.Decimal {
	if !v.Currency().IsValid() {
		m.fail("%s is not set", field)
		return zero
	}
	return v.Decimal()
}

// maxDateTime is the last second a ClickHouse DateTime (UInt32) holds.
const maxDateTime = math.MaxUint32

// dateTime returns t for a DateTime column: UTC, truncated to the second,
// failing outside DateTime's range (1970 to 2106).
func (m *mapping) dateTime(field string, t time.Time) time.Time {
	if s := t.Unix(); t.IsZero() || s < 0 || s > maxDateTime {
		m.fail("%s %s is outside ClickHouse DateTime's range", field, t.Format(time.RFC3339Nano))
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}

// optionalDateTime is dateTime for times that may be unset: the zero
// time becomes 1970-01-01 00:00:00, ClickHouse's zero DateTime.
func (m *mapping) optionalDateTime(field string, t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return m.dateTime(field, t)
}

// millis returns t as Unix milliseconds, for latencies finer than
// DateTime's seconds.
func (m *mapping) millis(field string, t time.Time) uint64 {
	ms := t.UnixMilli()
	if t.IsZero() || ms < 0 {
		m.fail("%s %s is before 1970", field, t.Format(time.RFC3339Nano))
		return 0
	}
	return uint64(ms)
}

// at is the event's own time, its envelope's occurred_at.
func (m *mapping) at() time.Time { return m.occurredAt }

// minDate and maxDate bound ClickHouse's Date (UInt16 days since 1970).
var (
	minDate = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2149, 6, 6, 0, 0, 0, 0, time.UTC)
)

// date parses a YYYY-MM-DD day for a Date column (midnight UTC, which is
// how the driver encodes a Date).
func (m *mapping) date(field, day string) time.Time {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil || d.Before(minDate) || d.After(maxDate) {
		m.fail("%s %q is not a date between %s and %s", field, day,
			minDate.Format(time.DateOnly), maxDate.Format(time.DateOnly))
		return minDate
	}
	return d
}

// beijingDay returns the Beijing calendar date of t, the payer bank's day.
func beijingDay(t time.Time) string { return t.In(beijing).Format(time.DateOnly) }

func (m *mapping) provenance(src projector.Source) {
	if src.Partition < 0 || src.Partition > math.MaxUint32 {
		m.fail("source partition %d out of range", src.Partition)
	}
	if src.Offset < 0 {
		m.fail("source offset %d is negative", src.Offset)
	}
	m.values = append(m.values,
		m.required("event id", m.env.ID),
		m.env.Sequence,
		src.Topic,
		uint32(src.Partition),
		uint64(src.Offset),
		m.dateTime("source projected_at", src.ProjectedAt),
	)
}

func (m *mapping) payment(e events.PaymentStarted) {
	r := e.Request
	m.row(Payments,
		m.required("txn_id", r.TxnID),
		r.ChannelID,
		r.OrderID,
		r.IdempotencyKey,
		r.AgreementNo,
		r.PayerKey,
		r.ReserveAccount,
		m.money("amount", r.Amount),
		m.at(),
		m.millis("occurred_at", m.env.OccurredAt),
		m.optionalDateTime("final_deadline", e.FinalDeadline),
	)
}

func (m *mapping) result(e events.PaymentFinished) {
	m.row(PaymentResults,
		m.required("txn_id", e.TxnID),
		m.required("status", e.Status),
		e.ReasonCode,
		e.PayerDebited,
		e.ReserveCredited,
		m.at(),
		m.millis("occurred_at", m.env.OccurredAt),
	)
}

func (m *mapping) payerDebited(e events.PayerDebited) {
	day := e.Day
	if day == "" {
		day = beijingDay(m.env.OccurredAt)
	}
	m.payerLeg(e.TxnID, PayerDebited, e.AgreementNo, m.money("amount", e.Amount), "", day)
}

// payerLeg builds a payer_legs row. Payer-bank events are keyed by the
// payer key, their aggregate.
func (m *mapping) payerLeg(txnID, kind, agreementNo string, amount decimal.Decimal, reason, day string) {
	m.row(PayerLegs,
		m.required("txn_id", txnID),
		kind,
		m.env.AggregateID,
		agreementNo,
		amount,
		reason,
		m.date("day", day),
		m.at(),
	)
}

func (m *mapping) reserveLeg(txnID, kind, reserveAccount, channelID string, amount decimal.Decimal, reason string) {
	m.row(ReserveLegs,
		m.required("txn_id", txnID),
		kind,
		reserveAccount,
		channelID,
		amount,
		reason,
		m.at(),
	)
}

func (m *mapping) agreement(no, status, channelID, payerKey, signingID string, perPayment, daily decimal.Decimal) {
	if payerKey == "" {
		payerKey = m.env.AggregateID
	}
	m.row(Agreements,
		m.required("agreement_no", no),
		status,
		channelID,
		payerKey,
		signingID,
		perPayment,
		daily,
		m.at(),
	)
}

func (m *mapping) account(e events.AccountOpened) {
	payerKey := e.PayerKey
	if payerKey == "" {
		payerKey = m.env.AggregateID
	}
	m.row(CustomerAccounts,
		m.required("payer_key", payerKey),
		MaskAccount(e.Account),
		m.money("opening_balance", e.OpeningBalance),
		m.at(),
	)
}

// count returns a count for a UInt64 column, failing when it is negative.
func (m *mapping) count(field string, n int) uint64 {
	if n < 0 {
		m.fail("%s %d is negative", field, n)
		return 0
	}
	return uint64(n)
}

func (m *mapping) batchClosed(e events.BatchClosed) {
	m.row(ClearingBatches,
		m.required("batch_id", e.BatchID),
		m.dateTime("window_start", e.WindowStart),
		m.dateTime("window_end", e.WindowEnd),
		m.count("payments", e.Payments),
		m.money("settled_amount", e.SettledAmount),
		m.dateTime("closed_at", e.ClosedAt),
	)
}

// discrepancy builds a reconciliation_discrepancies row; a side the
// discrepancy lacks (only_ours, only_theirs) has an empty status and
// amount 0.00.
func (m *mapping) discrepancy(e events.DiscrepancyFound) {
	side := func(field string, amount *events.Money) decimal.Decimal {
		if amount == nil {
			return zero
		}
		return m.money(field, *amount)
	}
	m.row(ReconciliationDiscrepancies,
		m.required("batch_id", e.BatchID),
		m.required("bank", e.Bank),
		m.required("txn_id", e.TxnID),
		m.required("class", e.Class),
		e.Action,
		e.OurStatus,
		side("our_amount", e.OurAmount),
		e.TheirStatus,
		side("their_amount", e.TheirAmount),
		m.at(),
	)
}

func (m *mapping) correction(txnID, stage, action, batchID, discrepancyID string, amount decimal.Decimal) {
	m.row(PaymentCorrections,
		m.required("txn_id", txnID),
		stage,
		m.required("action", action),
		batchID,
		discrepancyID,
		amount,
		m.at(),
	)
}
