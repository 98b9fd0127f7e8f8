-- The roster person behind a broadcast's author, so that the author cannot
-- approve their own draft from another platform's account (issue 13).
ALTER TABLE broadcasts ADD COLUMN author_roster INTEGER REFERENCES roster(id) ON DELETE SET NULL;
UPDATE broadcasts SET author_roster = (SELECT roster_id FROM members WHERE members.id = broadcasts.author_member);
