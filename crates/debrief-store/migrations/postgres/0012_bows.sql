-- Failures people volunteered to tell in the digest's "failure bows" slot. No name is kept:
-- the person tells it themselves; the day it was offered, not the time.
CREATE TABLE bows (
    id       BIGINT PRIMARY KEY,
    added_on TEXT   NOT NULL,
    text     TEXT   NOT NULL
);
CREATE INDEX bows_added_on ON bows (added_on);
