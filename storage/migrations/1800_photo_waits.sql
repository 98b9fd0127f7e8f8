-- Photos of minutes where a picture carries no words (WeChat): the
-- secretary says "/会议照片 #N" first, and the pictures the same member
-- sends in the same chat until expires go to session N. One wait per chat
-- and member; taken counts the photos kept in it. A wait past its expiry
-- is no wait; it is replaced by the next or removed when it ends.
CREATE TABLE checkin_photo_waits (
    chat_id    INTEGER NOT NULL REFERENCES chats(id),
    member_id  INTEGER NOT NULL REFERENCES members(id),
    session_id INTEGER NOT NULL REFERENCES checkin_sessions(id),
    expires    INTEGER NOT NULL,
    taken      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, member_id)
);
