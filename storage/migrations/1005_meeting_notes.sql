-- Minutes of a meeting (会议记录, issue 17): text a secretary attaches to a
-- check-in session, several pieces in order, with who wrote each.
CREATE TABLE checkin_notes (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES checkin_sessions(id),
    text        TEXT NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    author_name TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX checkin_notes_of ON checkin_notes(session_id, id);
