// Package platformtest is one behavioural suite for every chat platform
// adapter, run against each of them the way litestream runs one suite against
// every storage backend. Run drives the real adapter through its fake server,
// with the real engine (bot.New) on a real SQLite file (storage.Open) and a
// small feature of its own (an echo, a private-only command, a vote with
// buttons), and checks what every adapter must honour: a command answered in
// its chat, private chats, mentions, per-chat order, a send refused with
// retry-after, a chat gone, button presses, edits, long and odd text, a
// shutdown with a send in flight followed by a restart on the same file, and
// a process killed with a fetched backlog in hand (confirmed to the
// platform, not yet handled), after which a new process handles all of it,
// once each.
//
// An adapter joins in its own _test.go file with a Harness and one test:
//
//	func TestPlatformSuite(t *testing.T) {
//		platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newHarness(t) })
//	}
//
// newHarness starts the fake server (closed by t.Cleanup) and knows the cast:
// the groups GroupA and GroupB, each with every member of Members, and a
// private chat with each member. Start makes a new adapter on that server
// each time it is called (the second call is a restart: the server and what
// it received live on). Say and SayToBot make the server deliver a message as
// the platform would; Received reads back what the server accepted. An
// operation the platform cannot perform calls t.Skip with the reason (a
// terminal never refuses a send), which skips the subtest that needs it;
// button presses are skipped by the suite where Capabilities().Buttons is
// false. For Refuse and Hold, a hook on the fake server asks a Refuser
// (NewRefuser) or a Gate (NewGate) about each send to the chat. Kill and
// Unconfirmed let the suite kill a bot that has a backlog in hand and check
// that a new one handles all of it, once.
// bot/memchat/memchat_test.go is the shortest example.
package platformtest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/storage"
)

// Chat is a conversation of the cast: a group by its title, or a member's
// private chat with the bot by the member's name.
type Chat struct {
	Kind bot.ChatKind
	Name string
}

// Group is the group chat with this title.
func Group(title string) Chat { return Chat{Kind: bot.Group, Name: title} }

// Private is the member's private chat with the bot.
func Private(member string) Chat { return Chat{Kind: bot.Private, Name: member} }

func (c Chat) String() string {
	if c.Kind == bot.Private {
		return "私聊 " + c.Name
	}
	return c.Name
}

// The cast every harness must know: two groups, each with both members, and
// each member's private chat with the bot.
const (
	Zhang = "张三"
	Li    = "李四"
)

var (
	GroupA  = Group("第一党支部群")
	GroupB  = Group("第二党支部群")
	Members = []string{Zhang, Li}
)

// Message is one message the platform accepted from the bot, as it stands
// after edits.
type Message struct {
	ID      string // the platform's id for it
	Text    string // the text, without the mention in front
	Mention string // the member named (notified) at its start, "" if none
	// Mentions are the members named (notified, the platform's way) in
	// the text after its start, in order; Text writes each as "@"+name
	// followed by a space where the platform puts its own separator.
	Mentions []string
	Buttons  [][]string // button labels, by row
	Edits    int        // times it was edited in place
	At       time.Time  // when the platform accepted it (its first version)
	// File is the file the message carried (platforms with
	// Capabilities.Files); Text is then its caption, where the platform
	// shows one with the file.
	File *File
}

// File is a file the platform accepted from the bot.
type File struct {
	Name string
	Data []byte
}

// Answer is the answer to a button press, shown to the presser only.
type Answer struct {
	To   string // the member who pressed
	Text string
}

// Refusal is what Harness.Refuse arranged.
type Refusal struct {
	// After is how long the platform asks the bot to wait.
	After time.Duration
	// Account is true when the wait holds every chat of the account (web
	// WeChat's Ret 1205), not only the refused one.
	Account bool
	// At receives the instant of each refusal, taken before the platform
	// answered it. It has room for every refusal arranged.
	At <-chan time.Time
}

// Hold is a send held at the platform (Harness.Hold).
type Hold struct {
	// Started is closed once the held send has reached the platform.
	Started <-chan struct{}
	// Release lets the held send finish: accepted, or failed the way a
	// broken connection fails it (the platform did not take the message).
	// Call it once.
	Release func(accept bool)
}

// PictureSayer is implemented by harnesses whose platform hands pictures to
// the bot (Capabilities.Images); the suite's Picture case skips the others.
// SayPicture makes the server deliver a picture with data from member in
// chat c, without words (a picture alone).
type PictureSayer interface {
	SayPicture(t *testing.T, c Chat, member string, data []byte)
}

// Bot is one run of the bot that Harness.Start makes an adapter for.
type Bot struct {
	DB     *storage.DB // the run's database; it implements the adapters' stores
	Engine *bot.Engine // the engine the adapter is added to, not yet running
	Dir    string      // a folder kept across runs, for session files
	Logger *slog.Logger
}

// Harness runs one adapter against its fake server for the suite. Every
// method is called on the test's goroutine with the (sub)test's t; an
// operation the platform cannot perform calls t.Skip with the reason.
type Harness interface {
	// Start makes the adapter for one run of the bot, on the harness's fake
	// server. The suite calls it again after stopping a run, as a restarted
	// process would: the server, and what it received, live on.
	Start(t *testing.T, b Bot) bot.Platform
	// Ready returns once the adapter started last receives and sends
	// (logged in, polling). The engine is running by then.
	Ready(t *testing.T)
	// ChatID is the platform's id of a chat of the cast (bot.Chat.ExternalID).
	ChatID(c Chat) string
	// Say makes member say text in c, as the platform delivers it.
	Say(t *testing.T, c Chat, member, text string)
	// SayToBot makes member say text in c addressed to the bot the
	// platform's way: an @mention in front of it.
	SayToBot(t *testing.T, c Chat, member, text string)
	// Received lists the messages the platform accepted from the bot in c,
	// in order, as they stand after edits, over every run; a file sent with
	// a caption the platform shows apart (web WeChat) is two messages, the
	// caption then the file.
	Received(t *testing.T, c Chat) []Message
	// Attempts counts the sends, uploads and edits to c that reached the
	// platform, accepted or refused.
	Attempts(t *testing.T, c Chat) int
	// Refuse lets the next accept sends to c through, then refuses the
	// following n with the platform's "too many requests" answer.
	Refuse(t *testing.T, c Chat, accept, n int) Refusal
	// Remove makes c gone without telling the adapter (the bot was removed
	// while it was not looking): every later send to c is refused for good.
	Remove(t *testing.T, c Chat)
	// Hold holds the next send to c at the platform until it is released.
	Hold(t *testing.T, c Chat) Hold
	// Unconfirmed counts what members said that the platform still holds
	// for the bot: not yet fetched, or fetched and not yet confirmed (it
	// would hand it over again).
	Unconfirmed(t *testing.T) int
	// Kill cuts the adapter started last off the platform at once, as the
	// death of its process would: nothing it sends or fetches reaches the
	// server any more, and it confirms nothing more.
	Kill(t *testing.T)
	// Press makes member press the button labelled label under m in c.
	Press(t *testing.T, c Chat, member string, m Message, label string)
	// Answers lists the answers to button presses, in order.
	Answers(t *testing.T) []Answer
}
