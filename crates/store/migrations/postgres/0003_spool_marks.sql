-- Where each `charter serve` spool's reader has got to (docs/store.md, "No data lost"). The
-- mark is written in the same transaction as the records it acknowledges, so a restart
-- resumes exactly after the last committed batch: no record lost, none written twice.
CREATE TABLE spool_marks (
    spool TEXT PRIMARY KEY,
    segment BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
