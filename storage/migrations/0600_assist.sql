-- Optional model features (commands/assist): per-group opt-in retention of
-- recent messages for /summary, the retained messages themselves, and the
-- daily request budget. Times are Unix milliseconds (UTC).

CREATE TABLE assist_retention (
    chat_id    INTEGER PRIMARY KEY REFERENCES chats(id),
    window_ms  INTEGER NOT NULL,
    set_by     INTEGER REFERENCES members(id),
    set_at     INTEGER NOT NULL
);

CREATE TABLE assist_messages (
    id        INTEGER PRIMARY KEY,
    chat_id   INTEGER NOT NULL REFERENCES chats(id),
    member_id INTEGER REFERENCES members(id),
    sender    TEXT NOT NULL,   -- roster name if linked, else display name, at the time
    text      TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX assist_messages_chat_at ON assist_messages(chat_id, at);

-- One row per day of the engine's time zone ("2026-11-23").
CREATE TABLE assist_budget (
    day               TEXT PRIMARY KEY,
    requests          INTEGER NOT NULL DEFAULT 0,
    failures          INTEGER NOT NULL DEFAULT 0,
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0
);
