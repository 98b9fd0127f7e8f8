package assist

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// RetainedMessage is one group message kept for /summary.
type RetainedMessage struct {
	ID       int64
	ChatID   int64
	MemberID int64
	Sender   string // roster name if linked, else display name, when it was said
	Text     string
	At       time.Time
}

// Retention is a group's opt-in to keep its recent messages.
type Retention struct {
	ChatID int64
	Window time.Duration
	SetBy  int64
	SetAt  time.Time
}

// Usage is one day's use of the model.
type Usage struct {
	Day              string
	Requests         int // requests sent (or attempted), successful or not
	Failures         int
	PromptTokens     int
	CompletionTokens int
}

// PrivacyPerson is someone whose identifying details must not leave the bot:
// a roster entry (with its linked members' display names) or an unlinked
// member.
type PrivacyPerson struct {
	RosterID int64
	MemberID int64    // for an unlinked member
	Name     string   // roster name, or the unlinked member's display name
	Aliases  []string // display names of linked members
	Number   string   // 学号/工号
	Phone    string
}

// Store is what the Assistant and the summary feature read and write.
// *storage.DB satisfies it.
type Store interface {
	// AssistRetention returns the chat's retention; ok is false when the
	// chat has not opted in.
	AssistRetention(ctx context.Context, chatID int64) (r Retention, ok bool, err error)
	// RetainMessage stores a message of a chat that has opted in; it
	// stores nothing, and returns false, if the chat is not opted in
	// (any more) when the message is written.
	RetainMessage(ctx context.Context, m RetainedMessage) (bool, error)
	// RetainedMessages lists a chat's retained messages said at or after
	// since, oldest first; at most the newest limit of them.
	RetainedMessages(ctx context.Context, chatID int64, since time.Time, limit int) ([]RetainedMessage, error)
	CountRetainedMessages(ctx context.Context, chatID int64) (int, error)
	// AssistUsageOn returns day's usage (zero if nothing was used).
	AssistUsageOn(ctx context.Context, day string) (Usage, error)
	// RecordAssistResult adds a finished request's tokens (or its
	// failure) to day's usage.
	RecordAssistResult(ctx context.Context, day string, failed bool, promptTokens, completionTokens int) error
	// PrivacyPeople lists everyone the bot knows by name: every roster
	// entry with the display names of its linked members, then every
	// unlinked member.
	PrivacyPeople(ctx context.Context) ([]PrivacyPerson, error)

	// UpdateAssist runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateAssist(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the feature may do inside one UpdateAssist transaction.
type Tx interface {
	// Enqueue queues a message (see bot.Store's Enqueue).
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// AssistUsage reads day's usage (zero if nothing was used).
	AssistUsage(day string) (Usage, error)
	// CountAssistRequest counts one more request on day.
	CountAssistRequest(day string) error
	// AssistRetentions lists every chat's retention.
	AssistRetentions() ([]Retention, error)
	// SaveAssistRetention opts a chat in or changes its window.
	SaveAssistRetention(r Retention) error
	// DeleteAssistRetention opts a chat out; it reports whether the chat
	// had opted in.
	DeleteAssistRetention(chatID int64) (bool, error)
	// DropRetainedMessagesBefore deletes a chat's retained messages said
	// before before and returns how many.
	DropRetainedMessagesBefore(chatID int64, before time.Time) (int, error)
	// DropRetainedMessages deletes every retained message of a chat and
	// returns how many.
	DropRetainedMessages(chatID int64) (int, error)
}
