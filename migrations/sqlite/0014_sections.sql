-- The sections a case's material is served in: reference data, not code (docs/sections.md).
-- Who may serve a document in each (the defence, the prosecution, the court), whether a defence
-- upload there tells the HMCTS service centre that action may be needed, and whether the upload
-- form offers "Send to CPS" (the document emailed to the prosecutor as well).
CREATE TABLE sections (
    code                    TEXT    PRIMARY KEY,
    position                INTEGER NOT NULL UNIQUE,      -- the order pages list them in
    name_en                 TEXT    NOT NULL,
    name_cy                 TEXT    NOT NULL,
    defence                 INTEGER NOT NULL CHECK (defence IN (0, 1)),
    prosecution             INTEGER NOT NULL CHECK (prosecution IN (0, 1)),
    court                   INTEGER NOT NULL CHECK (court IN (0, 1)),
    notifies_service_centre INTEGER NOT NULL CHECK (notifies_service_centre IN (0, 1)),
    send_to_cps             INTEGER NOT NULL CHECK (send_to_cps IN (0, 1))
);
INSERT INTO sections (code, position, name_en, name_cy, defence, prosecution, court,
                      notifies_service_centre, send_to_cps) VALUES
    ('idpc',                   1,  'IDPC', 'IDPC', 0, 1, 0, 0, 0),
    ('case-summary',           2,  'Case summary', 'Crynodeb o’r achos', 0, 1, 0, 0, 0),
    ('statements',             3,  'Statements', 'Datganiadau', 1, 1, 0, 0, 1),
    ('exhibits',               4,  'Exhibits', 'Arddangosion', 1, 1, 0, 0, 1),
    ('unused-material',        5,  'Unused material', 'Deunydd heb ei ddefnyddio', 0, 1, 0, 0, 0),
    ('defence-statement',      6,  'Defence statement', 'Datganiad yr amddiffyniad', 1, 0, 0, 0, 1),
    ('pet-form',               7,  'Preparation for effective trial (PET) form',
                                   'Ffurflen paratoi ar gyfer treial effeithiol (PET)', 1, 1, 1, 0, 1),
    ('plea',                   8,  'Plea', 'Ple', 1, 0, 1, 1, 1),
    ('applications',           9,  'Applications', 'Ceisiadau', 1, 1, 1, 1, 1),
    ('court-orders',           10, 'Court orders', 'Gorchmynion llys', 0, 0, 1, 0, 0),
    ('general-correspondence', 11, 'General correspondence', 'Gohebiaeth gyffredinol', 1, 1, 1, 1, 0);
