-- A long text goes out in several parts: how many of them the platform has
-- taken, so that a failure on a later part never sends the earlier ones
-- again, across restarts too. (A send whose outcome is unknown, a timeout
-- after the request was written, is state 'unknown': not sent again.)
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
