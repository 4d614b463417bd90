-- Problems: incidents that recur as one. Computed from the similar-incident scores
-- (how = 'computed'), and set by hand (how = 'linked' puts an incident in, 'unlinked' keeps
-- it out); what is set by hand wins when the problems are computed again.
CREATE TABLE problems (
    id      INTEGER PRIMARY KEY,
    title   TEXT NOT NULL,
    created TEXT NOT NULL
);

CREATE TABLE problem_incidents (
    problem_id  INTEGER NOT NULL REFERENCES problems (id) ON DELETE CASCADE,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    how         TEXT NOT NULL CHECK (how IN ('computed', 'linked', 'unlinked')),
    PRIMARY KEY (problem_id, incident_id)
);
CREATE INDEX problem_incidents_incident ON problem_incidents (incident_id);
