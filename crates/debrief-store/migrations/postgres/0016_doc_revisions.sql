-- A counter for each kind of record searched in memory (experiments, pre-mortems, retros,
-- near-miss reports), raised in the transaction of every write to it: a search keeps the
-- analysed text while the counter stands still, and reads it again when it moves.
CREATE TABLE doc_revisions (
    name TEXT   PRIMARY KEY,
    rev  BIGINT NOT NULL
);
