-- Organisation settings: the accountable person as a user, second-factor resets, the last
-- sign-in, requests to HMCTS, and indexes for the organisation's audit page.

-- The accountable person is one of the organisation's users when they have an account (the
-- name, email and phone columns stay as the contact details). A transfer names the new person
-- and waits for them to confirm.
ALTER TABLE organisations ADD COLUMN accountable_user_id TEXT REFERENCES users (id);
ALTER TABLE organisations ADD COLUMN accountable_pending_id TEXT REFERENCES users (id);
ALTER TABLE organisations ADD COLUMN accountable_pending_at BIGINT;
ALTER TABLE organisations ADD COLUMN updated_at BIGINT;

UPDATE organisations SET accountable_user_id = (
    SELECT u.id FROM users u
    WHERE u.organisation_id = organisations.id AND u.email = lower(organisations.accountable_email)
);

-- Set when an administrator resets the user's second factors: the next sign-in sets one up.
ALTER TABLE users ADD COLUMN factor_reset_at BIGINT;
-- The last completed sign-in (last_active_at also counts activation).
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
-- When the user was removed from the organisation.
ALTER TABLE users ADD COLUMN removed_at BIGINT;

-- "Tell HMCTS": an organisation closing or merging (terms of use, item 15).
CREATE TABLE organisation_requests (
    id              TEXT    PRIMARY KEY,
    organisation_id TEXT    NOT NULL REFERENCES organisations (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('close', 'merge')),
    effective_on    TEXT    NOT NULL,                       -- YYYY-MM-DD
    merge_with      TEXT,
    details         TEXT    NOT NULL,
    requested_by    TEXT    NOT NULL REFERENCES users (id),
    created_at      BIGINT  NOT NULL,
    outbox_id       TEXT    NOT NULL REFERENCES outbox (id)
);
CREATE INDEX organisation_requests_organisation ON organisation_requests (organisation_id, created_at);

CREATE INDEX audit_events_organisation ON audit_events (organisation_id, seq);
CREATE INDEX audit_events_target ON audit_events (target, seq);
