-- Acknowledged lint findings: a finding of a review's prose that its authors looked at and
-- chose to keep, with their reason. It stays visible but no longer blocks publishing. The
-- finding is named by its id (rule and a hash of the sentence), so an edited sentence is a
-- new finding that needs a new look.
CREATE TABLE finding_acks (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    finding     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    acked_at    TEXT    NOT NULL,
    PRIMARY KEY (incident_id, finding)
);
