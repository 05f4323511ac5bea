-- "Confirm it is you": when the user last re-entered their password in this session. Changing
-- how they sign in (passkeys, the authenticator app) needs this within the last 10 minutes.
ALTER TABLE sessions ADD COLUMN confirmed_at BIGINT;
