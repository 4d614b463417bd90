-- Alertmanager groups and the incident each opened: later notifications of the same group
-- add to that incident while it is open, and its resolution marks it mitigated.
CREATE TABLE alert_groups (
    group_key   TEXT    PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE
);
