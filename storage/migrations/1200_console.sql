-- The web console (issue 19): sign-in passwords of roster entries (argon2id
-- PHC strings), sessions (only a SHA-256 of the cookie's token is stored),
-- and failed sign-ins for the lockout per address and per account.

CREATE TABLE console_passwords (
    roster_id INTEGER PRIMARY KEY REFERENCES roster(id) ON DELETE CASCADE,
    hash      TEXT NOT NULL,
    set_at    INTEGER NOT NULL
);

CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    roster_id  INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX console_sessions_roster ON console_sessions(roster_id);
CREATE INDEX console_sessions_expiry ON console_sessions(expires_at);

CREATE TABLE console_login_failures (
    id      INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    account TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX console_login_failures_address ON console_login_failures(address, at);
CREATE INDEX console_login_failures_account ON console_login_failures(account, at);
