-- Experiments: the whole record as JSON in `doc` (the domain value), with the columns that
-- lists and windows read beside it.
CREATE TABLE experiments (
    id         BIGINT PRIMARY KEY,
    title      TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    outcome    TEXT,
    started_at TEXT,
    ended_at   TEXT,
    doc        TEXT   NOT NULL
);
CREATE INDEX experiments_ended ON experiments (ended_at);
