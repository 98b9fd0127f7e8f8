-- Core tables: the organisation tree, the roster, chats, members and the
-- durable outbox. Times are Unix milliseconds (UTC).

CREATE TABLE units (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES units(id)
);

CREATE TABLE roster (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    number     TEXT NOT NULL UNIQUE,          -- 学号 / 工号
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    title      TEXT NOT NULL DEFAULT '',      -- 角色 as written
    role       TEXT NOT NULL DEFAULT 'member',
    phone      TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
CREATE INDEX roster_unit ON roster(unit_id);

CREATE TABLE chats (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('group', 'private')),
    title       TEXT NOT NULL DEFAULT '',
    unit_id     INTEGER REFERENCES units(id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    UNIQUE (platform, external_id)
);
CREATE INDEX chats_unit ON chats(unit_id);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    roster_id   INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    linked_at   INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (platform, external_id)
);
-- One platform identity per roster entry and platform: nobody can claim an
-- entry that someone else on the same platform already linked.
CREATE UNIQUE INDEX members_roster_link ON members(platform, roster_id) WHERE roster_id IS NOT NULL;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL REFERENCES chats(id),
    platform        TEXT NOT NULL,
    text            TEXT NOT NULL,
    buttons         TEXT NOT NULL DEFAULT '',   -- JSON [][]Button
    mention_member  INTEGER REFERENCES members(id),
    reply_to        TEXT NOT NULL DEFAULT '',
    idem_key        TEXT UNIQUE,
    merge_key       TEXT NOT NULL DEFAULT '',
    edit_of         INTEGER REFERENCES outbox(id),
    bulk            INTEGER NOT NULL DEFAULT 0,
    not_before      INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    platform_msg_id TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox(platform, chat_id, id) WHERE state = 'pending';
CREATE INDEX outbox_merge ON outbox(chat_id, merge_key) WHERE state = 'pending' AND merge_key != '';
