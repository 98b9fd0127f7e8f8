package meetings

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
)

// Store is what the meetings feature reads; *storage.DB satisfies it. A
// meeting is a check-in session with a meeting type.
type Store interface {
	// MeetingsOfUnit lists the sessions of the unit's groups that carry a
	// meeting type, opened in [from, to), oldest first.
	MeetingsOfUnit(ctx context.Context, unitID int64, from, to time.Time) ([]checkin.Session, error)
	// CheckinNotes lists the minutes of sessions, in order.
	CheckinNotes(ctx context.Context, sessionIDs ...int64) ([]checkin.Note, error)
	// CheckinPhotos lists the photos of sessions' minutes, in order.
	CheckinPhotos(ctx context.Context, sessionIDs ...int64) ([]checkin.Photo, error)
	// UnitCheckinsSince is when the unit's first check-in session was
	// opened; ok is false when it has none.
	UnitCheckinsSince(ctx context.Context, unitID int64) (since time.Time, ok bool, err error)
	// UnitsWithMeetings lists the units that held a meeting since.
	UnitsWithMeetings(ctx context.Context, since time.Time) ([]int64, error)
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error)
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
}
