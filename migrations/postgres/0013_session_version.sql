-- A number that goes up whenever anything a cached session carries may have changed: a user's
-- row, or a session's stage, keys, confirmation or end (not its last use, which is written
-- every half minute). Each instance keeps the sessions it has looked up in memory and reads this
-- number a few times a second: when it has moved, the instance forgets them all
-- (app/src/session_cache.rs). The triggers bump it in the same transaction as the change, so a
-- change cannot be committed without it. They are deferred to the commit, so the row's lock is the
-- last a transaction takes: two transactions that touch users and sessions in opposite orders
-- cannot deadlock on it, and the bumps are ordered as their transactions commit.
CREATE TABLE session_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO session_version (id, version) VALUES (1, 0);

CREATE FUNCTION session_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE session_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER users_change_sessions AFTER UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION session_version_bump();
CREATE CONSTRAINT TRIGGER sessions_change AFTER UPDATE OF id_hash, user_id, stage, purpose,
    pending_totp, created_at, confirmed_at, ended_at OR DELETE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION session_version_bump();
