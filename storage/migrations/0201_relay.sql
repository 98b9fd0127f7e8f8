-- Activity relays (接龙): a numbered sign-up list with an optional limit
-- (beyond it members wait in order) and an optional closing time. An entry's
-- place is its rank by id among the relay's entries, so a member who leaves
-- makes everyone behind move up without rewriting rows.
CREATE TABLE relays (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES chats(id),
    title      TEXT NOT NULL,
    cap        INTEGER NOT NULL DEFAULT 0,    -- 0: no limit
    until      INTEGER NOT NULL DEFAULT 0,    -- 0: open until closed
    started_by INTEGER NOT NULL REFERENCES members(id),
    created_at INTEGER NOT NULL,
    closed_at  INTEGER,
    list_id    INTEGER REFERENCES outbox(id)  -- the list message edited in place
);
CREATE INDEX relays_chat ON relays(chat_id, id);
CREATE INDEX relays_open ON relays(until) WHERE closed_at IS NULL;

CREATE TABLE relay_entries (
    id         INTEGER PRIMARY KEY,
    relay_id   INTEGER NOT NULL REFERENCES relays(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    roster_id  INTEGER REFERENCES roster(id),
    name       TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    joined_at  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (relay_id, member_id)
);
CREATE INDEX relay_entries_order ON relay_entries(relay_id, id);
