-- Retrospectives: the whole record as JSON in `doc` (title, team, days, items with their
-- votes), with the title and days beside it. Their action items live in action_items, like
-- a review's, so the board, reminders and metrics follow them through.
CREATE TABLE retros (
    id     INTEGER PRIMARY KEY,
    title  TEXT    NOT NULL,
    held   TEXT    NOT NULL,
    closed TEXT,
    doc    TEXT    NOT NULL
);

-- An action item now comes from an incident's review or from a retro: exactly one of the
-- two. SQLite cannot drop a NOT NULL, so the table is rebuilt with its rows and indexes.
CREATE TABLE action_items_new (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
    retro_id    INTEGER REFERENCES retros (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    owner_team  TEXT,
    due         TEXT,
    status      TEXT    NOT NULL,
    link        TEXT,
    opened      TEXT,
    closed      TEXT,
    worked      INTEGER CHECK (worked IN (0, 1)),
    CHECK ((incident_id IS NULL) <> (retro_id IS NULL))
);
INSERT INTO action_items_new (id, incident_id, position, title, kind, owner_team, due, status,
                              link, opened, closed, worked)
    SELECT id, incident_id, position, title, kind, owner_team, due, status, link, opened,
           closed, worked
    FROM action_items;
DROP TABLE action_items;
ALTER TABLE action_items_new RENAME TO action_items;
CREATE INDEX action_items_incident ON action_items (incident_id, position);
CREATE INDEX action_items_due ON action_items (status, due);
CREATE INDEX action_items_retro ON action_items (retro_id, position);
