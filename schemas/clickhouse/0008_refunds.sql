-- Refunds (退款): a refund lives inside its payment's saga (events keyed by
-- the original txn_id), debits the channel's reserve sub-account, then
-- credits the customer. Same conventions as 0003_payment_tables.sql:
-- ReplacingMergeTree(sequence) keyed by one fact of the log,
-- DateTime('UTC') plus *_ms for latencies, Decimal(18, 2), provenance
-- columns. Read with FINAL.

-- refunds: one row per refund.started (the payment accepted the refund
-- and holds its amount). sub_account is the reserve sub-account (分户)
-- the refund debits: "<reserve_account>#<index>".
CREATE TABLE IF NOT EXISTS refunds
(
    refund_id        String,
    txn_id           String,
    channel_id       String,
    order_id         String,
    idempotency_key  String,
    reserve_account  String,
    sub_account      String,
    payer_key        String,
    amount           Decimal(18, 2),
    started_at       DateTime('UTC'),
    started_at_ms    UInt64,
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
PARTITION BY toYYYYMM(started_at)
ORDER BY refund_id;

-- refund_results: one row per refund's end: refund.finished (success,
-- failure, presumed_success, presumed_failure) or refund.rejected of a
-- refund that never started (status rejected: payment_not_refundable,
-- refund_exceeds_original, refund_other_channel). A reused idempotency key
-- of a known refund is not a row here (its rejection is on the outcomes
-- and rejects topics). reserve_debited and payer_credited are what the
-- saga knew at the end: yes, no or unknown ('' for rejected rows).
CREATE TABLE IF NOT EXISTS refund_results
(
    refund_id        String,
    txn_id           String,
    status           String,
    reason_code      String,
    amount           Decimal(18, 2),
    reserve_debited  String,
    payer_credited   String,
    finished_at      DateTime('UTC'),
    finished_at_ms   UInt64,
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
PARTITION BY toYYYYMM(finished_at)
ORDER BY refund_id;

-- refund_legs: what the banks did for a refund, one row per bank event:
-- leg reserve (kind debited / refused / returned; account is the
-- sub-account) and leg payer (kind credited / refused; account is the
-- payer key). amount is 0.00 on refused rows.
CREATE TABLE IF NOT EXISTS refund_legs
(
    refund_id        String,
    txn_id           String,
    leg              String,
    kind             String,
    account          String,
    amount           Decimal(18, 2),
    reason_code      String,
    at               DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
PARTITION BY toYYYYMM(at)
ORDER BY (refund_id, leg, kind);
