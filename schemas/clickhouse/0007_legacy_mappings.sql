-- Migration of stock agreements (存量协议) from the direct-connect era:
-- the mapping from each legacy agreement number to the NetsUnion agreement
-- number it became (legacy.mappings, one legacy.agreement_mapped per
-- legacy number, written by paycore legacy import once the payer bank
-- holds the agreement). Same conventions as 0003_payment_tables.sql:
-- ReplacingMergeTree(sequence), DateTime('UTC'), provenance columns last.
--
-- legacy_mappings: keyed by legacy_no, the mapping's aggregate; a legacy
-- number is mapped once, so a replayed event replaces its own row. Lookups
-- by agreement_no scan the table, which holds one row per migrated
-- agreement. reason says why a mapping was needed: exceeds_field (longer
-- than a NetsUnion agreement number; never truncated) or
-- not_netsunion_form. No personal data: payer_key is the keyed hash that
-- joins customer_accounts, agreements and payer_legs.
CREATE TABLE IF NOT EXISTS legacy_mappings
(
    legacy_no        String,
    agreement_no     String,
    channel_id       String,
    payer_key        String,
    import_id        String,
    reason           String,
    mapped_at        DateTime('UTC'),
    event_id         String,
    sequence         UInt64,
    source_topic     String,
    source_partition UInt32,
    source_offset    UInt64,
    projected_at     DateTime('UTC')
)
ENGINE = ReplacingMergeTree(sequence)
ORDER BY legacy_no;
