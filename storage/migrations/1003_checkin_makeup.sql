-- Make-up sign-in (补签, issue 17): a secretary records that a roster
-- member attended a session they did not check in to, with who recorded it
-- and when. It counts as present (补签) in results, statistics, exports and
-- the follow-up.
CREATE TABLE checkin_makeups (
    session_id    INTEGER NOT NULL REFERENCES checkin_sessions(id),
    roster_id     INTEGER NOT NULL REFERENCES roster(id),
    name          TEXT NOT NULL,
    recorded_by   INTEGER NOT NULL REFERENCES members(id),
    recorder_name TEXT NOT NULL,
    at            INTEGER NOT NULL,
    PRIMARY KEY (session_id, roster_id)
) WITHOUT ROWID;
