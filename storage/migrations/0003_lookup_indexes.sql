-- Indexes for lookups that read a whole growing table (found by checking
-- the plan of every statement):
-- the identities linked to a roster entry (reviewers and admins are found
-- this way for every broadcast and push; /unlink; absent lists). New members
-- are unlinked, so the index costs nothing on the busiest insert.
CREATE INDEX members_roster ON members(roster_id) WHERE roster_id IS NOT NULL;
-- Messages being sent: reset at start (ResetSending) and counted while the
-- bot drains at exit. It holds only the messages in flight.
CREATE INDEX outbox_sending ON outbox(platform) WHERE state = 'sending';
