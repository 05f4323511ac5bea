-- A defence user without a URN asks the HMCTS service centre for it: the client's details, and
-- the answer (the URN, or why not) that comes back in the product and by email.
CREATE TABLE urn_requests (
    id              TEXT   PRIMARY KEY,
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    requested_by    TEXT   NOT NULL REFERENCES users (id),
    first_name      TEXT   NOT NULL,
    last_name       TEXT   NOT NULL,
    date_of_birth   TEXT   NOT NULL,             -- YYYY-MM-DD
    address         TEXT   NOT NULL,
    court           TEXT,
    hearing_date    TEXT,                        -- YYYY-MM-DD
    status          TEXT   NOT NULL CHECK (status IN ('open', 'answered', 'not_found')),
    answer_urn      TEXT,
    answer_reason   TEXT,
    answered_by     TEXT   REFERENCES users (id),
    answered_at     BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX urn_requests_status ON urn_requests (status, created_at);
CREATE INDEX urn_requests_organisation ON urn_requests (organisation_id, created_at);
