package followup

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Kind is what sort of task something is; each kind has its own automatic
// reminders (followup.offsets.<kind>).
type Kind string

const (
	KindCheckin Kind = "checkin" // a check-in session: the roster of its unit
	KindRelay   Kind = "relay"   // a relay started with for=<单位>
	// KindBroadcast: a broadcast with confirm=yes, the roster of its target
	// units, done by confirming (收到); reminded on request only.
	KindBroadcast Kind = "broadcast"
	// KindStudy: a study item a push delivered to a group, the roster of
	// the group's unit, done by /studied, due the push's due period after
	// it (study.pushes[].due, followup.study_due). Seq is the item's id.
	KindStudy Kind = "study"
)

// Task is something the roster of a unit (and of the units below it) is
// expected to do by a deadline, in a group.
type Task struct {
	Kind     Kind
	ID       int64 // the session's or relay's global id
	Seq      int64 // its #N in the group
	ChatID   int64
	Platform string
	Title    string
	Unit     int64 // whose roster is expected
	// Units, when set, are several units whose rosters are expected (a
	// broadcast's targets), and Chats the groups it was delivered to.
	Units []int64
	// Except are units below Unit left to other tasks: a study item also
	// pushed to the group of a unit below is that group's task for the
	// roster there.
	Except []int64
	// Titles, when set, narrow the expected to the roster entries with
	// one of these titles (a 支委会: the committee).
	Titles  []string
	Chats   []bot.Chat
	Owner   int64 // member id of who opened or started it
	Created time.Time
	// Deadline is when it is due (a session's on-time end, a relay's
	// until); zero for a relay without one.
	Deadline time.Time
	// Closes is when it stops taking part (a session's late end); zero:
	// at Deadline, or only by hand.
	Closes time.Time
	Closed bool // ended by hand or by the ticker
	Cap    int  // a relay's limit (0: none)
	Taken  int  // a relay's entries so far
	// NeedsCode: a check-in session that takes a code (shown in the room).
	NeedsCode bool
}

// Key identifies a task across kinds.
type Key struct {
	Kind Kind
	ID   int64
}

// Key is the task's key.
func (t Task) Key() Key { return Key{t.Kind, t.ID} }

// Identity is one chat identity linked to a roster entry, with the private
// chat the bot has with it (0: none).
type Identity struct {
	Member      bot.Member
	PrivateChat int64
}

// Stamp is when a roster entry did a task (checked in, joined, studied,
// confirmed) or was given leave from it, with a note: 迟到, 补签（记录人）,
// a relay entry's note, the reason of the leave.
type Stamp struct {
	At   time.Time
	Note string
}

// Store is what the follow-up feature reads and writes; *storage.DB
// satisfies it.
type Store interface {
	// OpenTasks lists the tasks taking part at now: check-in sessions not
	// ended, relays with a target unit not closed.
	OpenTasks(ctx context.Context, now time.Time) ([]Task, error)
	// TaskByNumber is the chat's session or relay numbered seq (0: the
	// latest), open or not.
	TaskByNumber(ctx context.Context, kind Kind, chatID, seq int64) (Task, error)
	// TasksDone lists, per task, the roster entries who have done it (checked
	// in, joined).
	TasksDone(ctx context.Context, tasks []Task) (map[Key]map[int64]bool, error)
	// TasksOnLeave lists, per task, the roster entries on approved leave
	// from it (请假 from a check-in session).
	TasksOnLeave(ctx context.Context, tasks []Task) (map[Key]map[int64]bool, error)
	// TaskStamps is, per roster entry, when it did t and when it was given
	// leave from it.
	TaskStamps(ctx context.Context, t Task) (done, leave map[int64]Stamp, err error)
	// PrivateChatsOf lists the private chats the bot has with members.
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	// RosterOfUnits lists the roster entries of units (not those who left).
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	// Identities lists the chat identities linked to roster entries.
	Identities(ctx context.Context, rosterIDs []int64) (map[int64][]Identity, error)
	// FollowupRuns lists, per task, the offsets whose reminder round was
	// done (sent or skipped).
	FollowupRuns(ctx context.Context, tasks []Task) (map[Key][]time.Duration, error)
	Chat(ctx context.Context, id int64) (bot.Chat, error)
	// ClosedCheckins lists the check-in sessions of a unit that ended at or
	// after since.
	ClosedCheckins(ctx context.Context, since time.Time) ([]Task, error)
	// CheckinsExpecting lists the ended sessions of the units opened at or
	// before upTo, the latest first, at most limit.
	CheckinsExpecting(ctx context.Context, unitIDs []int64, upTo time.Time, limit int) ([]Task, error)
	// BroadcastTask is broadcast id as a task: Closed unless it was sent
	// asking for confirmation, Closes window after it went out (when
	// confirmations are no longer taken), Chats the groups it was
	// delivered to.
	BroadcastTask(ctx context.Context, id int64, window time.Duration) (Task, error)
	// TaskByID is the check-in session or relay with the global id, open or
	// not (the console's task pages).
	TaskByID(ctx context.Context, kind Kind, id int64) (Task, error)
	// ConfirmBroadcasts lists the ids of the notices sent with confirm=yes
	// last changed at or after since, newest first, at most limit.
	ConfirmBroadcasts(ctx context.Context, since time.Time, limit int) ([]int64, error)
	// ChatsOfUnits lists the groups bound to the units.
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)

	// UpdateFollowup runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateFollowup(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is one write transaction: a reminder round recorded with the
// reminders it queues.
type Tx interface {
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// ClaimRun records the round of task at offset with its outcome
	// ("sent", "skipped") and how many it reminded; false when the round
	// was recorded already (by another process), and nothing is changed.
	ClaimRun(t Key, offset time.Duration, outcome string, reminded int) (bool, error)
	// StampRemind records a /remind of task t by hand at now, unless the
	// last one was less than every before now: then it changes nothing
	// and returns that one's time and false.
	StampRemind(t Key, now time.Time, every time.Duration) (last time.Time, ok bool, err error)
}
