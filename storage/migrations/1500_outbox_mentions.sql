-- Members a message names in its text (issue 17): a group reminder names
-- several members, each as "@姓名" in the text, and each adapter notifies
-- them its own way (Telegram text_mention entities, QQ at segments). JSON
-- array of {"UserID","Name"}, in the order they appear; '' for none.
ALTER TABLE outbox ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
