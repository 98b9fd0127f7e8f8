-- Indexes for the follow-up and 三会一课 reads (issue 17): the sessions of a
-- unit in time order (a member's recent check-ins, a unit's meetings), the
-- sessions that ended lately (missed streaks), and the meetings of a year.
CREATE INDEX checkin_sessions_unit ON checkin_sessions(unit_id, opened_at);
CREATE INDEX checkin_sessions_closed ON checkin_sessions(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX checkin_sessions_meetings ON checkin_sessions(opened_at) WHERE meeting_type != '';
