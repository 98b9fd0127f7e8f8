-- Leave (请假) for check-in sessions (issue 17): a linked member asks for
-- leave from a session with a reason; a secretary of the session's group
-- approves or rejects it, with a note. Approved leave counts as 请假, not
-- absent, in results, statistics, exports and the follow-up, and is not
-- reminded.
CREATE TABLE checkin_leaves (
    id           INTEGER PRIMARY KEY,
    session_id   INTEGER NOT NULL REFERENCES checkin_sessions(id),
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
    UNIQUE (session_id, roster_id)
);
