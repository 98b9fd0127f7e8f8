package tickets

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// State is where a suggestion ticket is in its life.
type State string

const (
	StateOpen     State = "open"     // waiting for an answer
	StateAnswered State = "answered" // answered, not closed
	StateClosed   State = "closed"
)

// Ticket is one suggestion (意见建议). For an anonymous ticket FilerName and
// FilerUnitID are empty; FilerMemberID is only for the filer's own use.
type Ticket struct {
	ID               int64
	FilerMemberID    int64
	FilerRosterID    int64
	FilerName        string
	FilerUnitID      int64
	Anonymous        bool
	ChatID           int64 // where it was filed
	Text             string
	Category         string // "" when no category matched
	Keyword          string // the keyword that matched, if keywords decided
	DepartmentID     int64
	DecidedBy        string // DecidedByKeywords or DecidedByLLM
	RoutedAt         time.Time
	State            State
	AssigneeRosterID int64
	CreatedAt        time.Time
	FirstDueAt       time.Time // the deadline the SLA is measured against
	DueAt            time.Time // the current deadline
	RemindAt         time.Time
	RemindedAt       time.Time
	EscalatedAt      time.Time
	FirstResponseAt  time.Time
	ClosedAt         time.Time
}

// Event is one entry of a ticket's history.
type Event struct {
	ID            int64
	TicketID      int64
	At            time.Time // zero: the transaction's time
	Kind          string    // filed, followup, answer, close, reopen, assign, remind, escalate
	ByFiler       bool
	ActorRosterID int64
	ActorName     string // staff name; empty for the filer
	Text          string
}

// Store is what the tickets feature reads and writes. *storage.DB
// satisfies it.
type Store interface {
	Ticket(ctx context.Context, id int64) (Ticket, error)
	// TicketsOfFiler lists, newest first, the tickets filed by a member or
	// by any identity linked to the same roster entry (rosterID 0: none).
	TicketsOfFiler(ctx context.Context, memberID, rosterID int64, limit int) ([]Ticket, error)
	// OpenTickets lists tickets not closed, of the departments (nil: all),
	// by deadline.
	OpenTickets(ctx context.Context, departments []int64, limit int) ([]Ticket, error)
	// TicketsToRemind lists open tickets not reminded yet whose reminder
	// time is at or before remindBy and whose deadline is after dueAfter.
	TicketsToRemind(ctx context.Context, remindBy, dueAfter time.Time) ([]Ticket, error)
	// TicketsToEscalate lists open tickets not escalated yet whose
	// deadline is before dueBefore.
	TicketsToEscalate(ctx context.Context, dueBefore time.Time) ([]Ticket, error)
	// UnroutedTickets lists tickets filed at or before before whose
	// department was not told yet.
	UnroutedTickets(ctx context.Context, before time.Time) ([]Ticket, error)
	// TicketsFiled lists the tickets filed in [from, to), by id.
	TicketsFiled(ctx context.Context, from, to time.Time) ([]Ticket, error)
	// TicketEvents lists a ticket's history, oldest first.
	TicketEvents(ctx context.Context, ticketID int64) ([]Event, error)

	SetPrivateChat(ctx context.Context, memberID, chatID int64, now time.Time) error
	PrivateChat(ctx context.Context, memberID int64) (bot.Chat, error)
	// PrivateChatsOf finds the private chats the bot has with the members.
	PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error)
	Chat(ctx context.Context, id int64) (bot.Chat, error)
	ChatsOfUnits(ctx context.Context, unitIDs []int64) ([]bot.Chat, error)
	ActiveGroupsByTitle(ctx context.Context, title string) ([]bot.Chat, error)
	RosterEntry(ctx context.Context, id int64) (bot.RosterEntry, error)
	RosterByNumber(ctx context.Context, number string) (bot.RosterEntry, error)
	RosterByName(ctx context.Context, name string) ([]bot.RosterEntry, error)
	MembersOfRoster(ctx context.Context, rosterID int64) ([]bot.Member, error)
	// RosterOfUnits lists the entries of the units, by unit then number.
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)

	// UpdateTickets runs fn in one write transaction: a change, its
	// history entry and the messages announcing it are stored together or
	// not at all. now stamps the queued messages.
	UpdateTickets(ctx context.Context, now time.Time, fn func(Tx) error) error
}

// Tx is what the feature may do inside one UpdateTickets transaction.
type Tx interface {
	// Enqueue queues a message (see bot.Store's Enqueue); inserted is
	// false when its idempotency key was queued already.
	Enqueue(m bot.Outgoing) (id int64, inserted bool, err error)
	// Ticket reads a ticket inside the transaction.
	Ticket(id int64) (Ticket, error)
	// InsertTicket stores a new ticket and returns it with its ID.
	InsertTicket(t Ticket) (Ticket, error)
	// SaveTicket writes every field of a ticket that may change after
	// filing.
	SaveTicket(t Ticket) error
	// AddTicketEvent appends to a ticket's history and returns the
	// entry's id.
	AddTicketEvent(e Event) (int64, error)
}

// queue queues messages in tx, in order.
func queue(tx Tx, msgs ...bot.Outgoing) error {
	for _, m := range msgs {
		if _, _, err := tx.Enqueue(m); err != nil {
			return err
		}
	}
	return nil
}
