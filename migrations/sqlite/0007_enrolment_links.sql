-- Setting up a second factor again after an administrator's reset needs an emailed link
-- ('enrol') and opens a set-up session for it. SQLite cannot change a CHECK: rebuild both tables.
CREATE TABLE user_tokens_new (
    token_hash  TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('activate', 'reset', 'enrol')),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
INSERT INTO user_tokens_new SELECT token_hash, user_id, purpose, created_at, expires_at, used_at FROM user_tokens;
DROP TABLE user_tokens;
ALTER TABLE user_tokens_new RENAME TO user_tokens;
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE sessions_new (
    id_hash      TEXT    PRIMARY KEY,
    handle       TEXT    NOT NULL UNIQUE,
    user_id      TEXT    NOT NULL REFERENCES users (id),
    stage        TEXT    NOT NULL CHECK (stage IN ('second_factor', 'setup', 'full')),
    purpose      TEXT    NOT NULL CHECK (purpose IN ('sign_in', 'activate', 'reset', 'enrol')),
    pending_totp TEXT,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    client_ip    TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    ended_at     BIGINT,
    ended_reason TEXT,
    confirmed_at BIGINT
);
INSERT INTO sessions_new SELECT id_hash, handle, user_id, stage, purpose, pending_totp, created_at,
    last_seen_at, client_ip, user_agent, ended_at, ended_reason, confirmed_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id, ended_at);
