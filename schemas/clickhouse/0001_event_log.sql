-- event_log: every event paycore projects, one row per event, as it came
-- off Kafka (the source of truth). Projections and analysts query it; it
-- can always be rebuilt by replaying the topics.
--
-- Replays and at-least-once delivery insert the same event again, so the
-- table must collapse duplicates. ReplacingMergeTree keeps one row per
-- sorting key within a partition, so the ORDER BY and the PARTITION BY
-- may only use what every copy of an event shares: event_id (derived
-- deterministically from the command and step that emitted it) and the
-- event's own event_type, aggregate_id and occurred_at. The Kafka
-- coordinates (topic, partition, offset) are left out on purpose:
-- re-publishing or mirroring an event changes them, and the copy must
-- still replace the original.
--
-- The key leads with event_type, then aggregate_id, because that is how
-- the table is read (all events of one type; one payment's history), and
-- ends with event_id to make it unique. Collapsing happens at merge time,
-- not on insert: readers that must not count a duplicate use FINAL (or
-- group by event_id). The version column ingested_at keeps the latest copy.
CREATE TABLE IF NOT EXISTS event_log
(
    event_id       String,
    event_type     String,
    event_version  UInt16,
    aggregate_id   String,
    sequence       UInt64,
    correlation_id String,
    causation_id   String,
    occurred_at    DateTime,
    topic          String,
    -- Quoted: PARTITION and OFFSET are SQL keywords.
    `partition`    UInt32,
    `offset`       UInt64,
    -- The envelope's payload, JSON exactly as received.
    payload        String,
    ingested_at    DateTime
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (event_type, aggregate_id, event_id);
