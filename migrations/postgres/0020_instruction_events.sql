-- What happened to instructions of counsel, for the Access tab's history of both the firm that
-- instructed and counsel's organisation (an instruction's own row is deleted when it ends).
CREATE TABLE instruction_events (
    id               TEXT   PRIMARY KEY,
    defendant_id     TEXT   NOT NULL REFERENCES defendants (id),
    case_id          TEXT   NOT NULL REFERENCES cases (id),
    instructing_org  TEXT   NOT NULL REFERENCES organisations (id),
    counsel_org      TEXT   NOT NULL REFERENCES organisations (id),
    event            TEXT   NOT NULL CHECK (event IN ('instructed', 'withdrawn', 'lapsed', 'returned')),
    by_user          TEXT   REFERENCES users (id),
    at               BIGINT NOT NULL
);
CREATE INDEX instruction_events_case ON instruction_events (case_id, at);
