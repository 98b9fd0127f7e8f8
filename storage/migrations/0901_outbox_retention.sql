-- Retention of the outbox: delivered, failed and superseded messages are
-- deleted some time after they were queued (retention.outbox), in small
-- batches (storage/retention.go). What outlives them:

-- A broadcast's delivery to each group, for /broadcast status: one compact
-- row per broadcast and group instead of the message. Rows are written
-- before their message is deleted; those of broadcasts already finished are
-- written here, so nothing depends on when the first pruning runs.
CREATE TABLE broadcast_deliveries (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    chat_id      INTEGER NOT NULL REFERENCES chats(id),
    state        TEXT NOT NULL,              -- delivered, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    delivered_at INTEGER,
    PRIMARY KEY (broadcast_id, chat_id)
) WITHOUT ROWID;

INSERT INTO broadcast_deliveries(broadcast_id, chat_id, state, attempts, last_error, delivered_at)
SELECT CAST(substr(idem_key, 4, instr(substr(idem_key, 4), ':') - 1) AS INTEGER), chat_id, state, attempts, last_error, delivered_at
FROM outbox WHERE idem_key >= 'bc:' AND idem_key < 'bc;' AND state IN ('delivered', 'failed')
  AND CAST(substr(idem_key, 4, instr(substr(idem_key, 4), ':') - 1) AS INTEGER) IN (SELECT id FROM broadcasts)
ON CONFLICT DO NOTHING;

-- The rows that refer to a message: a message is deleted only when none
-- does (an open relay's list, a pending edit), and these indexes let the
-- deletion find them (SQLite also looks for them to enforce the keys).
CREATE INDEX relays_list ON relays(list_id) WHERE list_id IS NOT NULL;
CREATE INDEX checkin_sessions_announce ON checkin_sessions(announce_id) WHERE announce_id IS NOT NULL;
CREATE INDEX checkin_sessions_result ON checkin_sessions(result_id) WHERE result_id IS NOT NULL;
CREATE INDEX outbox_edit_of ON outbox(edit_of) WHERE edit_of IS NOT NULL;
