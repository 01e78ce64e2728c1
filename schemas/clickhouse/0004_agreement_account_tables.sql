-- Agreements and customer accounts of the payer bank. Same conventions as
-- 0003_payment_tables.sql: ReplacingMergeTree(sequence) keyed by one fact
-- of the log, DateTime('UTC'), Decimal(18, 2), provenance columns.

-- agreements: one row per agreement event: payer.agreement_signed (status
-- active) and payer.agreement_terminated (status terminated), keyed by
-- (agreement_no, status) so the two rows of an agreement both stay. A
-- termination carries only the agreement number: channel_id, signing_id
-- and the limits are empty / 0.00 on terminated rows. The current state
-- of an agreement is its row with the highest sequence (both events are in
-- the payer key's stream, so termination always has the higher one): the
-- view agreements_current does that.
CREATE TABLE IF NOT EXISTS agreements
(
    agreement_no      String,
    status            String,
    channel_id        String,
    payer_key         String,
    signing_id        String,
    per_payment_limit Decimal(18, 2),
    daily_limit       Decimal(18, 2),
    at                DateTime('UTC'),
    event_id          String,
    sequence          UInt64,
    source_topic      String,
    source_partition  UInt32,
    source_offset     UInt64,
    projected_at      DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY (agreement_no, status);

-- customer_accounts: one row per payer.account_opened. Personal data stays
-- out: account_masked keeps at most the first 6 and last 4 characters of
-- the account number (projections/tables.MaskAccount); holder name, ID
-- number and phone are not projected at all. payer_key is the keyed hash
-- that routes the account, the join key to payer_legs and agreements.
CREATE TABLE IF NOT EXISTS customer_accounts
(
    payer_key        String,
    account_masked   String,
    opening_balance  Decimal(18, 2),
    opened_at        DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY payer_key;
