package checkin

import (
	"context"
	"errors"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Session is one check-in (签到) opened in a group.
type Session struct {
	ID int64 // global: exports and the command line name a session by it
	// Seq numbers the sessions of one chat (1, 2, …): members see #Seq.
	Seq    int64
	ChatID int64
	UnitID int64 // the group's unit when the session was opened
	Title  string
	// MeetingType is the 三会一课 type the session is a meeting of
	// (meetings.types: 支部党员大会, 支委会, …); "" for an ordinary check-in.
	MeetingType string
	// Titles, when set, are the roster titles the session expects (a
	// 支委会: the committee), from meetings.types[].titles at opening.
	Titles   []string
	Code     string // "" when no code is needed
	Expected int    // roster size of the unit at opening
	OpenedBy int64
	OpenedAt time.Time
	Deadline time.Time // on-time check-ins before this instant
	EndsAt   time.Time // late check-ins before this instant (= Deadline if none)
	ClosedAt time.Time // zero while open
	// Present and Late count the check-ins so far, by anyone (Present
	// includes Late); see Tally for the roster's count.
	Present, Late int
	// AnnounceID and ResultID are the outbox ids of the announcement and of
	// the result message.
	AnnounceID int64
	ResultID   int64
}

// AllowsLate reports whether the session takes late check-ins.
func (s Session) AllowsLate() bool { return s.EndsAt.After(s.Deadline) }

// Closed reports whether the session takes no more check-ins at now.
func (s Session) Closed(now time.Time) bool {
	return !s.ClosedAt.IsZero() || !now.Before(s.EndsAt)
}

// Checkin is one member's check-in.
type Checkin struct {
	SessionID int64
	MemberID  int64
	RosterID  int64 // 0 if the member had not linked a roster entry
	UnitID    int64 // the roster entry's unit (0 without one)
	Name      string
	At        time.Time
	Late      bool
}

// Leave statuses.
const (
	LeavePending  = "pending"
	LeaveApproved = "approved"
	LeaveRejected = "rejected"
)

// Leave is a member's request for leave (请假) from a session, and the
// secretary's decision.
type Leave struct {
	ID        int64
	SessionID int64 // 0 for leave asked ahead, until its meeting opens
	// For leave asked ahead (see ahead.go): the group, the meeting type
	// ('' any) and the day (YYYY-MM-DD, '' the next meeting) it is for.
	ChatID      int64
	MeetingType string
	Day         string
	RosterID    int64
	MemberID    int64
	Name        string
	Reason      string
	Status      string
	// DecidedBy and DeciderName: the secretary who approved or rejected it,
	// with Note (the reason of a rejection).
	DecidedBy   int64
	DeciderName string
	Note        string
	CreatedAt   time.Time
	DecidedAt   time.Time
}

// OnLeave lists the roster entries whose leave from a session is approved.
func OnLeave(ls []Leave) map[int64]bool {
	out := map[int64]bool{}
	for _, l := range ls {
		if l.Status == LeaveApproved {
			out[l.RosterID] = true
		}
	}
	return out
}

// Makeup is a make-up sign-in (补签): a secretary recorded that the roster
// member attended a session they did not check in to.
type Makeup struct {
	SessionID    int64
	RosterID     int64
	Name         string
	RecordedBy   int64
	RecorderName string
	At           time.Time
}

// MadeUp lists the roster entries with a make-up sign-in, with who
// recorded it.
func MadeUp(ms []Makeup) map[int64]string {
	out := map[int64]string{}
	for _, m := range ms {
		out[m.RosterID] = m.RecorderName
	}
	return out
}

// Note is a piece of a meeting's minutes (会议记录).
type Note struct {
	SessionID  int64
	Text       string
	MemberID   int64
	AuthorName string
	At         time.Time
}

// Photo is a picture in a session's minutes: File is its name in the
// photo folder (made by the bot, never the sender's).
type Photo struct {
	ID         int64
	SessionID  int64
	File       string
	Bytes      int64
	MemberID   int64
	AuthorName string
	At         time.Time
}

// PhotoWait is a member's wait for photos in a chat (where pictures carry
// no words): the pictures the member sends there before Expires go to the
// session; Taken counts those kept so far.
type PhotoWait struct {
	ChatID    int64
	MemberID  int64
	SessionID int64
	Expires   time.Time
	Taken     int
}

// Attempt is a member checking in to the current session of a chat.
type Attempt struct {
	ChatID   int64
	MemberID int64
	RosterID int64
	UnitID   int64  // the roster entry's unit (0 without one)
	Title    string // the roster entry's title (a 支委会 counts the committee)
	Name     string
	Code     string    // as given; "" if none
	At       time.Time // when the member checked in: the instant it is judged at
}

// Outcome is what becomes of an Attempt (see decide).
type Outcome int

const (
	CheckedIn     Outcome = iota // stored, on time
	CheckedInLate                // stored, late
	Repeat                       // the member had already checked in; nothing changed
	NoSession                    // the chat never had a session
	Closed                       // the latest session is over
	NeedCode                     // the session needs a code and none was given
	WrongCode                    // the code does not match
)

// Answer is what the writer tells the member's handler once the batch that
// held the attempt has committed.
type Answer struct {
	Outcome Outcome
	// Session is the chat's latest session with its counts after the
	// batch (zero for NoSession).
	Session Session
	// Earlier is the member's earlier check-in for Repeat: its session,
	// member and time (the rest is not kept).
	Earlier Checkin
}

// Store is what the check-in feature reads and writes; *storage.DB
// satisfies it.
type Store interface {
	// CheckinSession loads a session by id.
	CheckinSession(ctx context.Context, id int64) (Session, error)
	// LatestCheckin is the chat's most recent session, open or not.
	LatestCheckin(ctx context.Context, chatID int64) (Session, error)
	// CheckinByNumber is the chat's session numbered seq.
	CheckinByNumber(ctx context.Context, chatID, seq int64) (Session, error)
	// CheckinSessionsOfChat lists a chat's sessions opened in [from, to),
	// oldest first; a zero bound is open.
	CheckinSessionsOfChat(ctx context.Context, chatID int64, from, to time.Time) ([]Session, error)
	// CheckinsDue lists sessions still open whose end is at or before now.
	CheckinsDue(ctx context.Context, now time.Time) ([]Session, error)
	// Checkins lists the check-ins of sessions, in the order they were
	// made, each with its roster entry's unit.
	Checkins(ctx context.Context, sessionIDs ...int64) ([]Checkin, error)
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	// Chat and MemberByExternalID find a session's chat and the members a
	// platform lists in it (see groupUnlinked).
	Chat(ctx context.Context, id int64) (bot.Chat, error)
	MemberByExternalID(ctx context.Context, platform, externalID string) (bot.Member, error)
	// ChatsOfUnits lists the chats bound to the units (the console's
	// attendance page).
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)
	LinkedRosterIDs(ctx context.Context, rosterIDs []int64) (map[int64]bool, error)
	// CheckinLeaves lists the leave requests of sessions, oldest first.
	CheckinLeaves(ctx context.Context, sessionIDs ...int64) ([]Leave, error)
	// CheckinMakeups lists the make-up sign-ins of sessions.
	CheckinMakeups(ctx context.Context, sessionIDs ...int64) ([]Makeup, error)
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	// CheckinNotes lists the minutes of sessions, in order.
	CheckinNotes(ctx context.Context, sessionIDs ...int64) ([]Note, error)
	// CheckinPhotos lists the photos of sessions' minutes, in order.
	CheckinPhotos(ctx context.Context, sessionIDs ...int64) ([]Photo, error)
	// PhotoWait is the chat member's wait for photos that has not expired
	// at now; bot.ErrNotFound if none.
	PhotoWait(ctx context.Context, chatID, memberID int64, now time.Time) (PhotoWait, error)
	// CheckinLeave loads one leave request.
	CheckinLeave(ctx context.Context, id int64) (Leave, error)
	// LeavesAhead lists the leave asked ahead in a chat that no session
	// has taken yet, oldest first.
	LeavesAhead(ctx context.Context, chatID int64) ([]Leave, error)

	// UpdateCheckins runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateCheckins(ctx context.Context, now time.Time, fn func(Tx) error) error
	// CheckinBatcher makes a group-commit writer that runs b's batches.
	CheckinBatcher(b Batch) Batcher
}

// Tx is what the feature may do inside one write transaction: change
// sessions and check-ins and queue the messages that say so, which commit
// together or not at all.
type Tx interface {
	// Enqueue queues a message (see bot.Outgoing).
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// EnqueueSnapshots queues many snapshots at once (running counts: text
	// and merge key only), each replacing its pending predecessor where it
	// stands; at[i] is when msgs[i] was made.
	EnqueueSnapshots(msgs []bot.Outgoing, at []time.Time) error
	// PendingSnapshots reports which of msgs (chat and merge key) have a
	// snapshot still waiting to be sent, which the next one will replace.
	PendingSnapshots(msgs []bot.Outgoing) ([]bool, error)

	// CheckinSession loads a session by id, with its counts.
	CheckinSession(id int64) (Session, error)
	// LatestCheckinSessions reads the latest session of each chat that has
	// one, with its counts.
	LatestCheckinSessions(chatIDs []int64) ([]Session, error)
	// CheckinsOfSessions lists the check-ins of sessions, in the order they
	// were made, each with its roster entry's unit.
	CheckinsOfSessions(sessionIDs ...int64) ([]Checkin, error)
	// InsertCheckinSession stores a new session and returns it with its id
	// and the next number of its chat.
	InsertCheckinSession(s Session) (Session, error)
	// SetCheckinAnnouncement and SetCheckinResult remember the outbox ids
	// of a session's announcement and result.
	SetCheckinAnnouncement(sessionID, outboxID int64) error
	SetCheckinResult(sessionID, outboxID int64) error
	// CloseCheckinSession ends a session at at; false if it had ended
	// already.
	CloseCheckinSession(id int64, at time.Time) (bool, error)
	// InsertCheckins stores decided check-ins. If any of them was stored
	// already (by another process, unknown to the writer), it fails with
	// an error that makes the batcher run the batch once more, after After
	// has heard of the failure.
	InsertCheckins(cs []Checkin) error
	// RequestLeave stores a leave request; when the person asked for leave
	// from the session already, it returns that request and false.
	RequestLeave(l Leave) (Leave, bool, error)
	// RequestLeaveAhead stores leave asked ahead (l.SessionID 0); when the
	// person asked the same (chat, type, day) already and no session has
	// taken it, it returns that request and false.
	RequestLeaveAhead(l Leave) (Leave, bool, error)
	// AttachLeavesAhead gives the new session s, opened on day (YYYY-MM-DD),
	// the leave asked ahead in its chat that matches its type and day, one
	// per person (the oldest), none for a person who has leave in s or
	// is checked in to it (the opener); it
	// returns them, oldest first.
	AttachLeavesAhead(s Session, day string) ([]Leave, error)
	// DecideLeave stores to's status and decision if the request is still
	// pending; else it returns ErrStale.
	DecideLeave(to Leave) error
	// AddMakeup stores a make-up sign-in; false when the person has one
	// for the session already.
	AddMakeup(m Makeup) (bool, error)
	// AddNote stores a piece of a session's minutes.
	AddNote(n Note) error
	// AddPhoto stores a photo of a session's minutes and returns how many
	// the session has now.
	AddPhoto(p Photo) (int, error)
	// WaitForPhotos starts w (Taken 0), replacing the member's earlier
	// wait in the chat.
	WaitForPhotos(w PhotoWait) error
	// TookWaitedPhoto counts one more photo in the member's wait in the
	// chat and moves its expiry; it returns the wait as it is now
	// (bot.ErrNotFound if there is none).
	TookWaitedPhoto(chatID, memberID int64, expires time.Time) (PhotoWait, error)
	// EndPhotoWait removes the member's wait in the chat and returns it if
	// it had not expired at now (bot.ErrNotFound if not).
	EndPhotoWait(chatID, memberID int64, now time.Time) (PhotoWait, error)
}

// ErrStale reports that a leave request was decided meanwhile.
var ErrStale = errors.New("leave request decided meanwhile")

// Batcher is a group-commit writer (storage makes one with CheckinBatcher):
// concurrent attempts share write transactions, so a whole room checking
// in at once costs a handful of commits. Do returns once the transaction
// that holds the attempt has committed: a check-in is stored before it is
// acknowledged.
type Batcher interface {
	Do(ctx context.Context, a Attempt) (Answer, error)
	// Settle returns once every attempt handed over is stored and the
	// deferred work is done.
	Settle(ctx context.Context) error
}

// Batch is the feature's side of a Batcher: the batcher calls its methods
// from one goroutine at a time, each Run or RunDeferred inside a write
// transaction of its own.
type Batch interface {
	// Run decides and stores a batch of attempts, one answer each.
	Run(ctx context.Context, tx Tx, in []Attempt) ([]Answer, error)
	// After hears how Run's transaction ended (nil: committed).
	After(err error)
	// Deferred reports work left for a quiet moment (no attempt waiting),
	// which RunDeferred does in a transaction of its own, or in the
	// batch's own when that batch came alone after a pause; AfterDeferred
	// hears how that ended (after After, in the second case).
	Deferred() bool
	RunDeferred(ctx context.Context, tx Tx) error
	AfterDeferred(err error)
}
