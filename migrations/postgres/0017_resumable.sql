-- Resumable uploads (issue 11, docs/uploads.md): the core of the tus 1.0 protocol. A session is
-- made with the offer (checked as the form's is) and the file's length; the bytes come in one
-- or more appends, each kept as a part in the document store, and `received` moves on only
-- from the offset the append said it started at. Once every byte is there, the parts are read
-- back in order into one document, checked and recorded as any upload is, and the session is
-- done. A session nobody appends to for a day expires; the clean-up job removes its parts.
CREATE TABLE upload_sessions (
    id              TEXT    PRIMARY KEY,   -- 128 random bits: the upload's address
    case_id         TEXT    NOT NULL REFERENCES cases (id),
    defendant_id    TEXT    NOT NULL REFERENCES defendants (id),
    organisation_id TEXT    NOT NULL REFERENCES organisations (id),
    user_id         TEXT    NOT NULL REFERENCES users (id),
    section         TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    file_name       TEXT    NOT NULL,
    send_to_cps     INTEGER NOT NULL CHECK (send_to_cps IN (0, 1)),
    length          BIGINT  NOT NULL CHECK (length > 0),
    received        BIGINT  NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= length),
    status          TEXT    NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'done', 'refused', 'ended')),
    problem         TEXT,                  -- why it was refused
    receipt         TEXT,                  -- the document's receipt, once done
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    CHECK ((status = 'done') = (receipt IS NOT NULL))
);
CREATE INDEX upload_sessions_open ON upload_sessions (status, expires_at);
CREATE INDEX upload_sessions_user ON upload_sessions (user_id, case_id, status);

-- The bytes received so far, one object per append, in order of where each starts.
CREATE TABLE upload_parts (
    session_id  TEXT    NOT NULL REFERENCES upload_sessions (id),
    start       BIGINT  NOT NULL,
    length      BIGINT  NOT NULL CHECK (length > 0),
    storage_key TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (session_id, start)
);
