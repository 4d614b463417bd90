-- Signals: distinct masked log messages, their counts per five-minute bucket and service,
-- a few example lines each, and a record of every scan.
CREATE TABLE signal_sequences (
    id           BIGINT PRIMARY KEY,
    key          TEXT   NOT NULL UNIQUE,
    first_bucket BIGINT NOT NULL,
    last_bucket  BIGINT NOT NULL
);

CREATE TABLE signal_counts (
    sequence_id BIGINT NOT NULL REFERENCES signal_sequences (id),
    bucket      BIGINT NOT NULL,
    service     TEXT   NOT NULL,
    count       BIGINT NOT NULL,
    failing     BIGINT NOT NULL,
    PRIMARY KEY (sequence_id, bucket, service)
);

CREATE INDEX signal_counts_by_bucket ON signal_counts (bucket);

CREATE TABLE signal_examples (
    sequence_id BIGINT NOT NULL REFERENCES signal_sequences (id),
    slot        BIGINT NOT NULL,
    at          TEXT,
    service     TEXT   NOT NULL,
    line        TEXT   NOT NULL,
    variables   TEXT   NOT NULL,
    PRIMARY KEY (sequence_id, slot)
);

CREATE TABLE signal_scans (
    id           BIGINT PRIMARY KEY,
    scanned_at   TEXT   NOT NULL,
    source       TEXT   NOT NULL,
    lines        BIGINT NOT NULL,
    parsed       BIGINT NOT NULL,
    empty        BIGINT NOT NULL,
    invalid_utf8 BIGINT NOT NULL,
    oversized    BIGINT NOT NULL,
    binary_lines BIGINT NOT NULL,
    undated      BIGINT NOT NULL,
    overflow     BIGINT NOT NULL
);
