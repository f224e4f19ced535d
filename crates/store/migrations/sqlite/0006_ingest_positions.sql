-- Where `charter ingest` (and serve's followed files) got to in each log file: the file's
-- identity (device and inode), the byte offset after the last line whose records are
-- committed, and a hash of the file's first bytes to tell a rotated or truncated file from
-- the one read before. Written in the same transaction as the records of the lines before
-- it, so a restart neither loses nor repeats a line (docs/ingest.md).
CREATE TABLE ingest_positions (
    source TEXT PRIMARY KEY,
    device BIGINT NOT NULL,
    inode BIGINT NOT NULL,
    byte_offset BIGINT NOT NULL,
    head_len BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    lines BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
