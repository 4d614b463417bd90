-- debrief schema 1 (PostgreSQL). Times are RFC 3339 UTC text to the second, dates YYYY-MM-DD;
-- both sort as text. Booleans are 0/1. Child rows keep their order in `position`.
CREATE TABLE incidents (
    id           BIGINT PRIMARY KEY,
    title        TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    near_miss    BIGINT  NOT NULL DEFAULT 0 CHECK (near_miss IN (0, 1)),
    severity     TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    review_state TEXT    NOT NULL,
    started_at   TEXT,
    detected_at  TEXT,
    mitigated_at TEXT,
    resolved_at  TEXT,
    detection    TEXT,
    summary      TEXT    NOT NULL DEFAULT '',
    impact       TEXT    NOT NULL DEFAULT '',
    notes        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX incidents_started ON incidents (started_at);

CREATE TABLE incident_services (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    service     TEXT    NOT NULL,
    PRIMARY KEY (incident_id, position)
);
CREATE INDEX incident_services_service ON incident_services (service);

CREATE TABLE impact_metrics (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (incident_id, name)
);

CREATE TABLE timeline_entries (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    at          TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    known       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE factors (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    title       TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE whys (
    incident_id     BIGINT  NOT NULL,
    factor_position BIGINT  NOT NULL,
    position        BIGINT  NOT NULL,
    text            TEXT    NOT NULL,
    PRIMARY KEY (incident_id, factor_position, position),
    FOREIGN KEY (incident_id, factor_position) REFERENCES factors (incident_id, position) ON DELETE CASCADE
);

CREATE TABLE lessons (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    text        TEXT    NOT NULL,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE action_items (
    id          BIGINT PRIMARY KEY,
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position    BIGINT  NOT NULL,
    title       TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    owner_team  TEXT,
    due         TEXT,
    status      TEXT    NOT NULL,
    link        TEXT,
    opened      TEXT,
    closed      TEXT
);
CREATE INDEX action_items_incident ON action_items (incident_id, position);
CREATE INDEX action_items_due ON action_items (status, due);
