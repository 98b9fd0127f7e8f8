-- Indexes that keep the statements run per message and per tick from
-- reading more as history grows (storage/plans_test.go checks every plan).

-- The supervisor and notice chats are found by title (ActiveGroupsByTitle).
CREATE INDEX chats_title ON chats(title);

-- A chat's messages whatever their state: moving them when Telegram gives a
-- group a new id (MigrateChat) and listing them.
CREATE INDEX outbox_chat ON outbox(chat_id);

-- The earliest pending message of a platform (when the sender wakes next)
-- and the count of those due, without reading every pending message.
CREATE INDEX outbox_due ON outbox(platform, not_before) WHERE state = 'pending';

-- Pending replies (not bulk), which overtake a backlog of broadcasts: found
-- without reading the backlog.
CREATE INDEX outbox_replies ON outbox(platform, id) WHERE state = 'pending' AND bulk = 0;

-- Open tickets not escalated yet: the tick reads these, not every open
-- ticket ever escalated and never answered.
CREATE INDEX tickets_to_escalate ON tickets(due_at) WHERE state = 'open' AND escalated_at IS NULL;

-- Push fan-outs left running by a crash, looked for on every tick.
CREATE INDEX push_runs_running ON push_runs(occurrence) WHERE status = 'running';

-- Roster entries by name (/unlink, /assign name a person as typed) and by
-- title (a review level's reviewers), instead of reading the whole roster.
CREATE INDEX roster_name ON roster(name);
CREATE INDEX roster_title ON roster(title);
