-- A queued message may carry a file (an export sent into the chat): the
-- path of the file on the bot's disk, read when the message is delivered.
-- Its text is then the file's caption.
ALTER TABLE outbox ADD COLUMN file TEXT NOT NULL DEFAULT '';
