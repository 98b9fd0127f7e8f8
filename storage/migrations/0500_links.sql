-- Identity links that need proof (issue 13): one-time link codes per roster
-- entry, links requested without a code and decided by a secretary, failed
-- attempts for rate limiting, and a log of every link and unlink.

-- How each identity came to be linked: code, approval, preset (config),
-- legacy (number and name alone, before codes existed).
ALTER TABLE members ADD COLUMN link_method TEXT NOT NULL DEFAULT '';
UPDATE members SET link_method = 'legacy' WHERE roster_id IS NOT NULL;

-- A link code is stored as a salted SHA-256 of its normalised text. At most
-- one code per entry is usable: issuing a new one revokes the older ones.
CREATE TABLE link_codes (
    id         INTEGER PRIMARY KEY,
    roster_id  INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE,
    salt       BLOB NOT NULL,
    hash       BLOB NOT NULL,
    issued_by  TEXT NOT NULL,              -- 命令行 or the issuer's name
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER REFERENCES members(id),
    revoked_at INTEGER
);
CREATE INDEX link_codes_usable ON link_codes(roster_id) WHERE used_at IS NULL AND revoked_at IS NULL;

CREATE TABLE link_requests (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    roster_id   INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL REFERENCES chats(id),   -- where it was asked, for the answer
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT ''
);
-- One pending request per identity.
CREATE UNIQUE INDEX link_requests_pending ON link_requests(member_id) WHERE state = 'pending';
CREATE INDEX link_requests_roster ON link_requests(roster_id, state);

-- Failed link attempts, counted per identity and per entry over a window.
CREATE TABLE link_failures (
    id        INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id),
    roster_id INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX link_failures_member ON link_failures(member_id, at);
CREATE INDEX link_failures_roster ON link_failures(roster_id, at) WHERE roster_id IS NOT NULL;

CREATE TABLE link_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    roster_id  INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    member_id  INTEGER NOT NULL REFERENCES members(id),
    action     TEXT NOT NULL,              -- linked, unlinked
    method     TEXT NOT NULL DEFAULT '',   -- code, approval, preset; for unlinked: by whom
    actor_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX link_events_roster ON link_events(roster_id, id);
