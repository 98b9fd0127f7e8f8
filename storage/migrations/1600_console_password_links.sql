-- One-time links to set a console password, sent to a person's private
-- chat with the bot (/console, or the sign-in page's forgot form): only a
-- SHA-256 of the token is stored; a link expires and is used once.

CREATE TABLE console_password_links (
    token_hash TEXT PRIMARY KEY,
    roster_id  INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX console_password_links_roster ON console_password_links(roster_id, created_at);
CREATE INDEX console_password_links_expiry ON console_password_links(expires_at);
