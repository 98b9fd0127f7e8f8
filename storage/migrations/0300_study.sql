-- Study content, who studied what, and the bookkeeping of scheduled pushes.
-- Times are Unix milliseconds (UTC); push occurrences are Unix seconds.

CREATE TABLE content_items (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,          -- file name without .md
    column_name TEXT NOT NULL,                 -- 栏目
    title       TEXT NOT NULL,
    summary     TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '',      -- comma separated
    units       TEXT NOT NULL DEFAULT '',      -- comma separated unit names; '' = everyone
    published_at INTEGER NOT NULL,
    imported_at INTEGER NOT NULL
);
CREATE INDEX content_items_published ON content_items(published_at);
CREATE INDEX content_items_column ON content_items(column_name, published_at);

CREATE TABLE study_marks (
    item_id   INTEGER NOT NULL REFERENCES content_items(id) ON DELETE CASCADE,
    roster_id INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    chat_id   INTEGER REFERENCES chats(id),
    at        INTEGER NOT NULL,
    PRIMARY KEY (item_id, roster_id)
);
CREATE INDEX study_marks_roster ON study_marks(roster_id);

-- When the bot first saw each schedule: occurrences before are not "missed".
CREATE TABLE push_schedules (
    name       TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL               -- Unix seconds
);

-- One row per handled occurrence of a schedule. status: running (fan-out
-- started, to be finished after a crash), done, skipped (missed beyond
-- catch_up; skipped counts how many occurrences the row stands for), manual
-- (/push now; does not move the schedule).
CREATE TABLE push_runs (
    schedule   TEXT NOT NULL,
    occurrence INTEGER NOT NULL,              -- Unix seconds
    status     TEXT NOT NULL CHECK (status IN ('running', 'done', 'skipped', 'manual')),
    manual     INTEGER NOT NULL DEFAULT 0,
    skipped    INTEGER NOT NULL DEFAULT 0,
    chats      INTEGER NOT NULL DEFAULT 0,    -- messages queued
    started_at INTEGER NOT NULL,
    done_at    INTEGER,
    PRIMARY KEY (schedule, occurrence)
);

-- Which item went to which chat (queued in the same transaction as the
-- outbox message), for "a column's next unread item".
CREATE TABLE push_deliveries (
    chat_id    INTEGER NOT NULL REFERENCES chats(id),
    item_id    INTEGER NOT NULL REFERENCES content_items(id) ON DELETE CASCADE,
    schedule   TEXT NOT NULL,
    occurrence INTEGER NOT NULL,
    outbox_id  INTEGER NOT NULL,
    PRIMARY KEY (chat_id, item_id)
);
