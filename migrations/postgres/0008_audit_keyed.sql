-- The audit chain is keyed (HMAC-SHA256 under AUDIT_KEY): each event names the key that made its
-- MAC. Events written before have none and keep their unkeyed hash. Appends now queue without
-- a head row (which the service role would have needed to UPDATE); checkpoints outside the
-- database take its place for finding removed events.
ALTER TABLE audit_events ADD COLUMN key_id TEXT;
DROP TABLE audit_head;
