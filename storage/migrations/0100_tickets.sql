-- Suggestion tickets (意见建议) and their history. For an anonymous ticket
-- filer_name and filer_unit_id stay empty: the filer's member id is kept only
-- so that the filer can list the ticket and receive the answer.

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY,
    filer_member_id    INTEGER NOT NULL REFERENCES members(id),
    filer_roster_id    INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    filer_name         TEXT NOT NULL DEFAULT '',
    filer_unit_id      INTEGER REFERENCES units(id),
    anonymous          INTEGER NOT NULL DEFAULT 0,
    chat_id            INTEGER NOT NULL REFERENCES chats(id),   -- where it was filed
    text               TEXT NOT NULL,
    category           TEXT NOT NULL DEFAULT '',
    keyword            TEXT NOT NULL DEFAULT '',
    department_id      INTEGER NOT NULL REFERENCES units(id),
    decided_by         TEXT NOT NULL DEFAULT 'keywords' CHECK (decided_by IN ('keywords', 'llm')),
    routed_at          INTEGER,                                  -- department told
    state              TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'closed')),
    assignee_roster_id INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    created_at         INTEGER NOT NULL,
    first_due_at       INTEGER NOT NULL,                         -- the deadline the SLA counts
    due_at             INTEGER NOT NULL,                         -- the current deadline (renewed by a reopen)
    remind_at          INTEGER NOT NULL,
    reminded_at        INTEGER,
    escalated_at       INTEGER,
    first_response_at  INTEGER,
    closed_at          INTEGER
);
CREATE INDEX tickets_filer ON tickets(filer_member_id);
CREATE INDEX tickets_filer_roster ON tickets(filer_roster_id) WHERE filer_roster_id IS NOT NULL;
CREATE INDEX tickets_open ON tickets(state, due_at);
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_unrouted ON tickets(created_at) WHERE routed_at IS NULL;

CREATE TABLE ticket_events (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER NOT NULL REFERENCES tickets(id),
    at              INTEGER NOT NULL,
    kind            TEXT NOT NULL,          -- filed, followup, answer, close, reopen, assign
    by_filer        INTEGER NOT NULL DEFAULT 0,
    actor_roster_id INTEGER REFERENCES roster(id) ON DELETE SET NULL,
    actor_name      TEXT NOT NULL DEFAULT '', -- staff name; empty for the filer
    text            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

-- The private chat in which a member last talked to the bot, so that answers
-- to anonymous tickets can be sent privately.
CREATE TABLE private_chats (
    member_id  INTEGER PRIMARY KEY REFERENCES members(id),
    chat_id    INTEGER NOT NULL REFERENCES chats(id),
    updated_at INTEGER NOT NULL
);
