-- API keys of prosecution systems: one or more per prosecuting authority, created and revoked
-- from the command line. Only a SHA-256 of each key's secret is kept; the key is shown once.
CREATE TABLE prosecution_keys (
    id           TEXT   PRIMARY KEY,
    prosecutor   TEXT   NOT NULL REFERENCES prosecutors (code),
    secret_hash  TEXT   NOT NULL,
    label        TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX prosecution_keys_prosecutor ON prosecution_keys (prosecutor);
