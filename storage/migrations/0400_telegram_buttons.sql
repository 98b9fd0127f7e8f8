-- Telegram limits a button's callback_data to 64 bytes. Longer button data
-- (a command line) is stored here under a short token that the button carries
-- instead; tokens are derived from the data, so the table grows only with
-- distinct long commands, and buttons keep working across restarts.
CREATE TABLE telegram_buttons (
    token      TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
