-- Study items as follow-up tasks (issue 17). Each item a push delivered
-- to a group is a task for the roster of the group's unit: done by those
-- who marked it studied, due at deadline (the push's time plus its due
-- period: study.pushes[].due, or followup.study_due). Written in the same
-- transaction as the push's message. Items pushed before this migration
-- are given the default period of seven days.
CREATE TABLE study_tasks (
    id        INTEGER PRIMARY KEY,
    chat_id   INTEGER NOT NULL REFERENCES chats(id),
    item_id   INTEGER NOT NULL REFERENCES content_items(id) ON DELETE CASCADE,
    pushed_at INTEGER NOT NULL,
    deadline  INTEGER NOT NULL,
    UNIQUE (chat_id, item_id)
);
CREATE INDEX study_tasks_deadline ON study_tasks(deadline);
CREATE INDEX study_tasks_item ON study_tasks(item_id);
CREATE INDEX study_tasks_chat ON study_tasks(chat_id, pushed_at);

INSERT INTO study_tasks(chat_id, item_id, pushed_at, deadline)
    SELECT chat_id, item_id, occurrence * 1000, occurrence * 1000 + 7 * 86400000 FROM push_deliveries;
