package bot

import "time"

// ChatKind tells a group chat from a private (one-to-one) chat.
type ChatKind string

const (
	Group   ChatKind = "group"
	Private ChatKind = "private"
)

// Chat is a conversation the bot is part of, on one platform.
type Chat struct {
	ID         int64  // our id, stable across platform id changes
	Platform   string // "terminal", "telegram", "wechat", ...
	ExternalID string // the platform's id for the chat
	Kind       ChatKind
	Title      string
	UnitID     int64 // the unit the chat is bound to, 0 if unbound
	Active     bool  // false once the bot was removed from the chat
}

// Member is one person as seen on one platform.
type Member struct {
	ID         int64
	Platform   string
	ExternalID string
	Name       string // display name on the platform
	RosterID   int64  // the roster entry this identity is linked to, 0 if none
}

// Unit is a node of the organisation tree: a committee, a branch, a class or
// a department.
type Unit struct {
	ID       int64
	Name     string
	ParentID int64 // 0 for a root
}

// RosterEntry is one row of the roster (花名册).
type RosterEntry struct {
	ID     int64
	Name   string
	Number string // 学号 or 工号
	UnitID int64
	Title  string // the role as written in the roster, e.g. 书记, 组织员
	Role   Role   // what the title grants in the bot
	Phone  string
	// Left is when an import took the entry off the roster (a graduate);
	// zero while it is on it. A left entry is kept for the history that
	// names it, but counts for nothing now: no role, no /iam.
	Left time.Time
}

// Message is one incoming chat message, already translated from the
// platform's shape.
type Message struct {
	Platform   string
	ChatID     string // platform chat id
	ChatKind   ChatKind
	ChatTitle  string
	SenderID   string // platform user id
	SenderName string
	Text       string
	Time       time.Time
	ID         string // platform message id, if any
	// MentionsBot is true when the message names the bot (an @mention or a
	// reply to one of its messages).
	MentionsBot bool
	ReplyTo     string // platform id of the message this one answers, if any
	// CallbackID is set when the "message" is a button press; Text then holds
	// the button's command line. Replies go back as a short notice (toast).
	CallbackID string
	// Image is the platform's id for a picture the message carries (Text is
	// then its caption), on platforms whose Capabilities have Images; a
	// feature fetches it with Engine.FetchImage.
	Image string `json:",omitempty"`
}

// ChatEventKind names something that happened to a chat rather than in it.
type ChatEventKind string

const (
	ChatJoined   ChatEventKind = "joined"   // the bot was added to the chat
	ChatLeft     ChatEventKind = "left"     // the bot was removed from the chat
	ChatMigrated ChatEventKind = "migrated" // the chat got a new platform id
	ChatRenamed  ChatEventKind = "renamed"
)

// ChatEvent reports a ChatEventKind from a platform.
type ChatEvent struct {
	Kind     ChatEventKind
	Platform string
	ChatID   string
	ChatKind ChatKind
	Title    string
	NewID    string // for ChatMigrated
}
