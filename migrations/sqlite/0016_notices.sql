-- What a served document sets off (issue 11, docs/uploads.md): the email to the CPS when the
-- uploader ticked "Send to CPS", and the HMCTS service centre's inbox for sections where an
-- upload may need action. Both are written in the transaction that makes the document
-- servable (recorded unscanned, or scanned clean), never before.

-- An email may carry one document from the document store. The sender reads it when it sends,
-- checks its SHA-256 against this one, and never sends other bytes.
ALTER TABLE outbox ADD COLUMN attachment_key TEXT;
ALTER TABLE outbox ADD COLUMN attachment_name TEXT;
ALTER TABLE outbox ADD COLUMN attachment_type TEXT;
ALTER TABLE outbox ADD COLUMN attachment_sha256 TEXT;

-- Each document sent to the CPS: attached, or (over the attachment limit) as a link that works
-- until it expires. Only the link's SHA-256 is kept. When it went is the outbox row's sent_at.
CREATE TABLE cps_sends (
    material_id     TEXT    PRIMARY KEY REFERENCES material (id),
    outbox_id       TEXT    NOT NULL REFERENCES outbox (id),
    mode            TEXT    NOT NULL CHECK (mode IN ('attachment', 'link')),
    link_hash       TEXT    UNIQUE,
    link_expires_at BIGINT,
    created_at      BIGINT  NOT NULL,
    CHECK ((mode = 'link') = (link_hash IS NOT NULL AND link_expires_at IS NOT NULL))
);

-- The service centre's inbox: documents that may need action, open until a member of staff
-- marks one done (conditional on it being open).
CREATE TABLE service_centre_inbox (
    material_id TEXT    PRIMARY KEY REFERENCES material (id),
    case_id     TEXT    NOT NULL REFERENCES cases (id),
    outbox_id   TEXT    NOT NULL REFERENCES outbox (id),
    created_at  BIGINT  NOT NULL,
    done_at     BIGINT,
    done_by     TEXT    REFERENCES users (id),
    CHECK ((done_at IS NULL) = (done_by IS NULL))
);
CREATE INDEX service_centre_inbox_open ON service_centre_inbox (done_at, created_at);
