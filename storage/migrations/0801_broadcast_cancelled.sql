-- foreign_keys: off
-- A broadcast can be withdrawn (/broadcast cancel) before it goes out:
-- the status check gains 'cancelled'. SQLite cannot change a CHECK in place,
-- so the table is rebuilt (broadcast_events keeps referring to it by name).
CREATE TABLE broadcasts_new (
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
    status        TEXT NOT NULL CHECK (status IN ('review', 'rejected', 'sent', 'cancelled')),
    chats         INTEGER NOT NULL DEFAULT 0, -- messages queued at send
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
INSERT INTO broadcasts_new(id, author_member, author_name, origin_chat, target, unit_ids, review_unit, levels, level, text, send_at, status, chats, created_at, updated_at)
    SELECT id, author_member, author_name, origin_chat, target, unit_ids, review_unit, levels, level, text, send_at, status, chats, created_at, updated_at FROM broadcasts;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_new RENAME TO broadcasts;
CREATE INDEX broadcasts_status ON broadcasts(status);
