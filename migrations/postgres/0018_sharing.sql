-- Defence material shared with a co-defendant's representatives (issue 11, docs/uploads.md):
-- a defence upload is seen by the court, the prosecution and the firm that served it, and by
-- the firm on record for a defendant it is shared with — whichever firm that is at the time.
-- The uploading firm adds and removes shares; each change is audited.
CREATE TABLE material_shares (
    material_id  TEXT   NOT NULL REFERENCES material (id),
    defendant_id TEXT   NOT NULL REFERENCES defendants (id),
    shared_by    TEXT   NOT NULL REFERENCES users (id),
    shared_at    BIGINT NOT NULL,
    PRIMARY KEY (material_id, defendant_id)
);
CREATE INDEX material_shares_defendant ON material_shares (defendant_id);

-- Material a firm on record has not opened yet: new from the prosecution's import, or shared
-- with it by another defendant's firm. The case shows a "new" tag until a member of the firm
-- opens its material; the firm is emailed when the rows are written.
CREATE TABLE material_unseen (
    organisation_id TEXT   NOT NULL REFERENCES organisations (id),
    material_id     TEXT   NOT NULL REFERENCES material (id),
    case_id         TEXT   NOT NULL REFERENCES cases (id),
    since           BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, material_id)
);
CREATE INDEX material_unseen_case ON material_unseen (organisation_id, case_id);
