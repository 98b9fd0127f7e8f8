package broadcast

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Broadcast statuses.
const (
	StatusReview   = "review"   // waiting for a review level
	StatusRejected = "rejected" // a reviewer rejected it
	StatusSent     = "sent"     // approved by every level and queued
	// StatusCancelled: withdrawn by its author or an admin before it went
	// out (a draft, or a scheduled notice whose time had not come).
	StatusCancelled = "cancelled"
)

// Broadcast is a notice to the groups of one or more units' subtrees.
type Broadcast struct {
	ID           int64
	AuthorMember int64
	// AuthorRoster is the roster person behind the author (0: unlinked):
	// they may not review their draft from any of their accounts.
	AuthorRoster int64
	AuthorName   string
	OriginChat   int64
	Target       string  // as typed: a unit name or #tag
	UnitIDs      []int64 // root units; their subtrees receive it
	ReviewUnit   int64   // the unit whose review chain applies
	Levels       int     // review levels at creation
	Level        int     // levels approved so far
	Text         string
	SendAt       time.Time // zero: at once
	Status       string
	Chats        int // groups it was queued for when sent
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Confirm asks the readers to confirm with 收到 (confirm=yes): a read
	// receipt per roster person.
	Confirm bool
}

// Receipt is one person's confirmation of a broadcast.
type Receipt struct {
	BroadcastID int64
	RosterID    int64
	MemberID    int64
	ChatID      int64
	At          time.Time
}

// Event is one step in a broadcast's life: who did what, when.
type Event struct {
	ID          int64
	BroadcastID int64
	At          time.Time
	ActorMember int64
	ActorName   string
	Action      string // created, approved, rejected, sent, cancelled
	Level       int    // 1-based level decided
	LevelName   string
	Note        string
}

// Delivery is a broadcast's delivery to one group.
type Delivery struct {
	ChatID      int64
	State       bot.OutboxState
	Attempts    int
	LastError   string
	DeliveredAt time.Time
	NotBefore   time.Time // while queued: not sent before (zero once recorded)
}

// ErrStale reports that a broadcast changed since it was read (another
// reviewer decided first).
var ErrStale = errors.New("broadcast changed meanwhile")

// KeyPrefix is the outbox idempotency key prefix of a broadcast's fan-out;
// each group's message is KeyPrefix(id) followed by its chat id.
func KeyPrefix(id int64) string { return fmt.Sprintf("bc:%d:", id) }

// Store is what the broadcast feature reads and writes. *storage.DB
// satisfies it.
type Store interface {
	Broadcast(ctx context.Context, id int64) (Broadcast, error)
	// Broadcasts lists broadcasts, newest first; status "" means any.
	Broadcasts(ctx context.Context, status string, limit int) ([]Broadcast, error)
	// BroadcastEvents lists a broadcast's events in order.
	BroadcastEvents(ctx context.Context, id int64) ([]Event, error)
	// RosterWithTitles lists entries whose title is one of titles or whose
	// number is one of numbers (a review level's reviewers).
	RosterWithTitles(ctx context.Context, titles, numbers []string) ([]bot.RosterEntry, error)
	MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error)
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)
	Chat(ctx context.Context, id int64) (bot.Chat, error)
	// BroadcastDeliveries lists a broadcast's delivery to each group it
	// was queued for, by chat: from its messages still in the outbox, and
	// from the record kept of each once the message itself is pruned.
	BroadcastDeliveries(ctx context.Context, id int64) ([]Delivery, error)
	// ConfirmableBroadcast is the broadcast asking for confirmation that
	// was delivered to the chat at or after since: number id, or the
	// newest for id 0.
	ConfirmableBroadcast(ctx context.Context, chatID, id int64, since time.Time) (Broadcast, error)
	// BroadcastReceipts lists who confirmed a broadcast: roster entry →
	// when.
	BroadcastReceipts(ctx context.Context, id int64) (map[int64]time.Time, error)
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)

	// UpdateBroadcasts runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateBroadcasts(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the feature may do inside one UpdateBroadcasts transaction.
type Tx interface {
	// Enqueue queues a message (see bot.Store's Enqueue); inserted is
	// false when its idempotency key was queued already.
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// PendingMerged returns the text of the chat's message with mergeKey
	// that is still waiting to be sent; ok is false when there is none.
	PendingMerged(chatID int64, mergeKey string) (text string, ok bool, err error)
	// InsertBroadcast stores a new broadcast and returns it with its ID.
	InsertBroadcast(b Broadcast) (Broadcast, error)
	// MoveBroadcast stores to's status, level and update time if the
	// broadcast still has from's status and level; else it returns
	// ErrStale.
	MoveBroadcast(from, to Broadcast) error
	// SetBroadcastChats records how many groups a broadcast was queued for.
	SetBroadcastChats(id int64, chats int) error
	AddBroadcastEvent(ev Event) error
	// CancelQueued withdraws the messages whose idempotency key starts
	// with prefix that are still pending (bot.OutboxCancelled), and says
	// how many it withdrew and how many had gone to the platform already.
	CancelQueued(idemPrefix string) (cancelled, gone int, err error)
	// AddReceipt keeps a person's first confirmation; for a later one it
	// reports false and when the first was.
	AddReceipt(r Receipt) (added bool, first time.Time, err error)
	// CountReceipts counts a broadcast's confirmations.
	CountReceipts(id int64) (int, error)
}
