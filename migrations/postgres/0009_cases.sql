-- Cases as prosecutors send them: the case (by URN), its defendants (a person or a company) and
-- their offences, its hearings, and its material (the files themselves are kept outside the
-- database, named by their SHA-256). `ref` is the prosecutor's own reference for a record, so
-- sending a case again updates the same rows.

-- Prosecuting authorities: who may send cases, and where defence requests to them are emailed.
CREATE TABLE prosecutors (
    code       TEXT   PRIMARY KEY,            -- e.g. CPS
    name       TEXT   NOT NULL,
    email      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE cases (
    id         TEXT   PRIMARY KEY,
    urn        TEXT   NOT NULL UNIQUE,        -- normal form (cases::urn)
    prosecutor TEXT   NOT NULL REFERENCES prosecutors (code),
    court      TEXT   NOT NULL REFERENCES courts (name),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE defendants (
    id            TEXT    PRIMARY KEY,
    case_id       TEXT    NOT NULL REFERENCES cases (id),
    ref           TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('person', 'company')),
    first_name    TEXT,
    last_name     TEXT,
    date_of_birth TEXT,                       -- YYYY-MM-DD
    company_name  TEXT,
    name_key      TEXT    NOT NULL,           -- cases::names::key of the whole name, for search
    CHECK ((kind = 'person' AND first_name IS NOT NULL AND last_name IS NOT NULL
            AND date_of_birth IS NOT NULL AND company_name IS NULL)
        OR (kind = 'company' AND company_name IS NOT NULL AND first_name IS NULL
            AND last_name IS NULL AND date_of_birth IS NULL)),
    UNIQUE (case_id, ref)
);
CREATE INDEX defendants_name_key ON defendants (name_key);

CREATE TABLE offences (
    id           TEXT    PRIMARY KEY,
    defendant_id TEXT    NOT NULL REFERENCES defendants (id),
    ref          TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    wording      TEXT    NOT NULL,
    legislation  TEXT    NOT NULL,
    offence_date TEXT    NOT NULL,            -- YYYY-MM-DD
    UNIQUE (defendant_id, ref)
);

CREATE TABLE hearings (
    id           TEXT   PRIMARY KEY,
    case_id      TEXT   NOT NULL REFERENCES cases (id),
    ref          TEXT   NOT NULL,
    court        TEXT   NOT NULL REFERENCES courts (name),
    courtroom    TEXT   NOT NULL,
    starts_at    BIGINT NOT NULL,             -- Unix seconds
    hearing_type TEXT   NOT NULL,
    UNIQUE (case_id, ref)
);
CREATE INDEX hearings_case_start ON hearings (case_id, starts_at);
CREATE INDEX hearings_start ON hearings (starts_at);

CREATE TABLE material (
    id           TEXT    PRIMARY KEY,
    case_id      TEXT    NOT NULL REFERENCES cases (id),
    defendant_id TEXT    REFERENCES defendants (id),   -- none: material for the whole case
    ref          TEXT    NOT NULL,
    section      TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    idpc         INTEGER NOT NULL CHECK (idpc IN (0, 1)),
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    served_by    TEXT    NOT NULL,            -- the prosecutor's code, or an organisation's id
    served_at    BIGINT  NOT NULL,
    UNIQUE (case_id, ref)
);
CREATE INDEX material_case ON material (case_id, section);
