-- 三会一课 (issue 17): a check-in session may be a meeting of a configured
-- type (支部党员大会, 支委会, 党课, …); '' for an ordinary check-in.
ALTER TABLE checkin_sessions ADD COLUMN meeting_type TEXT NOT NULL DEFAULT '';
