package checkin

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The desk: a unit's check-in sessions by name for its secretary outside a
// chat (the web console), with the scope rule of /checkin stats and
// /export checkin: secretaries of the unit or a unit above it, and admins.

// SessionAttendance is one session of a unit's groups with who came.
type SessionAttendance struct {
	ID       int64
	Seq      int64
	Group    string
	Title    string
	Opened   time.Time
	Open     bool // still taking check-ins
	Expected int  // the roster of the session's unit now
	Attendance
	// LeaveWhy are Attendance.Leave with their reasons: 王五（事由：家中有事）.
	LeaveWhy []string
}

// deskSessions bounds the sessions one page shows.
const deskSessions = 30

// UnitAttendance lists the check-in sessions opened since since in the
// groups bound to a unit and the units below it, newest first (at most 30),
// each against the roster of its unit, if c may see them.
func (f *Feature) UnitAttendance(ctx context.Context, c bot.Caller, unitID int64, since time.Time) ([]SessionAttendance, error) {
	units := f.engine.Units()
	if err := bot.RequireUnit(c, units, bot.RoleSecretary, unitID); err != nil {
		return nil, err
	}
	chats, err := f.store.ChatsOfUnits(ctx, units.Subtree(unitID))
	if err != nil {
		return nil, fmt.Errorf("groups of unit %d: %w", unitID, err)
	}
	var sessions []Session
	titles := map[int64]string{}
	for _, ch := range chats {
		ss, err := f.store.CheckinSessionsOfChat(ctx, ch.ID, since, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("check-ins of chat %d: %w", ch.ID, err)
		}
		titles[ch.ID] = ch.Title
		sessions = append(sessions, ss...)
	}
	slices.SortFunc(sessions, func(a, b Session) int { return b.OpenedAt.Compare(a.OpenedAt) })
	if len(sessions) > deskSessions {
		sessions = sessions[:deskSessions]
	}
	now := f.engine.Now()
	out := make([]SessionAttendance, 0, len(sessions))
	for _, s := range sessions {
		cs, err := f.store.Checkins(ctx, s.ID)
		if err != nil {
			return nil, fmt.Errorf("check-ins of session %d: %w", s.ID, err)
		}
		roster, linked, err := f.rosterOf(ctx, s, units)
		if err != nil {
			return nil, err
		}
		leaves, err := f.store.CheckinLeaves(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		makeups, err := f.store.CheckinMakeups(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		a := classify(s, cs, roster, linked, OnLeave(leaves), MadeUp(makeups), units)
		out = append(out, SessionAttendance{ID: s.ID, Seq: s.Seq, Group: titles[s.ChatID], Title: s.Title, Opened: s.OpenedAt,
			Open: !s.Closed(now), Expected: len(roster), Attendance: a, LeaveWhy: leaveWhy(a.Leave, leaves)})
	}
	return out, nil
}

// leaveWhy writes the names on approved leave with the reason each gave.
func leaveWhy(names []string, leaves []Leave) []string {
	why := map[string]string{}
	for _, l := range leaves {
		if l.Status == LeaveApproved && l.Reason != "" {
			why[l.Name] = l.Reason
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		if r := why[n]; r != "" {
			out[i] = n + "（事由：" + r + "）"
		}
	}
	return out
}
