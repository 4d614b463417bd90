-- The full-text index (debrief-search decides what goes in). One row per term, incident and
-- field, with the term's word positions ("3,17,40") and the field's length in words, so a
-- query reads only the rows of its terms. Both stores keep the same rows, so they rank alike.
CREATE TABLE search_terms (
    term        TEXT    NOT NULL,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    field       INTEGER NOT NULL,
    field_len   INTEGER NOT NULL,
    positions   TEXT    NOT NULL,
    PRIMARY KEY (term, incident_id, field)
) WITHOUT ROWID;
CREATE INDEX search_terms_incident ON search_terms (incident_id);

-- Each indexed field's text (for snippets) and length.
CREATE TABLE search_fields (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    field       INTEGER NOT NULL,
    length      INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    PRIMARY KEY (incident_id, field)
);

-- Running totals for ranking: per field, how many incidents have it and their total length;
-- field -1 counts the incidents indexed.
CREATE TABLE search_stats (
    field     INTEGER PRIMARY KEY,
    docs      INTEGER NOT NULL,
    total_len INTEGER NOT NULL
);

-- Which analyzer built the index; another one rebuilds it (nothing here until the first
-- build, so existing incidents are indexed when the store is next opened).
CREATE TABLE search_meta (
    analyzer INTEGER NOT NULL
);
