-- Retrospectives: the whole record as JSON in `doc` (title, team, days, items with their
-- votes), with the title and days beside it. Their action items live in action_items, like
-- a review's, so the board, reminders and metrics follow them through.
CREATE TABLE retros (
    id     BIGINT PRIMARY KEY,
    title  TEXT   NOT NULL,
    held   TEXT   NOT NULL,
    closed TEXT,
    doc    TEXT   NOT NULL
);

-- An action item now comes from an incident's review or from a retro: exactly one of the two.
ALTER TABLE action_items ALTER COLUMN incident_id DROP NOT NULL;
ALTER TABLE action_items ADD COLUMN retro_id BIGINT REFERENCES retros (id) ON DELETE CASCADE;
ALTER TABLE action_items ADD CONSTRAINT action_items_one_source
    CHECK ((incident_id IS NULL) <> (retro_id IS NULL));
CREATE INDEX action_items_retro ON action_items (retro_id, position);
