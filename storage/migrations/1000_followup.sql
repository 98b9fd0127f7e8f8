-- Follow-up (issue 17). A relay started with for=<单位> is a task: the
-- roster of that unit (and the units below it) is expected to join it.
-- followup_runs records each automatic reminder round of a task (one per
-- task and offset before its deadline), in the same transaction as the
-- reminders it queues: a restart or a second engine never repeats a round,
-- and a round that did not commit is done again.
ALTER TABLE relays ADD COLUMN target_unit INTEGER REFERENCES units(id);

CREATE TABLE followup_runs (
    kind      TEXT NOT NULL,          -- 'relay', 'checkin'
    task_id   INTEGER NOT NULL,
    offset_s  INTEGER NOT NULL,       -- seconds relative to the deadline (-3600)
    outcome   TEXT NOT NULL,          -- 'sent', 'skipped'
    reminded  INTEGER NOT NULL DEFAULT 0,
    at        INTEGER NOT NULL,
    PRIMARY KEY (kind, task_id, offset_s)
) WITHOUT ROWID;

