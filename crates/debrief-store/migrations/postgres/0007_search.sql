-- The full-text index (debrief-search decides what goes in). One row per term, incident and
-- field, with the term's word positions ("3,17,40") and the field's length in words, so a
-- query reads only the rows of its terms. Both stores keep the same rows, so they rank alike.
-- Terms compare byte by byte (COLLATE "C"), as in SQLite, so prefix ranges agree.
CREATE TABLE search_terms (
    term        TEXT COLLATE "C" NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    field       BIGINT NOT NULL,
    field_len   BIGINT NOT NULL,
    positions   TEXT   NOT NULL,
    PRIMARY KEY (term, incident_id, field)
);
CREATE INDEX search_terms_incident ON search_terms (incident_id);

-- Each indexed field's text (for snippets) and length.
CREATE TABLE search_fields (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    field       BIGINT NOT NULL,
    length      BIGINT NOT NULL,
    text        TEXT   NOT NULL,
    PRIMARY KEY (incident_id, field)
);

-- Running totals for ranking: per field, how many incidents have it and their total length;
-- field -1 counts the incidents indexed.
CREATE TABLE search_stats (
    field     BIGINT PRIMARY KEY,
    docs      BIGINT NOT NULL,
    total_len BIGINT NOT NULL
);

-- Which analyzer built the index; another one rebuilds it (nothing here until the first
-- build, so existing incidents are indexed when the store is next opened).
CREATE TABLE search_meta (
    analyzer BIGINT NOT NULL
);
