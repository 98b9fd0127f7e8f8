-- A meeting type may expect only the roster entries with certain titles
-- (meetings.types[].titles: 支委会 → 书记, 副书记, 组织委员, …). The titles
-- are kept with the session when it is opened (comma separated; '' for
-- the whole roster), so a later config change does not rewrite who was
-- expected at a past meeting.
ALTER TABLE checkin_sessions ADD COLUMN expect_titles TEXT NOT NULL DEFAULT '';
