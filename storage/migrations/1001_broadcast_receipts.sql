-- Read receipts of broadcasts (issue 17): a broadcast drafted with
-- confirm=yes asks its readers to answer 收到 (or press the button); each
-- roster person's first confirmation is kept, with the identity and group
-- it came from.
ALTER TABLE broadcasts ADD COLUMN confirm INTEGER NOT NULL DEFAULT 0;

CREATE TABLE broadcast_receipts (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    roster_id    INTEGER NOT NULL REFERENCES roster(id),
    member_id    INTEGER NOT NULL REFERENCES members(id),
    chat_id      INTEGER NOT NULL REFERENCES chats(id),
    at           INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, roster_id)
) WITHOUT ROWID;
