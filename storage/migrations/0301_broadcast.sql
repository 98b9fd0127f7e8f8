-- Broadcast drafts, their review chain and every decision.

CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    author_member INTEGER NOT NULL REFERENCES members(id),
    author_name   TEXT NOT NULL,
    origin_chat   INTEGER NOT NULL REFERENCES chats(id),
    target        TEXT NOT NULL,              -- unit name or #tag as typed
    unit_ids      TEXT NOT NULL,              -- comma separated root units
    review_unit   INTEGER REFERENCES units(id),-- whose review chain applies
    levels        INTEGER NOT NULL,           -- review levels at creation
    level         INTEGER NOT NULL DEFAULT 0, -- levels approved so far
    text          TEXT NOT NULL,
    send_at       INTEGER,                    -- deliver not before (ms)
    status        TEXT NOT NULL CHECK (status IN ('review', 'rejected', 'sent')),
    chats         INTEGER NOT NULL DEFAULT 0, -- messages queued at send
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX broadcasts_status ON broadcasts(status);

CREATE TABLE broadcast_events (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    at           INTEGER NOT NULL,
    actor_member INTEGER REFERENCES members(id),
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,               -- created, approved, rejected, sent
    level        INTEGER NOT NULL DEFAULT 0,  -- 1-based level decided, 0 otherwise
    level_name   TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX broadcast_events_of ON broadcast_events(broadcast_id, id);
