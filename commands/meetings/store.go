package meetings

import (
	"context"
	"time"

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
}
