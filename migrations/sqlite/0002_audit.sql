-- The audit trail: append-only, each event carrying the hash of the one before it.
CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,   -- 1, 2, 3, … without gaps
    at_ms           BIGINT  NOT NULL,      -- Unix milliseconds, UTC
    actor           TEXT    NOT NULL,      -- who: "user:ID", "staff:ID", "cli", "system", "anonymous"
    organisation_id TEXT,                  -- the actor's organisation, when there is one
    action          TEXT    NOT NULL,      -- what, e.g. "courts.import"
    target          TEXT,                  -- which record, e.g. "case:01AB1234521"
    details         TEXT    NOT NULL,      -- JSON object; never secrets
    client_ip       TEXT,                  -- from where
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL UNIQUE
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- The chain's head: one row, locked by every append so appends form one line.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
