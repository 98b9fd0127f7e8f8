-- A secretary may put someone on a relay who cannot type (代接龙): such an
-- entry has no chat identity (member_id NULL) unless the person linked one,
-- records the secretary (added_by) and the name the list shows for them
-- (proxy), and is found again by its roster entry or name. SQLite cannot
-- drop NOT NULL from a column, so the table is made again.
CREATE TABLE relay_entries_new (
    id         INTEGER PRIMARY KEY,
    relay_id   INTEGER NOT NULL REFERENCES relays(id),
    member_id  INTEGER REFERENCES members(id),
    roster_id  INTEGER REFERENCES roster(id),
    name       TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    joined_at  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    added_by   INTEGER REFERENCES members(id),
    proxy      TEXT NOT NULL DEFAULT '',
    UNIQUE (relay_id, member_id)
);
INSERT INTO relay_entries_new(id, relay_id, member_id, roster_id, name, note, joined_at, updated_at)
    SELECT id, relay_id, member_id, roster_id, name, note, joined_at, updated_at FROM relay_entries;
DROP TABLE relay_entries;
ALTER TABLE relay_entries_new RENAME TO relay_entries;
CREATE INDEX relay_entries_order ON relay_entries(relay_id, id);
