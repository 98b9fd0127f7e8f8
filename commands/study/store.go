package study

import (
	"context"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Item is one piece of study material.
type Item struct {
	ID          int64
	Slug        string // the file name without .md; the key for re-imports
	Column      string // 栏目
	Title       string
	Summary     string
	Link        string
	Body        string
	Tags        []string
	Units       []string // unit names the item is for; empty: everyone
	PublishedAt time.Time
}

// Mark records that a roster entry studied an item.
type Mark struct {
	ItemID   int64
	RosterID int64
	MemberID int64 // the identity that said /studied
	ChatID   int64 // where
	At       time.Time
}

// Push run statuses.
const (
	RunRunning = "running" // fan-out started; finished after a crash
	RunDone    = "done"
	RunSkipped = "skipped" // missed beyond study.catch_up
	RunManual  = "manual"  // /push now; does not move the schedule
)

// PushRun is one handled occurrence of a schedule.
type PushRun struct {
	Schedule   string
	Occurrence time.Time // whole seconds
	Status     string    // RunRunning, RunDone, RunSkipped, RunManual
	Manual     bool      // started by /push now
	Skipped    int       // for RunSkipped: how many occurrences the run stands for
	Chats      int       // messages queued
	StartedAt  time.Time
	DoneAt     time.Time
}

// Delivery records which item a push sent to a chat, for "a column's next
// unread item".
type Delivery struct {
	ChatID     int64
	ItemID     int64
	Schedule   string
	Occurrence time.Time
	OutboxID   int64
	// Pushed is when it was queued and Due when the item is to be studied
	// by: the delivery is a follow-up task for the group's unit.
	Pushed, Due time.Time
}

// PushKeyPrefix is the outbox idempotency key prefix of one occurrence; each
// group's message is the prefix followed by its chat id.
func PushKeyPrefix(schedule string, occurrence time.Time) string {
	return fmt.Sprintf("push:%s:%d:", schedule, occurrence.Unix())
}

// Store is what the study feature reads and writes. *storage.DB satisfies
// it.
type Store interface {
	// PublishedContent lists items published at or before now, newest
	// first; column "" means every column.
	PublishedContent(ctx context.Context, column string, now time.Time) ([]Item, error)
	ContentItem(ctx context.Context, id int64) (Item, error)
	// ContentBySlugOrTitle finds an item by its slug or exact title.
	ContentBySlugOrTitle(ctx context.Context, key string) (Item, error)
	// ContentColumns lists the columns that have items.
	ContentColumns(ctx context.Context) ([]string, error)
	// StudyMarks returns, for the roster entries, the set of item ids
	// each has studied.
	StudyMarks(ctx context.Context, rosterIDs []int64) (map[int64]map[int64]bool, error)

	// EnsurePushSchedule records when a schedule was first seen and
	// returns that time.
	EnsurePushSchedule(ctx context.Context, name string, now time.Time) (time.Time, error)
	// LastPushRun is the latest scheduled (not manual) occurrence handled.
	LastPushRun(ctx context.Context, schedule string) (PushRun, error)
	// RunningPushes lists runs with status RunRunning.
	RunningPushes(ctx context.Context) ([]PushRun, error)
	// LatestStudyTask is the item most recently pushed to the chat that is
	// still due (bot.ErrNotFound: none).
	LatestStudyTask(ctx context.Context, chatID int64, now time.Time) (Item, error)
	// PushedItems returns, per chat, the items already pushed to it.
	PushedItems(ctx context.Context, chatIDs []int64) (map[int64]map[int64]bool, error)

	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)
	ActiveGroupsByTitle(ctx context.Context, title string) ([]bot.Chat, error)
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	MemberByExternalID(ctx context.Context, platform, externalID string) (bot.Member, error)
	MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error)
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	RosterWithRole(ctx context.Context, role bot.Role) ([]bot.RosterEntry, error)
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)

	// UpdateStudy runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateStudy(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the feature may do inside one UpdateStudy transaction.
type Tx interface {
	// Enqueue queues a message (see bot.Store's Enqueue); inserted is
	// false when its idempotency key was queued already.
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// StudyMark reads a roster entry's mark of an item; found is false
	// when there is none.
	StudyMark(itemID, rosterID int64) (m Mark, found bool, err error)
	InsertStudyMark(m Mark) error
	// InsertPushRun records a run; it reports false, storing nothing, when
	// the occurrence was handled (or started) already.
	InsertPushRun(r PushRun) (bool, error)
	// FinishPushRun sets a run's status, chats and done time.
	FinishPushRun(r PushRun) error
	// CountQueued counts the messages ever queued whose idempotency key
	// starts with prefix.
	CountQueued(idemPrefix string) (int, error)
	// RecordPushDelivery records which item a push sent to a chat; a
	// second record for the same chat and item is ignored.
	RecordPushDelivery(d Delivery) error
}
