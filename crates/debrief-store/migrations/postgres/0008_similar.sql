-- Which incidents resemble which: scored when an incident is written (debrief-store
-- similar.rs), the closest five kept, with why (JSON: words, services, factors, signals).
CREATE TABLE similar_incidents (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    other_id    BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    score       DOUBLE PRECISION NOT NULL,
    reasons     TEXT NOT NULL,
    PRIMARY KEY (incident_id, other_id)
);
CREATE INDEX similar_incidents_other ON similar_incidents (other_id, score);
