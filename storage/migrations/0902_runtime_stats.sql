-- What the running bot last reported about itself (its lookup caches' hit
-- rates, its memory), for `branchbot stats`, which reads the file. One row
-- per name, rewritten at most once a minute while the bot is busy.
CREATE TABLE runtime_stats (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL,   -- JSON (storage.RuntimeStats)
    at    INTEGER NOT NULL
);
