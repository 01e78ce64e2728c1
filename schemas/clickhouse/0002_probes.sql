-- probes: one row per diagnostic probe (events.ProbeSent) that the
-- operator `probe` command sent through Kafka, written by the projector;
-- finding the row proves the Kafka -> ClickHouse path works end to end.
--
-- A redelivered probe replaces its earlier row (same probe_id); the
-- version column projected_at keeps the latest, whose Kafka coordinates
-- tell the operator where it was last read from. Read with FINAL.
CREATE TABLE IF NOT EXISTS probes
(
    probe_id        String,
    note            String,
    -- Exact yuan with two decimals; Decimal(18, 2) holds every valid
    -- events.Money (at most 999999999999999.99). Never Float64.
    amount          Decimal(18, 2),
    sent_at         DateTime,
    projected_at    DateTime,
    kafka_partition UInt32,
    kafka_offset    UInt64
)
ENGINE = ReplacingMergeTree(projected_at)
ORDER BY probe_id;
