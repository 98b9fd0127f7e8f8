-- Check-in (签到): sessions opened in a group and the check-ins of members.
-- A session takes on-time check-ins until deadline, late ones until ends_at
-- (equal to deadline when late check-in is not allowed); closed_at is set
-- when it ends (by /checkin close or at ends_at), result_id once its result
-- was queued.
CREATE TABLE checkin_sessions (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chats(id),
    unit_id     INTEGER REFERENCES units(id),
    title       TEXT NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    expected    INTEGER NOT NULL DEFAULT 0,   -- roster size of the unit at opening
    opened_by   INTEGER NOT NULL REFERENCES members(id),
    opened_at   INTEGER NOT NULL,
    deadline    INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    closed_at   INTEGER,
    present     INTEGER NOT NULL DEFAULT 0,   -- check-ins so far, late ones included
    late_count  INTEGER NOT NULL DEFAULT 0,
    announce_id INTEGER REFERENCES outbox(id),
    result_id   INTEGER REFERENCES outbox(id)
);
CREATE INDEX checkin_sessions_chat ON checkin_sessions(chat_id, id);
CREATE INDEX checkin_sessions_open ON checkin_sessions(ends_at) WHERE closed_at IS NULL;

CREATE TABLE checkins (
    session_id INTEGER NOT NULL REFERENCES checkin_sessions(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    roster_id  INTEGER REFERENCES roster(id),
    name       TEXT NOT NULL,
    at         INTEGER NOT NULL,
    late       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, member_id)
) WITHOUT ROWID;
-- No index on roster_id: statistics read the check-ins of a chat's sessions
-- by session, and every index costs a scattered page write per check-in.
