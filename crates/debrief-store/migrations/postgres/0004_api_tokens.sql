-- API tokens for `debrief serve`. Only a SHA-256 hash of each token is kept (the token is
-- 32 random bytes, so a fast hash is enough: there is nothing to guess from it), with the
-- first characters of the token to tell tokens apart in a list.
CREATE TABLE api_tokens (
    id          BIGINT  PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    hash        TEXT    NOT NULL UNIQUE,
    prefix      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
