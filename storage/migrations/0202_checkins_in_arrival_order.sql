-- Check-ins are stored in the order they arrive (a rowid table) with their
-- uniqueness in a separate index. Kept clustered by session (WITHOUT ROWID),
-- a batch of check-ins from many groups at once dirtied one table page per
-- group, and every dirty page is a frame written to the WAL at commit: a
-- room of 100 groups checking in together wrote ~100 pages per batch. In
-- arrival order a batch fills one or two table pages, and the narrow index
-- (two integers per entry) packs dozens of sessions into each of its pages.
--
-- member_id and roster_id no longer carry foreign keys: members and roster
-- entries are never deleted, the ids come from rows the engine has just
-- read, and the two extra lookups per row were nearly half the cost of
-- storing a batch. The session, which the writer decides on, keeps its key.
CREATE TABLE checkins_new (
    id         INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES checkin_sessions(id),
    member_id  INTEGER NOT NULL,
    roster_id  INTEGER,
    name       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    late       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO checkins_new(session_id, member_id, roster_id, name, at, late)
    SELECT session_id, member_id, roster_id, name, at, late FROM checkins ORDER BY at, session_id, member_id;
DROP TABLE checkins;
ALTER TABLE checkins_new RENAME TO checkins;
CREATE UNIQUE INDEX checkins_once ON checkins(session_id, member_id);
-- Late check-ins counted without reading the table.
CREATE INDEX checkins_late ON checkins(session_id) WHERE late;
-- The counts are counted from the check-ins: a stored counter was a page of
-- checkin_sessions rewritten with every batch.
ALTER TABLE checkin_sessions DROP COLUMN present;
ALTER TABLE checkin_sessions DROP COLUMN late_count;
