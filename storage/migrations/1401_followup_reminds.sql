-- The last /remind of each task by hand (issue 17), for its rate limit
-- (followup.remind_every). Written in the same transaction as the
-- reminders it queued; automatic rounds are in followup_runs.
CREATE TABLE followup_reminds (
    kind    TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (kind, task_id)
) WITHOUT ROWID;
