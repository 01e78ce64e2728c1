-- Clearing, reconciliation and error handling: what paycore clearing and
-- paycore reconcile recorded on clearing.events, the corrections the
-- sagas carried out (saga.events), and the reserve bank's summarized
-- postings (reserve.events). Same conventions as 0003_payment_tables.sql:
-- ReplacingMergeTree(sequence) with an ORDER BY that is one fact, so a
-- replayed or republished event replaces its own row; DateTime('UTC');
-- Decimal(18, 2); provenance columns last.
--
-- No PARTITION BY: these tables grow per batch, per account and per
-- discrepancy, not per payment, and two of them (batch_reconciliations,
-- payment_corrections) keep the LATEST event of a key, whose time differs
-- from the earlier ones': ReplacingMergeTree only replaces within a
-- partition, so partitioning by time could keep both.
--
-- sequence on clearing.events is the position in the batch's stream
-- (aggregate = batch ID): closing writes the settlement instructions and
-- then the batch; each reconciliation continues after them.

-- clearing_batches: one row per clearing.batch_closed. payments counts
-- every payment of the window (all final statuses); settled_amount is
-- the sum of the success and presumed_success ones.
CREATE TABLE IF NOT EXISTS clearing_batches
(
    batch_id         String,
    window_start     DateTime('UTC'),
    window_end       DateTime('UTC'),
    payments         UInt64,
    settled_amount   Decimal(18, 2),
    closed_at        DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY batch_id;

-- settlement_instructions: one row per clearing.settlement_instructed,
-- the high-value payment (HVPS) from the payer bank to the reserve bank
-- for one reserve account's share of a batch.
CREATE TABLE IF NOT EXISTS settlement_instructions
(
    batch_id         String,
    instruction_id   String,
    from_bank        String,
    to_bank          String,
    reserve_account  String,
    amount           Decimal(18, 2),
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (batch_id, instruction_id);

-- reconciliation_discrepancies: one row per
-- reconciliation.discrepancy_found: a transaction of a batch on which a
-- bank's statement and our batch disagree. class is only_ours,
-- only_theirs, status_differs or amount_differs; action is the automatic
-- correction it ordered (refund_customer, credit_reserve) or empty. Our
-- side is empty (our_status '', our_amount 0.00) for only_theirs, the
-- bank's (their_status '', their_amount 0.00) for only_ours.
CREATE TABLE IF NOT EXISTS reconciliation_discrepancies
(
    batch_id         String,
    bank             String,
    txn_id           String,
    class            String,
    action           String,
    our_status       String,
    our_amount       Decimal(18, 2),
    their_status     String,
    their_amount     Decimal(18, 2),
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (batch_id, bank, txn_id, class);

-- batch_reconciliations: the latest result of reconciling a batch with a
-- bank (reconciliation.batch_reconciled). Reconciling again with another
-- statement records a new result later in the batch's stream, which
-- replaces the row; the same result again is the same event.
CREATE TABLE IF NOT EXISTS batch_reconciliations
(
    batch_id         String,
    bank             String,
    matched          UInt64,
    discrepancies    UInt64,
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (batch_id, bank);

-- payment_corrections: the error-handling corrections of payments
-- (差错处理), from the saga log. stage started is the latest
-- payment.correction_started of the action (a re-sent command starts it
-- again; the row keeps the latest attempt), stage corrected the
-- payment.corrected that ended it. A correction that changed its action
-- (a refused credit turned into a refund) has a started row per action.
-- batch_id and discrepancy_id are on started rows only; amount on
-- corrected rows only (0.00 when the bank had already done it, so the
-- correction moved nothing). The payment's final status never changes.
CREATE TABLE IF NOT EXISTS payment_corrections
(
    txn_id           String,
    stage            String,
    action           String,
    batch_id         String,
    discrepancy_id   String,
    amount           Decimal(18, 2),
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (txn_id, stage, action);

-- reserve_postings: one row per reserve.summary_posted, the reserve
-- bank's one summarized entry (汇总记账) to a reserve account for a
-- reconciled batch: credits transactions for amount, and the account's
-- balance after it.
CREATE TABLE IF NOT EXISTS reserve_postings
(
    reserve_account  String,
    batch_id         String,
    amount           Decimal(18, 2),
    credits          UInt64,
    balance_after    Decimal(18, 2),
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (reserve_account, batch_id);
