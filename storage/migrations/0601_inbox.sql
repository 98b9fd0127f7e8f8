-- The inbox: updates received from a platform, stored before the platform is
-- told they arrived, and deleted once handled (in the same transaction as the
-- first change their handler commits, or right after a handler that changed
-- nothing). What is left at a start was received but not handled, and is
-- handled first. See bot/inbox.go.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    lane        TEXT NOT NULL,               -- items of one lane (a chat) are handled in order
    seq         INTEGER NOT NULL DEFAULT 0,  -- the platform's update id, 0 if it has none
    payload     TEXT NOT NULL,               -- JSON bot.Incoming
    received_at INTEGER NOT NULL
);
CREATE INDEX inbox_platform ON inbox(platform, id);

-- The highest update id stored per platform (Telegram's update_id), written
-- in the same transaction as the updates: an update delivered again after a
-- crash (stored, not yet confirmed) is recognised and not stored twice.
CREATE TABLE inbox_cursor (
    platform TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL
);
