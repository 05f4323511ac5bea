-- Documents the defence serve by upload (issue 11). They sit in `material` beside what the
-- prosecution serves, with where their bytes are kept and how far they have got: an upload is
-- stored whole, then scanned, and only then served (docs/uploads.md).
ALTER TABLE material ADD COLUMN storage_key TEXT;   -- the object's key (app::objects); none: a
                                                    -- file under DATA_DIR/files by its SHA-256
ALTER TABLE material ADD COLUMN status TEXT NOT NULL DEFAULT 'clean'
    CHECK (status IN ('scanning', 'clean', 'infected', 'scan_failed', 'not_scanned'));
ALTER TABLE material ADD COLUMN uploaded_by TEXT REFERENCES users (id);
ALTER TABLE material ADD COLUMN send_to_cps INTEGER NOT NULL DEFAULT 0 CHECK (send_to_cps IN (0, 1));
ALTER TABLE material ADD COLUMN receipt TEXT;       -- the receipt's reference (uploads)
CREATE UNIQUE INDEX material_receipt ON material (receipt);
CREATE INDEX material_status ON material (status, served_at);
