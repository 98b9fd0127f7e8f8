package checkin

import (
	"slices"

	"github.com/branchbot/branchbot/bot"
)

// A meeting type may expect only part of its unit's roster: a 支委会 the
// branch committee, by roster title (meetings.types[].titles). The
// session keeps those titles from its opening (Session.Titles); these
// rules say who it expects, and are used wherever a session is counted
// against its roster (the result, /checkin stats, make-ups, the export and
// the 台账, the follow-up).

// WithMeetingTitles sets, per meeting type, the roster titles a session of
// that type expects (types not listed expect the whole roster), and
// returns f.
func (f *Feature) WithMeetingTitles(titles map[string][]string) *Feature {
	f.meetingTitles = titles
	return f
}

// Expects reports whether the session expects roster entry e, by title
// (its unit is checked by the caller): every entry when the session has
// no Titles.
func (s Session) Expects(e bot.RosterEntry) bool {
	return len(s.Titles) == 0 || slices.Contains(s.Titles, e.Title)
}

// ExpectedOf is the part of roster (its unit's) that session s expects.
func ExpectedOf(s Session, roster []bot.RosterEntry) []bot.RosterEntry {
	if len(s.Titles) == 0 {
		return roster
	}
	var out []bot.RosterEntry
	for _, e := range roster {
		if s.Expects(e) {
			out = append(out, e)
		}
	}
	return out
}

// expectedSet is the roster ids of expected (ExpectedOf's result), or nil
// when the session expects its whole roster.
func expectedSet(s Session, expected []bot.RosterEntry) map[int64]bool {
	if len(s.Titles) == 0 {
		return nil
	}
	set := make(map[int64]bool, len(expected))
	for _, e := range expected {
		set[e.ID] = true
	}
	return set
}

// kindAmong is KindOf for a session that expects part of its roster: a
// check-in of its unit by someone it does not expect (an ordinary member
// sitting in on a 支委会, 列席) is Outside. expected is expectedSet's.
func kindAmong(s Session, c Checkin, units *bot.UnitTree, expected map[int64]bool) Kind {
	k := KindOf(s, c, units)
	if k == Expected && expected != nil && !expected[c.RosterID] {
		return Outside
	}
	return k
}

// KindAmong is kindAmong for the packages that count a session's
// check-ins against the roster it expects (the export): expected is
// ExpectedOf's result.
func KindAmong(s Session, units *bot.UnitTree, expected []bot.RosterEntry) func(Checkin) Kind {
	set := expectedSet(s, expected)
	return func(c Checkin) Kind { return kindAmong(s, c, units, set) }
}

// expectedIn counts the sessions that expect roster entry e (by title).
func expectedIn(sessions []Session, e bot.RosterEntry) int {
	n := 0
	for _, s := range sessions {
		if s.Expects(e) {
			n++
		}
	}
	return n
}

// sittingIn is the kind of attempt a's check-in in the running count: k
// (KindOf's), unless the session expects only some titles and a's is not
// one of them (列席: Outside). After a restart the count is rebuilt from
// the stored check-ins, which do not carry titles; the result is always
// counted from the roster (classify).
func sittingIn(s Session, a Attempt, k Kind) Kind {
	if k == Expected && !s.Expects(bot.RosterEntry{Title: a.Title}) {
		return Outside
	}
	return k
}
