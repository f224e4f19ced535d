-- Dashboard logins (issue 12): a second factor, lockout after failed attempts, and sessions
-- that hold their CSRF token and whether the second factor has been given yet. The session
-- id column holds the SHA-256 of the cookie's token, never the token itself.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
ALTER TABLE sessions ADD COLUMN csrf TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX sessions_user ON sessions(user_id);
