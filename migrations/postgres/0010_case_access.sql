-- Defence access to cases: the declaration of appointment a user makes on finding a case, each
-- download of its material, the firm on record for each defendant (at most one: the primary
-- key), every change of who is on record, requests to the firm on record to release a
-- defendant, and requests to the prosecutor for a missing IDPC.

CREATE TABLE declarations (
    id              TEXT   PRIMARY KEY,
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    user_id         TEXT   NOT NULL REFERENCES users (id),
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    declared_at     BIGINT NOT NULL
);
CREATE INDEX declarations_user_case ON declarations (user_id, case_id);
CREATE INDEX declarations_case ON declarations (case_id, declared_at);

CREATE TABLE downloads (
    id              TEXT   PRIMARY KEY,
    material_id     TEXT   NOT NULL REFERENCES material (id),
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    defendant_id    TEXT   REFERENCES defendants (id),
    user_id         TEXT   NOT NULL REFERENCES users (id),
    organisation_id TEXT   REFERENCES organisations (id),
    downloaded_at   BIGINT NOT NULL
);
CREATE INDEX downloads_case ON downloads (case_id, organisation_id, downloaded_at);

-- The firm on record for a defendant. One row per defendant at most: two firms associating at
-- the same moment cannot both succeed.
CREATE TABLE associations (
    defendant_id    TEXT   PRIMARY KEY REFERENCES defendants (id),
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    nature          TEXT   NOT NULL CHECK (nature IN ('order_granted', 'order_applied',
                                                      'court_appointed', 'pro_bono', 'private')),
    laa_account     TEXT,
    associated_by   TEXT   REFERENCES users (id),          -- none: moved by an LAA order
    associated_at   BIGINT NOT NULL
);
CREATE INDEX associations_organisation ON associations (organisation_id, case_id);
CREATE INDEX associations_case ON associations (case_id);

CREATE TABLE association_events (
    id              TEXT   PRIMARY KEY,
    defendant_id    TEXT   NOT NULL REFERENCES defendants (id),
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    event           TEXT   NOT NULL CHECK (event IN ('associated', 'disassociated', 'moved_in',
                                                     'moved_out')),
    nature          TEXT,
    laa_account     TEXT,
    by_user         TEXT   REFERENCES users (id),
    at              BIGINT NOT NULL,
    outbox_id       TEXT                                   -- the email to the LAA
);
CREATE INDEX association_events_case ON association_events (case_id, at);
CREATE INDEX association_events_organisation ON association_events (organisation_id, at);

CREATE TABLE release_requests (
    id                TEXT   PRIMARY KEY,
    defendant_id      TEXT   NOT NULL REFERENCES defendants (id),
    case_id           TEXT   NOT NULL REFERENCES cases (id),
    from_organisation TEXT   NOT NULL REFERENCES organisations (id),
    to_organisation   TEXT   NOT NULL REFERENCES organisations (id),
    requested_by      TEXT   NOT NULL REFERENCES users (id),
    message           TEXT   NOT NULL,
    status            TEXT   NOT NULL CHECK (status IN ('open', 'released', 'closed')),
    created_at        BIGINT NOT NULL,
    closed_at         BIGINT
);
CREATE UNIQUE INDEX release_requests_one_open
    ON release_requests (defendant_id, from_organisation) WHERE status = 'open';
CREATE INDEX release_requests_case ON release_requests (case_id, status);

CREATE TABLE idpc_requests (
    id              TEXT   PRIMARY KEY,
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    requested_by    TEXT   NOT NULL REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    outbox_id       TEXT   NOT NULL
);
-- One request per case: two users asking at once send the prosecutor one email.
CREATE UNIQUE INDEX idpc_requests_case ON idpc_requests (case_id);
