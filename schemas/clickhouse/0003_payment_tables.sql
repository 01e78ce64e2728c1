-- Payment projections: one table per kind of fact, filled by the
-- projections/tables Mapper from the saga, payer-bank and reserve-bank
-- event logs. Kafka stays the source of truth; every table can be dropped
-- and rebuilt by replaying the logs.
--
-- Common to all of them:
-- * ReplacingMergeTree(sequence), with an ORDER BY that holds exactly one
--   fact of the log (a payment, a payment's end, one leg event), so a
--   replayed or redelivered event replaces its own row instead of adding
--   one. The version column `sequence` is the event's position in its
--   aggregate's stream (envelope sequence): deterministic, identical in
--   every copy of the event. Duplicates collapse at merge time only:
--   read with FINAL, or aggregate in a duplicate-proof way (argMax, uniq).
-- * PARTITION BY uses only the event's own time, so every copy of an
--   event lands in the same partition (replacing works per partition).
-- * Times are DateTime('UTC') (seconds); *_ms columns keep the exact
--   millisecond (Unix epoch) where latencies are measured.
-- * Money is Decimal(18, 2): exact yuan with fen, never Float64.
-- * Provenance: event_id, and where the projector read the event
--   (source_topic, source_partition, source_offset, projected_at).
-- * Plain String, not LowCardinality: portable to ClickHouse 18.16.

-- payments: one row per payment.started (the saga accepted the payment).
CREATE TABLE IF NOT EXISTS payments
(
    txn_id           String,
    channel_id       String,
    order_id         String,
    idempotency_key  String,
    agreement_no     String,
    payer_key        String,
    reserve_account  String,
    amount           Decimal(18, 2),
    started_at       DateTime('UTC'),
    started_at_ms    UInt64,
    final_deadline   DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
PARTITION BY toYYYYMM(started_at)
ORDER BY txn_id;

-- payment_results: one row per payment.finished, the payment's one final
-- status (success, failure, presumed_success, presumed_failure).
-- payer_debited and reserve_credited are what the saga knew at the end:
-- yes, no or unknown.
CREATE TABLE IF NOT EXISTS payment_results
(
    txn_id           String,
    status           String,
    reason_code      String,
    payer_debited    String,
    reserve_credited String,
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
ORDER BY txn_id;

-- payer_legs: what the payer bank did to the customer's account, one row
-- per payer.payer_debited (kind debited), payer.payer_debit_refused
-- (refused) and payer.payer_debit_reversed (reversed). A payment has at
-- most one row of each kind. amount is 0.00 on refused rows (the refusal
-- carries no amount: see payments). agreement_no is set on debited rows
-- only. day is the Beijing date the debit counts against for the daily
-- limit on debited rows, and the Beijing date of `at` on the others.
CREATE TABLE IF NOT EXISTS payer_legs
(
    txn_id           String,
    kind             String,
    payer_key        String,
    agreement_no     String,
    amount           Decimal(18, 2),
    reason_code      String,
    day              Date,
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
ORDER BY (txn_id, kind);

-- reserve_legs: what the reserve bank did, one row per
-- reserve.reserve_credited (kind credited) and
-- reserve.reserve_credit_refused (refused). On refused rows amount is
-- 0.00 and reserve_account and channel_id are empty (the refusal carries
-- only the reason: see payments).
CREATE TABLE IF NOT EXISTS reserve_legs
(
    txn_id           String,
    kind             String,
    reserve_account  String,
    channel_id       String,
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
ORDER BY (txn_id, kind);
