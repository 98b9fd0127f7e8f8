-- Check-in sessions and relays are numbered per group (#1, #2, … in each
-- chat), so a class's second relay is #2 there, not #37; the id stays the
-- global number that exports and the command line use. Existing rows are
-- numbered in the order they were made.
ALTER TABLE checkin_sessions ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE checkin_sessions SET seq = (SELECT COUNT(*) FROM checkin_sessions o WHERE o.chat_id = checkin_sessions.chat_id AND o.id <= checkin_sessions.id);
CREATE UNIQUE INDEX checkin_sessions_seq ON checkin_sessions(chat_id, seq);

ALTER TABLE relays ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE relays SET seq = (SELECT COUNT(*) FROM relays o WHERE o.chat_id = relays.chat_id AND o.id <= relays.id);
CREATE UNIQUE INDEX relays_seq ON relays(chat_id, seq);
