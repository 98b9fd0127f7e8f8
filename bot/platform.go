package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Capabilities says what a platform can do beyond sending plain text, and
// what its bot can see. Features decide by these, never by platform name.
type Capabilities struct {
	Buttons  bool // inline buttons under a message
	Edit     bool // editing a message the bot sent
	Mentions bool // naming a member so that they are notified
	Private  bool // the bot can start or answer a private chat
	// Files: the platform delivers a message's File into the chat (see
	// Outgoing.File); without it, a feature says where the file is instead.
	Files bool
	// Members: the platform lists a group's members (MemberLister), so a
	// feature can tell who in the group never linked to the roster.
	Members bool
	// Images: the platform hands over pictures members send
	// (Message.Image), and fetches them (ImageFetcher).
	Images bool
	// ImageCaptions: a picture can carry words (a caption) in the same
	// message, so a command can travel with it. Without it a picture is a
	// message of its own, with no text; features that want pictures then
	// ask for them first and take the next ones (ImageObserver).
	ImageCaptions bool
	// CommandsOnly is set where, in groups, the bot may receive only
	// commands, messages that mention or answer it, and button presses,
	// not the rest of the conversation (Telegram's privacy mode).
	CommandsOnly bool
	// CommandsOnlyWhy and SeeAllHow put CommandsOnly in the platform's own
	// words (Chinese, no final full stop), for features that keep ordinary
	// messages: why the bot sees only commands here, and what an admin does
	// so that it sees every message.
	CommandsOnlyWhy string
	SeeAllHow       string
}

// Button is an inline button. Data is the command line the press stands for,
// e.g. "/join #3"; it comes back as a Message with CallbackID set.
type Button struct {
	Text string
	Data string
}

// Outbound is one message as handed to a platform for delivery.
type Outbound struct {
	ChatID   string // the platform's chat id
	ChatKind ChatKind
	Text     string
	Buttons  [][]Button
	Mention  *Mention // name this member at the start of the message
	// Mentions are members Text names as "@"+Name, in order (see
	// MentionSpans): the adapter notifies each where it can.
	Mentions []Mention
	ReplyTo  string // platform message id to reply to, if supported
	// File is the path of a file on the bot's disk to deliver with the
	// message (platforms with Capabilities.Files); Text is then its
	// caption. A file that is gone by then is a PermanentError.
	File string
	// PartsSent is how many leading parts of a text the platform cuts into
	// parts it took in an earlier attempt: send only the rest.
	PartsSent int
	// PartSent, if set, is told after each part the platform took (n parts
	// so far) while more are to follow; the sender stores it, so a later
	// part's failure never sends the earlier parts again, even after a
	// restart.
	PartSent func(n int)
}

// Mention names a member in an outgoing message.
type Mention struct {
	UserID string // the platform user id
	Name   string
}

// Receiver is what a platform hands incoming traffic to: the engine.
//
// An adapter whose platform can deliver an update again (Telegram keeps it
// until it is confirmed) or that must not lose one once taken hands what it
// received to Accept and confirms it to the platform only after Accept
// returned nil: the updates are then stored, and handled in order per lane
// even across a crash. Receive handles one message at once and returns when
// its handler has finished (the terminal, where a line read is a line
// handled); ChatEvent likewise for a chat event.
type Receiver interface {
	Receive(ctx context.Context, m Message)
	ChatEvent(ctx context.Context, e ChatEvent) error
	// Accept stores items durably and queues them for handling; it waits
	// while the platform's backlog is full, and fails (store nothing) once
	// the engine is stopping.
	Accept(ctx context.Context, platform string, items []Incoming) error
	// Accepted is the highest Incoming.Seq stored for the platform.
	Accepted(ctx context.Context, platform string) (int64, error)
}

// Backlogged is implemented by platforms that keep what was sent while the
// bot was down and hand it over after a start (Telegram). CaughtUp is closed
// once that backlog has been accepted; the engine's first timed run waits
// for it (a bounded time), so a check-in sent before a session's end is
// stored before the session closes.
type Backlogged interface {
	CaughtUp() <-chan struct{}
}

// Prober is implemented by platforms that can tell cheaply whether they are
// reachable (Telegram's getMe). After a send fails for no reason of its own
// the sender asks: a platform that does not answer is down, and the sender
// holds every send and probes until it answers, then sends at once.
type Prober interface {
	Probe(ctx context.Context) error
}

// Platform is a chat platform adapter.
type Platform interface {
	// Name is the platform's key in config and storage: "terminal", "telegram".
	Name() string
	Capabilities() Capabilities
	// Run receives messages until ctx is cancelled or the platform's input
	// ends. It returns nil at a normal end.
	Run(ctx context.Context, r Receiver) error
	// Send delivers one message and returns the platform's id for it. Errors
	// are classified with RetryAfterError, ErrChatGone, ErrNotConnected and
	// PermanentError; any other error is retried with backoff.
	Send(ctx context.Context, m Outbound) (messageID string, err error)
}

// Editor is implemented by platforms that can edit a message they sent.
type Editor interface {
	Edit(ctx context.Context, messageID string, m Outbound) error
}

// CallbackAnswerer is implemented by platforms with buttons: the answer to a
// button press is a short notice shown to the presser only.
type CallbackAnswerer interface {
	AnswerCallback(ctx context.Context, callbackID, text string) error
}

// RetryAfterError asks the sender to wait before the next message to the
// same chat (a platform's 429 or "too often").
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// PermanentError marks a send that cannot succeed by retrying (bad request).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

var (
	// ErrChatGone means the bot is no longer in the chat (removed, chat
	// deleted). The message fails and the chat is marked inactive.
	ErrChatGone = errors.New("chat gone")
	// ErrNotConnected means the platform is logged out or reconnecting:
	// messages wait without counting as failed attempts.
	ErrNotConnected = errors.New("platform not connected")
	// ErrOutcomeUnknown means the message was handed to the platform but
	// its answer never came (a timeout after the request was written): it
	// may have arrived. The message is recorded as OutboxUnknown and not
	// sent again.
	ErrOutcomeUnknown = errors.New("outcome unknown")
)

// ChatMigratedError reports that the chat now lives under a new platform id
// (a Telegram group upgraded to a supergroup). The sender moves the chat and
// sends again.
type ChatMigratedError struct{ NewID string }

func (e *ChatMigratedError) Error() string { return "chat migrated to " + e.NewID }

// CommandProvider is implemented by platforms that bring commands of their
// own, which exist only in the platform's chats (WeChat's /rebind for a
// renamed group). Engine.AddPlatform registers them.
type CommandProvider interface {
	Commands() []CommandSpec
}

// GroupMember is one member of a group as the platform lists it.
type GroupMember struct {
	UserID string // the platform user id (Member.ExternalID)
	Name   string // the name shown in the group
}

// MemberLister is implemented by platforms whose Capabilities have
// Members: GroupMembers lists a group's members, the bot itself left out.
type MemberLister interface {
	GroupMembers(ctx context.Context, chatID string) ([]GroupMember, error)
}

// ImageFetcher is implemented by platforms whose Capabilities have Images:
// FetchImage reads the picture with the platform's id, at most max bytes
// (ErrTooLarge beyond).
type ImageFetcher interface {
	FetchImage(ctx context.Context, id string, max int64) ([]byte, error)
}

// ErrTooLarge means a file is larger than the caller accepts.
var ErrTooLarge = errors.New("file too large")

// ReadAtMost reads r to its end, at most max bytes: more is ErrTooLarge. An
// error reading r is returned as it is, for the caller to word.
func ReadAtMost(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return data, nil
}

// Identified is implemented by platforms whose bot has a user name that
// commands can be addressed to (/cmd@Name).
type Identified interface {
	BotUsername() string
}
