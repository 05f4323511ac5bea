-- Setting up a second factor again after an administrator's reset needs an emailed link
-- ('enrol') and opens a set-up session for it.
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('activate', 'reset', 'enrol'));
ALTER TABLE sessions DROP CONSTRAINT sessions_purpose_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_purpose_check
    CHECK (purpose IN ('sign_in', 'activate', 'reset', 'enrol'));
