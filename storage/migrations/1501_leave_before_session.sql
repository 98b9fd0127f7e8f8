-- foreign_keys: off
-- Leave asked before the meeting is opened (issue 17): a member asks in the
-- group for leave from the group's next meeting, of a type and/or on a day
-- ("/请假 支部党员大会 12月10日 理由", "/请假 下次 理由"). Such a request has
-- no session yet: session_id is NULL, chat_id is the group, meeting_type ''
-- (any type) or a meeting type, day '' (the next one) or YYYY-MM-DD. When a
-- check-in of that group opens and matches, the request is attached to it
-- (session_id set) in the same transaction, keeping its id and decision.
CREATE TABLE checkin_leaves_new (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER REFERENCES checkin_sessions(id),
    chat_id      INTEGER REFERENCES chats(id),
    meeting_type TEXT NOT NULL DEFAULT '',
    day          TEXT NOT NULL DEFAULT '',
    roster_id    INTEGER NOT NULL REFERENCES roster(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    name         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   INTEGER REFERENCES members(id),
    decider_name TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    UNIQUE (session_id, roster_id),
    CHECK (session_id IS NOT NULL OR chat_id IS NOT NULL)
);
INSERT INTO checkin_leaves_new(id, session_id, roster_id, member_id, name, reason, status, decided_by, decider_name, note, created_at, decided_at)
    SELECT id, session_id, roster_id, member_id, name, reason, status, decided_by, decider_name, note, created_at, decided_at FROM checkin_leaves;
DROP TABLE checkin_leaves;
ALTER TABLE checkin_leaves_new RENAME TO checkin_leaves;
-- The requests still waiting for their meeting, by group.
CREATE INDEX checkin_leaves_ahead ON checkin_leaves(chat_id, roster_id) WHERE session_id IS NULL;
