package bot

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by stores for an unknown id.
var ErrNotFound = errors.New("not found")

// OutboxState is where a queued message is in its life.
type OutboxState string

const (
	OutboxPending    OutboxState = "pending"
	OutboxSending    OutboxState = "sending" // handed to the platform, not yet acknowledged
	OutboxDelivered  OutboxState = "delivered"
	OutboxFailed     OutboxState = "failed"     // will not be retried; see LastError
	OutboxSuperseded OutboxState = "superseded" // replaced by a newer message with the same merge key
	OutboxCancelled  OutboxState = "cancelled"  // withdrawn before it was sent (a broadcast taken back)
	// OutboxUnknown: the send timed out after the platform was handed the
	// message, so it may or may not have arrived. It is not sent again
	// (a repeat would reach the chat twice if the first did arrive).
	OutboxUnknown OutboxState = "unknown"
)

// Outgoing is a message a feature wants sent. Only ChatID and Text are
// required.
type Outgoing struct {
	ChatID  int64
	Text    string
	Buttons [][]Button
	// MentionMember names this member (our id) at the start of the text.
	MentionMember int64
	// Mentions are members the text names, each as "@"+Name, in the order
	// they appear (see MentionSpans): a group reminder names everyone who
	// has not done a task. Each adapter notifies them its own way where
	// it can; elsewhere the text names them.
	Mentions []Mention
	// ReplyTo is the platform id of a message to reply to.
	ReplyTo string
	// IdemKey makes the enqueue idempotent: a second message with the same
	// key is not queued.
	IdemKey string
	// MergeKey marks snapshots of one thing (a relay list, a running check-in
	// count): a newer pending message replaces an older undelivered one with
	// the same key in the same chat.
	MergeKey string
	// EditOf is the outbox id of an earlier message to edit in place where
	// the platform can; elsewhere the text is sent as a new message.
	EditOf    int64
	NotBefore time.Time // do not deliver before this instant
	// Bulk messages (broadcasts, scheduled pushes) yield to replies.
	Bulk bool
	// File is the path of a file to deliver into the chat, with Text as
	// its caption; only for platforms whose Capabilities have Files. The
	// file must stay where it is until the message is delivered (see
	// bot/exports, which writes files with this in mind).
	File string
}

// OutboxMessage is a queued message as stored.
type OutboxMessage struct {
	Outgoing
	ID            int64
	State         OutboxState
	Attempts      int
	LastError     string
	PlatformMsgID string
	CreatedAt     time.Time
	DeliveredAt   time.Time
	// PartsSent is how many leading parts of a long text the platform took
	// in earlier attempts.
	PartsSent int
	// From the chat, for delivery:
	Platform       string
	ChatExternalID string
	ChatKind       ChatKind
	ChatActive     bool
	// From the mentioned member, if any:
	Mention *Mention
}

// ClaimedMessage is the content of a message at the moment the sender took
// it for delivery.
type ClaimedMessage struct {
	ID        int64
	Text      string
	Buttons   [][]Button
	PartsSent int
}

// Store is the persistence the engine needs. storage.DB implements it.
type Store interface {
	// EnsureChat finds or creates a chat, updating its title and kind.
	EnsureChat(ctx context.Context, platform, externalID string, kind ChatKind, title string) (Chat, error)
	Chat(ctx context.Context, id int64) (Chat, error)
	ChatByExternalID(ctx context.Context, platform, externalID string) (Chat, error)
	SetChatActive(ctx context.Context, id int64, active bool) error
	// MigrateChat gives a chat a new platform id, keeping its binding,
	// history and queued messages.
	MigrateChat(ctx context.Context, platform, oldID, newID string) error

	// EnsureMember finds or creates a member, updating the display name.
	EnsureMember(ctx context.Context, platform, externalID, name string) (Member, error)
	Member(ctx context.Context, id int64) (Member, error)
	RosterEntry(ctx context.Context, id int64) (RosterEntry, error)
	Units(ctx context.Context) ([]Unit, error)

	// Enqueue stores a message for delivery. inserted is false when IdemKey
	// was already queued; id is then the earlier message's id.
	Enqueue(ctx context.Context, m Outgoing, now time.Time) (id int64, inserted bool, err error)
	// OutboxHeads returns, for each chat of the platform, the oldest pending
	// message that is due at now, in id order.
	OutboxHeads(ctx context.Context, platform string, now time.Time, limit int) ([]OutboxMessage, error)
	// OutboxFollowing returns pending due messages of a chat after id, in order.
	OutboxFollowing(ctx context.Context, chatID, afterID int64, now time.Time, limit int) ([]OutboxMessage, error)
	OutboxMessage(ctx context.Context, id int64) (OutboxMessage, error)
	// OlderReplyElsewhere reports whether another chat of the platform has a
	// due pending reply (not bulk) queued before id.
	OlderReplyElsewhere(ctx context.Context, platform string, chatID, id int64, now time.Time) (bool, error)
	// NextOutboxDue is the earliest not_before after the instant after of a
	// pending message of the platform; ok is false if there is none.
	NextOutboxDue(ctx context.Context, platform string, after time.Time) (at time.Time, ok bool, err error)
	// MarkSending records that the messages are being handed to the
	// platform, so that an edit queued meanwhile no longer changes them in
	// place. It returns the content of those it switched (the ones still
	// pending), as it is at that moment, in id order.
	MarkSending(ctx context.Context, ids []int64) ([]ClaimedMessage, error)
	// ResetSending puts messages left "sending" by a crash back in the queue.
	ResetSending(ctx context.Context, platform string) (int, error)
	MarkDelivered(ctx context.Context, ids []int64, platformMsgID string, at time.Time) error
	MarkRetry(ctx context.Context, id int64, notBefore time.Time, countAttempt bool, errText string) error
	MarkFailed(ctx context.Context, id int64, reason string) error
	// MarkUnknown records sends whose outcome is unknown (OutboxUnknown).
	MarkUnknown(ctx context.Context, ids []int64, reason string) error
	// MarkPartsSent records that the platform took the first n parts of a
	// long message.
	MarkPartsSent(ctx context.Context, id int64, n int) error
	// PendingCount counts pending messages of a platform due at now.
	PendingCount(ctx context.Context, platform string, now time.Time) (int, error)

	// SetQueuedHook sets the function the store calls after every commit
	// that queued messages, once per platform they are for, with the chats
	// they are for, however the messages were queued (Enqueue, or a
	// feature's own transaction). The engine sets it once, when it is made,
	// to wake that platform's sender when one of those chats can be served.
	SetQueuedHook(fn func(platform string, chats []int64))

	// AddInbox stores received items in one transaction and raises the
	// platform's cursor to seq (if higher); it returns their ids in order.
	AddInbox(ctx context.Context, platform string, seq int64, items []InboxEntry) ([]int64, error)
	// InboxCursor is the highest seq stored for the platform, 0 if none.
	InboxCursor(ctx context.Context, platform string) (int64, error)
	// PendingInbox lists the platform's items not yet handled, oldest first.
	PendingInbox(ctx context.Context, platform string) ([]InboxEntry, error)
	// InboxDone deletes a handled item. (A transaction that carries the
	// item's Receipt in its context deletes it itself.)
	InboxDone(ctx context.Context, id int64) error
}
