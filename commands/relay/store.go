package relay

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Relay is an activity sign-up list (接龙) in a group.
type Relay struct {
	ID int64 // global: exports and the command line name a relay by it
	// Seq numbers the relays of one chat (1, 2, …): members see #Seq.
	Seq       int64
	ChatID    int64
	Platform  string // the chat's platform
	Title     string
	Cap       int       // places; 0 = no limit
	Until     time.Time // closes itself then; zero = only by hand
	StartedBy int64
	CreatedAt time.Time
	ClosedAt  time.Time // zero while open
	ListID    int64     // outbox id of the list message that is edited in place
	// Target is the unit whose roster (with the units below it) is expected
	// to join (for=<单位>): the relay is then a task the follow-up feature
	// reminds of. 0: anyone may join, no one is expected.
	Target int64
}

// Open reports whether the relay takes joins at now.
func (r Relay) Open(now time.Time) bool {
	return r.ClosedAt.IsZero() && (r.Until.IsZero() || now.Before(r.Until))
}

// Waitlisted reports whether the entry at place is on the relay's waitlist.
func (r Relay) Waitlisted(place int) bool { return r.Cap > 0 && place > r.Cap }

// Entry is one member on a relay.
type Entry struct {
	ID       int64
	RelayID  int64
	MemberID int64 // 0 for someone a secretary added who has no chat identity here
	RosterID int64
	Name     string
	Note     string
	// AddedBy is the member id of the secretary who added the entry for
	// someone else (代接龙), ProxyName their name as shown; 0 and "" for an
	// entry made by the person.
	AddedBy   int64
	ProxyName string
	JoinedAt  time.Time
	UpdatedAt time.Time
	// Place is the entry's 1-based rank on the relay (entries in the order
	// they joined); with a limit, places beyond it are on the waitlist.
	Place int
}

// OpKind says whether a member joins or leaves.
type OpKind int

const (
	Join OpKind = iota
	Leave
)

// Op is one person joining (or changing their note on) or leaving a relay
// of a chat: a member for themselves, or a secretary for someone else (代接龙:
// MemberID 0, the person by roster entry or name, AddedBy the secretary).
type Op struct {
	Kind     OpKind
	ChatID   int64
	Number   int64 // the relay's #Seq in the chat; 0: the newest open one to join, the one they are on to leave
	MemberID int64
	RosterID int64
	Name     string
	Note     string
	At       time.Time
	// AddedBy and ProxyName: the secretary who acts for the person.
	AddedBy   int64
	ProxyName string
}

// Outcome is what becomes of an Op (see decide).
type Outcome int

const (
	Joined      Outcome = iota // a new entry
	NoteChanged                // the member was on it; the note changed
	Already                    // the member was on it; nothing changed
	Left                       // the entry was removed
	NotIn                      // leave by someone not on the relay
	NoRelay                    // no open relay in the chat
	NotFound                   // no relay with that number in the chat
	Closed                     // the relay is closed
	NotInAny                   // leave without a number by someone on none of the open relays
	Ambiguous                  // leave without a number by someone on several (Answer.Choices)
)

// Answer reports an op's outcome, the relay, and the member's place after
// the op (0 after leaving).
type Answer struct {
	Outcome Outcome
	Relay   Relay
	Place   int
	Choices []Relay // for Ambiguous: the relays the person is on
}

// Store is what the relay feature reads and writes; *storage.DB satisfies
// it.
type Store interface {
	// Relay loads a relay by id.
	Relay(ctx context.Context, id int64) (Relay, error)
	// RelayByNumber loads the chat's relay numbered seq.
	RelayByNumber(ctx context.Context, chatID, seq int64) (Relay, error)
	// RosterOfUnits lists the roster entries of units (for 代接龙 by name).
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	// RosterByNumber finds a roster entry by 学号/工号.
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	// OpenRelays lists the relays of a chat open at now, oldest first.
	OpenRelays(ctx context.Context, chatID int64, now time.Time) ([]Relay, error)
	// RelaysDue lists relays still open whose closing time is at or before
	// now.
	RelaysDue(ctx context.Context, now time.Time) ([]Relay, error)
	// RelayEntries lists a relay's entries in order, with their places.
	RelayEntries(ctx context.Context, relayID int64) ([]Entry, error)
	// RelaysOfChat lists a chat's relays started at or after since, newest
	// first, at most limit (the console's lists).
	RelaysOfChat(ctx context.Context, chatID int64, since time.Time, limit int) ([]Relay, error)
	// ChatsOfUnits lists the groups bound to the units.
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)

	// UpdateRelays runs fn in one write transaction; now stamps the
	// messages it queues.
	UpdateRelays(ctx context.Context, now time.Time, fn func(Tx) error) error
	// RelayBatcher makes a group-commit writer that runs b's batches.
	RelayBatcher(b Batch) Batcher
}

// Tx is what the feature may do inside one write transaction: change
// relays and their entries and queue the messages that show it, which
// commit together or not at all.
type Tx interface {
	// Enqueue queues a message (see bot.Outgoing).
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// EnqueueSnapshots queues messages made at at[i] (a batch's lists:
	// each replaces its pending predecessor where it stands).
	EnqueueSnapshots(msgs []bot.Outgoing, at []time.Time) error

	// Relay loads a relay by id.
	Relay(id int64) (Relay, error)
	// RelayByNumber loads the chat's relay numbered seq.
	RelayByNumber(chatID, seq int64) (Relay, error)
	// NewestOpenRelay is the newest relay of a chat open at at.
	NewestOpenRelay(chatID int64, at time.Time) (Relay, error)
	// OpenRelaysAt lists the relays of a chat open at at, oldest first.
	OpenRelaysAt(chatID int64, at time.Time) ([]Relay, error)
	// RelayEntries lists a relay's entries in order, with their places.
	RelayEntries(relayID int64) ([]Entry, error)
	// InsertRelay stores a new relay and returns it with its id, the next
	// number of its chat and its chat's platform.
	InsertRelay(r Relay) (Relay, error)
	// SetRelayTerms changes a relay's limit and closing time.
	SetRelayTerms(relayID int64, cap int, until time.Time) error
	// SetRelayList remembers the outbox id of the list message.
	SetRelayList(relayID, outboxID int64) error
	// CloseRelay closes a relay at at; false if it was closed already.
	CloseRelay(id int64, at time.Time) (bool, error)
	// AddRelayEntry stores a new entry and returns its id.
	AddRelayEntry(e Entry) (int64, error)
	// SetRelayNote changes an entry's note at at.
	SetRelayNote(entryID int64, note string, at time.Time) error
	// RemoveRelayEntry deletes an entry.
	RemoveRelayEntry(entryID int64) error
}

// Batcher is a group-commit writer (storage makes one with RelayBatcher):
// concurrent joins and leaves share write transactions, and none is lost or
// applied twice however many arrive at once. Do returns once the
// transaction that holds the op has committed.
type Batcher interface {
	Do(ctx context.Context, op Op) (Answer, error)
}

// Batch is the feature's side of a Batcher: Run decides and applies a batch
// of ops inside one write transaction, one answer each.
type Batch interface {
	Run(ctx context.Context, tx Tx, in []Op) ([]Answer, error)
}
