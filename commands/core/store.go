package core

import (
	"context"
	"errors"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// UnitDef is a unit as configured: a name and its parent's name.
type UnitDef struct {
	Name   string
	Parent string // "" for a root
}

// ErrLinked reports that a roster entry is already linked to another
// identity on the same platform.
var ErrLinked = errors.New("roster entry linked to another identity on the platform")

// ErrStale reports that a code or a request changed since it was read (used
// or decided meanwhile).
var ErrStale = errors.New("changed meanwhile")

// How an identity came to be linked (members.link_method).
const (
	MethodCode     = "code"     // a one-time link code
	MethodApproval = "approval" // a secretary approved the request
	MethodPreset   = "preset"   // roster.link.preset in the config
	MethodLegacy   = "legacy"   // number and name alone, before codes existed
)

// LinkCode is a one-time code that proves its holder is a roster entry's
// person. Only its salted hash is stored.
type LinkCode struct {
	ID        int64
	RosterID  int64
	Salt      []byte
	Hash      []byte
	IssuedBy  string // 命令行, or the issuer's name
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Link request states.
const (
	RequestPending   = "pending"
	RequestApproved  = "approved"
	RequestRejected  = "rejected"
	RequestWithdrawn = "withdrawn"
)

// LinkRequest is an identity's wish to be linked to a roster entry without a
// code, waiting for a secretary of the entry's unit.
type LinkRequest struct {
	ID        int64
	MemberID  int64
	RosterID  int64
	ChatID    int64 // where it was asked; the answer goes there
	State     string
	CreatedAt time.Time
	DecidedAt time.Time
	DecidedBy string
	Reason    string
}

// Link is one identity linked to a roster entry, and how.
type Link struct {
	Member bot.Member
	Method string
	At     time.Time
}

// Store is what the core commands read and write. *storage.DB satisfies it.
type Store interface {
	// BindChat binds a chat to a unit (0 unbinds).
	BindChat(ctx context.Context, chatID, unitID int64) error
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	RosterEntry(ctx context.Context, id int64) (bot.RosterEntry, error)
	// RosterOfUnits lists the entries of the units, by unit then number.
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	Member(ctx context.Context, id int64) (bot.Member, error)
	// MemberByExternalID finds a platform identity without creating it
	// (bot.ErrNotFound if it never spoke to the bot).
	MemberByExternalID(ctx context.Context, platform, externalID string) (bot.Member, error)
	// LinksOfRoster lists the identities linked to any of the entries.
	LinksOfRoster(ctx context.Context, rosterIDs []int64) (map[int64][]Link, error)
	// PrivateChatsOf finds the private chats the bot has with the members.
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	// ChatsOfUnits lists the group chats bound to any of the units.
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)
	// UsableLinkCode is the entry's code that is neither used, revoked nor
	// expired at now; bot.ErrNotFound if there is none.
	UsableLinkCode(ctx context.Context, rosterID int64, now time.Time) (LinkCode, error)
	// LinkFailures counts the failed link attempts since since: by the
	// member, and on the entry (rosterID 0: none).
	LinkFailures(ctx context.Context, memberID, rosterID int64, since time.Time) (byMember, onEntry int, err error)
	// LinkRequest reads one request.
	LinkRequest(ctx context.Context, id int64) (LinkRequest, error)
	// PendingLinkRequestOf is the member's pending request;
	// bot.ErrNotFound if there is none.
	PendingLinkRequestOf(ctx context.Context, memberID int64) (LinkRequest, error)
	// PendingLinkRequests lists the pending requests for entries of the
	// units (nil: every unit), oldest first.
	PendingLinkRequests(ctx context.Context, unitIDs []int64) ([]LinkRequest, error)

	// UpdateLinks runs fn in one write transaction: a link, its notices
	// and its log entry are stored together or not at all. now stamps what
	// it stores.
	UpdateLinks(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the core commands may do inside one UpdateLinks transaction.
type Tx interface {
	// Enqueue queues a message (see bot.Store's Enqueue).
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// LinkMember links an identity to a roster entry by method and logs
	// it; ErrLinked when another identity on the same platform holds the
	// entry.
	LinkMember(memberID, rosterID int64, method string) error
	// UnlinkMember removes an identity's link and logs who removed it; it
	// reports whether there was one.
	UnlinkMember(memberID int64, by string) (bool, error)
	// UseLinkCode marks a usable code used by the member; ErrStale if it
	// was used, revoked or expired meanwhile.
	UseLinkCode(codeID, memberID int64) error
	// IssueLinkCode stores a new code for its entry, revoking the entry's
	// earlier unused ones, and returns its id.
	IssueLinkCode(c LinkCode) (int64, error)
	// AddLinkFailure records a failed attempt by the member on an entry
	// (rosterID 0: none) and forgets failures older than before.
	AddLinkFailure(memberID, rosterID int64, before time.Time) error
	// AddLinkRequest stores a pending request, withdrawing the member's
	// earlier pending one, and returns it with its id.
	AddLinkRequest(r LinkRequest) (LinkRequest, error)
	// DecideLinkRequest moves a pending request to state; ErrStale if it is
	// no longer pending.
	DecideLinkRequest(id int64, state, by, reason string) error
	// WithdrawLinkRequests withdraws the member's pending requests.
	WithdrawLinkRequests(memberID int64) error
}

// SetupStore is what Setup applies the configured organisation to.
// *storage.DB satisfies it.
type SetupStore interface {
	// SyncUnits creates or re-parents units; parents come before their
	// children. Units not in the list are kept.
	SyncUnits(ctx context.Context, defs []UnitDef) error
	Units(ctx context.Context) ([]bot.Unit, error)
	RosterCount(ctx context.Context) (int, error)
	// ImportRoster adds or updates entries by number.
	ImportRoster(ctx context.Context, entries []bot.RosterEntry, at time.Time) (added, updated int, err error)
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	EnsureMember(ctx context.Context, platform, externalID, name string) (bot.Member, error)
	UpdateLinks(ctx context.Context, now time.Time, fn func(Tx) error) error
}
