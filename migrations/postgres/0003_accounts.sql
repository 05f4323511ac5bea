-- Accounts: organisations, registrations waiting for onboarding, users and their factors,
-- sessions, one-time tokens, sign-in throttling and the email outbox.
-- Times are Unix seconds (UTC); ids are random UUIDs as text; flags are 0/1.

CREATE TABLE organisations (
    id                TEXT    PRIMARY KEY,
    name              TEXT    NOT NULL,
    address           TEXT    NOT NULL,
    postcode          TEXT    NOT NULL,
    laa_account       TEXT,
    sra_number        TEXT,
    bar_number        TEXT,
    accountable_name  TEXT    NOT NULL,
    accountable_email TEXT    NOT NULL,
    accountable_phone TEXT    NOT NULL,
    terms_version     TEXT    NOT NULL,
    terms_signed_name TEXT    NOT NULL,
    terms_signed_at   BIGINT  NOT NULL,
    created_at        BIGINT  NOT NULL
);

CREATE TABLE registrations (
    id              TEXT    PRIMARY KEY,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    source          TEXT    NOT NULL CHECK (source IN ('web', 'csv')),
    organisation    TEXT    NOT NULL,             -- the organisation's name, for the queue
    data            TEXT    NOT NULL,             -- the registration as JSON
    submitted_at    BIGINT  NOT NULL,
    decided_at      BIGINT,
    decided_by      TEXT,
    reason          TEXT,
    organisation_id TEXT    REFERENCES organisations (id)
);
CREATE INDEX registrations_status ON registrations (status, submitted_at);

CREATE TABLE users (
    id               TEXT    PRIMARY KEY,
    organisation_id  TEXT    REFERENCES organisations (id),  -- NULL for HMCTS staff
    staff_role       TEXT,                                   -- 'onboarding' for HMCTS staff
    email            TEXT    NOT NULL UNIQUE,                -- lower case
    first_name       TEXT    NOT NULL,
    last_name        TEXT    NOT NULL,
    roles            TEXT    NOT NULL,                       -- comma list: administrator, advocate, user
    status           TEXT    NOT NULL CHECK (status IN ('invited', 'active', 'locked', 'deregistered', 'removed')),
    password_hash    TEXT,
    change_password  TEXT,                                   -- why a change is due: 'common', 'admin_reset', 'reported'
    totp_secret      TEXT,
    totp_last_step   BIGINT,
    created_at       BIGINT  NOT NULL,
    last_active_at   BIGINT  NOT NULL,                       -- activation or last sign-in
    deregistered_at  BIGINT
);
CREATE INDEX users_organisation ON users (organisation_id);
CREATE INDEX users_activity ON users (status, last_active_at);

CREATE TABLE passkeys (
    credential_id TEXT    PRIMARY KEY,                       -- base64url; unique across all accounts
    user_id       TEXT    NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,                          -- webauthn-rs Passkey as JSON
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- Activation and password-reset links: only the SHA-256 of the token is kept.
CREATE TABLE user_tokens (
    token_hash  TEXT    PRIMARY KEY,
    user_id     TEXT    NOT NULL REFERENCES users (id),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('activate', 'reset')),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- Server-side sessions: only the SHA-256 of the cookie's id is kept.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    handle       TEXT    NOT NULL UNIQUE,                    -- a public id for the sessions page
    user_id      TEXT    NOT NULL REFERENCES users (id),
    stage        TEXT    NOT NULL CHECK (stage IN ('second_factor', 'setup', 'full')),
    purpose      TEXT    NOT NULL CHECK (purpose IN ('sign_in', 'activate', 'reset')),
    pending_totp TEXT,                                       -- an authenticator key being set up
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    client_ip    TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL,
    ended_at     BIGINT,
    ended_reason TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, ended_at);

-- WebAuthn ceremony state, deleted on first use.
CREATE TABLE webauthn_states (
    id          TEXT    PRIMARY KEY,
    user_id     TEXT,
    kind        TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);

-- Failed attempts per account ('account:ID') and per client address ('ip:ADDR').
CREATE TABLE throttle (
    key           TEXT    PRIMARY KEY,
    failures      BIGINT  NOT NULL,
    last_failure  BIGINT  NOT NULL,
    blocked_until BIGINT  NOT NULL
);

-- The transactional outbox: written in the transaction of the change that causes the email.
CREATE TABLE outbox (
    id              TEXT    PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    to_address      TEXT    NOT NULL,
    user_id         TEXT,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    attempts        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    sent_at         BIGINT,
    delivered_via   TEXT,                               -- 'smtp' or 'file'
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- Inactivity warnings: one row per warning per period of inactivity, so the daily job is idempotent.
CREATE TABLE inactivity_warnings (
    user_id        TEXT    NOT NULL REFERENCES users (id),
    last_active_at BIGINT  NOT NULL,
    days_before    BIGINT  NOT NULL,
    outbox_id      TEXT    NOT NULL REFERENCES outbox (id),
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (user_id, last_active_at, days_before)
);
