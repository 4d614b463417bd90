-- Confidential near-miss reports. Nothing that could identify the reporter is kept: no
-- name, no address, no session, and the day of the report, not its time.
CREATE TABLE near_misses (
    id            INTEGER PRIMARY KEY,
    reported_on   TEXT    NOT NULL,
    what          TEXT    NOT NULL,
    made_possible TEXT    NOT NULL DEFAULT '',
    stopped_it    TEXT    NOT NULL DEFAULT ''
);
