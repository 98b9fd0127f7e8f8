-- Photos in the minutes of a meeting (issue 17): a secretary sends a
-- picture captioned "/会议记录 #N" where the platform hands pictures to the
-- bot; the file is kept in the data directory under a name the bot made
-- (file: relative to <data_dir>/minutes), with who sent it.
CREATE TABLE checkin_photos (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES checkin_sessions(id),
    file        TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    author_name TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX checkin_photos_of ON checkin_photos(session_id, id);
