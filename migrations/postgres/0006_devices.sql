-- Browsers that completed a sign-in: an attempt to sign in to the same account from one of them
-- is throttled on its own, not with its address or the email typed (docs/security.md).
CREATE TABLE devices (
    token_hash   TEXT   PRIMARY KEY,
    user_id      TEXT   NOT NULL REFERENCES users (id),
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);
