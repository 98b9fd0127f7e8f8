-- The roster person behind a broadcast's author, so that the author cannot
-- approve their own draft from another platform's account (issue 13). Kept
-- beside broadcasts (which later migrations rebuild) rather than in it.
CREATE TABLE broadcast_authors (
    broadcast_id INTEGER PRIMARY KEY REFERENCES broadcasts(id),
    roster_id    INTEGER NOT NULL REFERENCES roster(id) ON DELETE CASCADE
);
INSERT INTO broadcast_authors(broadcast_id, roster_id)
    SELECT b.id, m.roster_id FROM broadcasts b JOIN members m ON m.id = b.author_member WHERE m.roster_id IS NOT NULL;
