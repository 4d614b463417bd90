-- Pre-mortems: the whole record as JSON in `doc` (title, launch day, risks, the launch's
-- incidents with the risk each realised), with the title and day beside it.
CREATE TABLE premortems (
    id     BIGINT PRIMARY KEY,
    title  TEXT   NOT NULL,
    launch TEXT,
    doc    TEXT   NOT NULL
);
-- The incident a confidential near-miss report became. Kept apart from the report, whose
-- table holds nothing but the report's text and day.
CREATE TABLE near_miss_incidents (
    near_miss_id BIGINT PRIMARY KEY,
    incident_id  BIGINT NOT NULL
);
