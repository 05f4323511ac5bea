-- Hearings on the day (issue 12, docs/hearings.md): advocates check in so the court and the
-- Legal Aid Agency know who attends; attendance is the LAA's evidence for paying the advocate,
-- so a check-in is never deleted (withdrawn ones are kept, marked) and a hearing that a
-- prosecution import no longer sends is marked vacated rather than removed.

-- The court says when a hearing has ended (check-ins close then, or at the end of its day).
ALTER TABLE hearings ADD COLUMN ended_at BIGINT;
ALTER TABLE hearings ADD COLUMN ended_by TEXT REFERENCES users (id);
-- No longer sent by the prosecutor: kept for its check-ins, shown nowhere.
ALTER TABLE hearings ADD COLUMN vacated_at BIGINT;
CREATE INDEX hearings_court_start ON hearings (court, starts_at);

-- Court staff (staff_role 'court') work at one court.
ALTER TABLE users ADD COLUMN staff_court TEXT REFERENCES courts (name);

-- Counsel instructed by the firm on record for a defendant: an advocate of another
-- organisation (such as a self-employed barrister). Their organisation acts for the defendant
-- while the instructing firm stays on record (a read joins associations: when the firm stops
-- acting, the instruction lapses with it).
CREATE TABLE instructions (
    defendant_id       TEXT   NOT NULL REFERENCES defendants (id),
    case_id            TEXT   NOT NULL REFERENCES cases (id),
    organisation_id    TEXT   NOT NULL REFERENCES organisations (id),  -- counsel's
    user_id            TEXT   NOT NULL REFERENCES users (id),          -- the advocate told
    instructing_org    TEXT   NOT NULL REFERENCES organisations (id),
    instructed_by      TEXT   NOT NULL REFERENCES users (id),
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (defendant_id, organisation_id)
);
CREATE INDEX instructions_organisation ON instructions (organisation_id, case_id);
CREATE INDEX instructions_case ON instructions (case_id);

-- A check-in: one live one (not withdrawn) per advocate per hearing, enforced by the index;
-- `version` counts its changes, so a change says which version it saw.
CREATE TABLE checkins (
    id              TEXT    PRIMARY KEY,
    hearing_id      TEXT    NOT NULL REFERENCES hearings (id),
    case_id         TEXT    NOT NULL REFERENCES cases (id),
    court           TEXT    NOT NULL REFERENCES courts (name),
    advocate_id     TEXT    NOT NULL REFERENCES users (id),
    organisation_id TEXT    NOT NULL REFERENCES organisations (id),
    advocate_name   TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('solicitor', 'solicitor_advocate',
                                   'junior_counsel', 'leading_counsel', 'kings_counsel')),
    attendance      TEXT    NOT NULL CHECK (attendance IN ('in_person', 'video')),
    checked_in_by   TEXT    NOT NULL REFERENCES users (id),
    checked_in_at   BIGINT  NOT NULL,
    changed_at      BIGINT  NOT NULL,
    withdrawn_at    BIGINT,
    withdrawn_by    TEXT    REFERENCES users (id),
    attended        INTEGER CHECK (attended IN (0, 1)),              -- none: not marked yet
    attended_by     TEXT    REFERENCES users (id),
    attended_at     BIGINT,
    version         INTEGER NOT NULL
);
CREATE UNIQUE INDEX checkins_live ON checkins (hearing_id, advocate_id) WHERE withdrawn_at IS NULL;
CREATE INDEX checkins_hearing ON checkins (hearing_id);
CREATE INDEX checkins_court_day ON checkins (court, checked_in_at);

CREATE TABLE checkin_defendants (
    checkin_id   TEXT NOT NULL REFERENCES checkins (id),
    defendant_id TEXT NOT NULL REFERENCES defendants (id),
    PRIMARY KEY (checkin_id, defendant_id)
);

-- What live pages are sent, per topic (a court's boards: `court:<name>`), in commit order:
-- each writer takes the topic's next number under the row lock of live_sequences, so numbers
-- are handed out in the order the transactions commit, and a page that reconnects asks for
-- everything after the last number it saw (Last-Event-ID). Kept: the record of the day.
CREATE TABLE live_sequences (
    topic TEXT   PRIMARY KEY,
    last  BIGINT NOT NULL
);
CREATE TABLE live_events (
    topic   TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    kind    TEXT   NOT NULL,
    payload TEXT   NOT NULL,                   -- JSON
    at      BIGINT NOT NULL,
    PRIMARY KEY (topic, seq)
);

-- iCalendar feeds: a secret per user (its SHA-256 kept), revoked by replacing it.
CREATE TABLE calendar_feeds (
    user_id     TEXT   PRIMARY KEY REFERENCES users (id),
    token_hash  TEXT   NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
