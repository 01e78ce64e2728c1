-- Views for analysts over the tables of 0003 and 0004. Plain (not
-- materialized) views: they read the tables with FINAL at query time, so
-- they never count a replayed event twice and need no backfill.
--
-- Portable to ClickHouse 18.16: one JOIN per SELECT, ANY LEFT JOIN with
-- USING, no window functions, no named subqueries. Right-hand columns of
-- the join are renamed (r_*), and outputs never alias a column name that
-- an aggregate of the same SELECT reads, which old and new releases
-- resolve differently.

-- transactions: one row per payment, finished or not. status is the final
-- status, or pending while payment.finished has not been projected;
-- reason_code, payer_debited and reserve_credited are empty, and
-- finished_at and latency_ms NULL, while pending. latency_ms is
-- payment.started to payment.finished in milliseconds.
CREATE VIEW IF NOT EXISTS transactions AS
SELECT
    txn_id,
    channel_id,
    order_id,
    agreement_no,
    payer_key,
    reserve_account,
    amount,
    started_at,
    if(r_status != '', r_status, 'pending') AS status,
    r_reason_code AS reason_code,
    r_payer_debited AS payer_debited,
    r_reserve_credited AS reserve_credited,
    if(r_status != '', r_finished_at, NULL) AS finished_at,
    if(r_status != '', toInt64(r_finished_at_ms) - toInt64(started_at_ms), NULL) AS latency_ms,
    r_status != '' AS finished
FROM
(
    SELECT txn_id, channel_id, order_id, agreement_no, payer_key, reserve_account,
           amount, started_at, started_at_ms
    FROM payments FINAL
)
ANY LEFT JOIN
(
    SELECT txn_id,
           status AS r_status,
           reason_code AS r_reason_code,
           payer_debited AS r_payer_debited,
           reserve_credited AS r_reserve_credited,
           finished_at AS r_finished_at,
           finished_at_ms AS r_finished_at_ms
    FROM payment_results FINAL
)
USING (txn_id);

-- hourly_rollups: per hour (of started_at, UTC), channel and reserve
-- account. Rates are shares of the finished payments of the row (NULL
-- when none finished); latency quantiles are over finished payments.
-- quantile is ClickHouse's sampling quantile (exact up to 8192 values per
-- group, an estimate above).
CREATE VIEW IF NOT EXISTS hourly_rollups AS
SELECT
    toStartOfHour(started_at) AS hour,
    channel_id,
    reserve_account,
    count() AS payments,
    sum(amount) AS total_amount,
    countIf(finished = 1) AS finished_payments,
    countIf(status = 'pending') AS pending,
    countIf(status = 'success') AS success,
    countIf(status = 'failure') AS failure,
    countIf(status = 'presumed_success') AS presumed_success,
    countIf(status = 'presumed_failure') AS presumed_failure,
    sumIf(amount, status = 'success') AS success_amount,
    if(finished_payments = 0, NULL, success / finished_payments) AS success_rate,
    if(finished_payments = 0, NULL, failure / finished_payments) AS failure_rate,
    if(finished_payments = 0, NULL, presumed_success / finished_payments) AS presumed_success_rate,
    if(finished_payments = 0, NULL, presumed_failure / finished_payments) AS presumed_failure_rate,
    if(finished_payments = 0, NULL, (presumed_success + presumed_failure) / finished_payments) AS presumed_rate,
    quantile(0.5)(toFloat64(latency_ms)) AS latency_p50_ms,
    quantile(0.99)(toFloat64(latency_ms)) AS latency_p99_ms
FROM transactions
GROUP BY hour, channel_id, reserve_account;

-- agreements_current: one row per agreement, its state now: status
-- active or terminated (the row of agreements with the highest sequence),
-- the signing's channel, limits and time, and terminated_at (NULL while
-- active). Duplicate-proof without FINAL: argMax and any over copies of
-- one event give the same answer.
CREATE VIEW IF NOT EXISTS agreements_current AS
SELECT
    agreement_no,
    a_status AS status,
    a_channel_id AS channel_id,
    a_payer_key AS payer_key,
    a_signing_id AS signing_id,
    a_per_payment_limit AS per_payment_limit,
    a_daily_limit AS daily_limit,
    if(a_signed > 0, a_signed_at, NULL) AS signed_at,
    if(a_terminated > 0, a_terminated_at, NULL) AS terminated_at
FROM
(
    SELECT
        agreement_no,
        argMax(status, sequence) AS a_status,
        anyIf(channel_id, status = 'active') AS a_channel_id,
        any(payer_key) AS a_payer_key,
        anyIf(signing_id, status = 'active') AS a_signing_id,
        maxIf(per_payment_limit, status = 'active') AS a_per_payment_limit,
        maxIf(daily_limit, status = 'active') AS a_daily_limit,
        countIf(status = 'active') AS a_signed,
        minIf(at, status = 'active') AS a_signed_at,
        countIf(status = 'terminated') AS a_terminated,
        maxIf(at, status = 'terminated') AS a_terminated_at
    FROM agreements
    GROUP BY agreement_no
);
