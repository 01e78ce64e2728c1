// Package tables defines paycore's analyst tables in ClickHouse and maps
// events onto them: payments, payment_results, payer_legs, reserve_legs,
// agreements and customer_accounts (schemas/clickhouse/0003 and 0004),
// read through the views transactions, hourly_rollups and
// agreements_current (0005); and clearing_batches,
// settlement_instructions, reconciliation_discrepancies,
// batch_reconciliations, payment_corrections and reserve_postings (0006);
// legacy_mappings, the migrated stock agreements (0007); refunds,
// refund_results and refund_legs (0008).
// projections/README.md documents them for analysts.
//
// Mapper implements projector.Mapper: the projector runtime inserts the
// rows it returns, in large batches, with the column lists of Tables.
// Every table is a ReplacingMergeTree whose ORDER BY holds one fact of the
// log, versioned by the event's sequence, so a replayed or redelivered
// event replaces its own row.
//
// Personal data stays out of ClickHouse: account numbers are masked with
// MaskAccount, and holder names, ID numbers and phone numbers are never
// projected.
package tables

import "github.com/paycore/paycore/projections/projector"

// Table names.
const (
	Payments         = "payments"
	PaymentResults   = "payment_results"
	PayerLegs        = "payer_legs"
	ReserveLegs      = "reserve_legs"
	Agreements       = "agreements"
	CustomerAccounts = "customer_accounts"

	ClearingBatches             = "clearing_batches"
	SettlementInstructions      = "settlement_instructions"
	ReconciliationDiscrepancies = "reconciliation_discrepancies"
	BatchReconciliations        = "batch_reconciliations"
	PaymentCorrections          = "payment_corrections"
	ReservePostings             = "reserve_postings"

	LegacyMappings = "legacy_mappings"

	Refunds       = "refunds"
	RefundResults = "refund_results"
	RefundLegs    = "refund_legs"
)

// Values of payer_legs.kind.
const (
	PayerDebited  = "debited"  // payer.payer_debited
	PayerRefused  = "refused"  // payer.payer_debit_refused
	PayerReversed = "reversed" // payer.payer_debit_reversed
)

// Values of reserve_legs.kind.
const (
	ReserveCredited = "credited" // reserve.reserve_credited
	ReserveRefused  = "refused"  // reserve.reserve_credit_refused
)

// Values of agreements.status.
const (
	AgreementActive     = "active"     // payer.agreement_signed, payer.agreement_imported
	AgreementTerminated = "terminated" // payer.agreement_terminated
)

// Values of payment_corrections.stage.
const (
	CorrectionStarted   = "started"   // payment.correction_started
	CorrectionCompleted = "corrected" // payment.corrected
)

// provenance are the trailing columns of every table: which event the row
// came from, its version, and where the projector read it.
var provenance = []string{"event_id", "sequence", "source_topic", "source_partition", "source_offset", "projected_at"}

func columns(cols ...string) []string {
	return append(cols, provenance...)
}

// tables lists every table in migration order, with the INSERT column
// list each row of Map follows.
var tables = []projector.Table{
	{Name: Payments, Columns: columns(
		"txn_id", "channel_id", "order_id", "idempotency_key", "agreement_no", "payer_key", "reserve_account",
		"amount", "started_at", "started_at_ms", "final_deadline")},
	{Name: PaymentResults, Columns: columns(
		"txn_id", "status", "reason_code", "payer_debited", "reserve_credited", "finished_at", "finished_at_ms")},
	{Name: PayerLegs, Columns: columns(
		"txn_id", "kind", "payer_key", "agreement_no", "amount", "reason_code", "day", "at")},
	{Name: ReserveLegs, Columns: columns(
		"txn_id", "kind", "reserve_account", "channel_id", "amount", "reason_code", "at")},
	{Name: Agreements, Columns: columns(
		"agreement_no", "status", "channel_id", "payer_key", "signing_id", "per_payment_limit", "daily_limit", "at")},
	{Name: CustomerAccounts, Columns: columns(
		"payer_key", "account_masked", "opening_balance", "opened_at")},
	{Name: ClearingBatches, Columns: columns(
		"batch_id", "window_start", "window_end", "payments", "settled_amount", "closed_at")},
	{Name: SettlementInstructions, Columns: columns(
		"batch_id", "instruction_id", "from_bank", "to_bank", "reserve_account", "amount", "at")},
	{Name: ReconciliationDiscrepancies, Columns: columns(
		"batch_id", "bank", "txn_id", "class", "action", "our_status", "our_amount", "their_status", "their_amount", "at")},
	{Name: BatchReconciliations, Columns: columns(
		"batch_id", "bank", "matched", "discrepancies", "at")},
	{Name: PaymentCorrections, Columns: columns(
		"txn_id", "stage", "action", "batch_id", "discrepancy_id", "amount", "at")},
	{Name: ReservePostings, Columns: columns(
		"reserve_account", "batch_id", "amount", "credits", "balance_after", "at")},
	{Name: LegacyMappings, Columns: columns(
		"legacy_no", "agreement_no", "channel_id", "payer_key", "import_id", "reason", "mapped_at")},
	{Name: Refunds, Columns: columns(
		"refund_id", "txn_id", "channel_id", "order_id", "idempotency_key", "reserve_account", "sub_account", "payer_key",
		"amount", "started_at", "started_at_ms")},
	{Name: RefundResults, Columns: columns(
		"refund_id", "txn_id", "status", "reason_code", "amount", "reserve_debited", "payer_credited", "finished_at", "finished_at_ms")},
	{Name: RefundLegs, Columns: columns(
		"refund_id", "txn_id", "leg", "kind", "account", "amount", "reason_code", "at")},
}

// Tables returns the tables Map writes to, in migration order; each
// Table's Columns is the INSERT column list its rows follow. The result is
// a copy: callers may keep and change it.
func Tables() []projector.Table {
	out := make([]projector.Table, len(tables))
	for i, t := range tables {
		out[i] = projector.Table{Name: t.Name, Columns: append([]string(nil), t.Columns...)}
	}
	return out
}
