package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// TicketState is where a suggestion ticket is in its life.
type TicketState string

const (
	TicketOpen     TicketState = "open"     // waiting for an answer
	TicketAnswered TicketState = "answered" // answered, not closed
	TicketClosed   TicketState = "closed"
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
	DecidedBy        string // "keywords" or "llm"
	RoutedAt         time.Time
	State            TicketState
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

// TicketEvent is one entry of a ticket's history.
type TicketEvent struct {
	ID            int64
	TicketID      int64
	At            time.Time
	Kind          string // filed, followup, answer, close, reopen, assign
	ByFiler       bool
	ActorRosterID int64
	ActorName     string // staff name; empty for the filer
	Text          string
}

const ticketCols = `id, filer_member_id, COALESCE(filer_roster_id, 0), filer_name, COALESCE(filer_unit_id, 0), anonymous,
	chat_id, text, category, keyword, department_id, decided_by, routed_at, state, COALESCE(assignee_roster_id, 0),
	created_at, first_due_at, due_at, remind_at, reminded_at, escalated_at, first_response_at, closed_at`

func scanTicket(row rowScanner) (Ticket, error) {
	var (
		t                                                    Ticket
		state                                                string
		created, firstDue, due, remind                       int64
		routed, reminded, escalated, firstResponse, closedAt sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.FilerMemberID, &t.FilerRosterID, &t.FilerName, &t.FilerUnitID, &t.Anonymous,
		&t.ChatID, &t.Text, &t.Category, &t.Keyword, &t.DepartmentID, &t.DecidedBy, &routed, &state, &t.AssigneeRosterID,
		&created, &firstDue, &due, &remind, &reminded, &escalated, &firstResponse, &closedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, bot.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.State = TicketState(state)
	t.CreatedAt, t.FirstDueAt, t.DueAt, t.RemindAt = fromMS(created), fromMS(firstDue), fromMS(due), fromMS(remind)
	t.RoutedAt, t.RemindedAt, t.EscalatedAt = nullMS(routed), nullMS(reminded), nullMS(escalated)
	t.FirstResponseAt, t.ClosedAt = nullMS(firstResponse), nullMS(closedAt)
	return t, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// TicketTx is a write transaction over tickets: a change, its history entry
// and the messages announcing it are stored together or not at all.
type TicketTx struct {
	ctx context.Context
	tx  *sql.Tx
	now time.Time
}

// TicketTx runs fn in one write transaction; now stamps queued messages.
func (db *DB) TicketTx(ctx context.Context, now time.Time, fn func(tt *TicketTx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return fn(&TicketTx{ctx: ctx, tx: tx, now: now}) })
}

// Insert stores a new ticket and sets its ID.
func (tt *TicketTx) Insert(t *Ticket) error {
	if t.State == "" {
		t.State = TicketOpen
	}
	if t.DecidedBy == "" {
		t.DecidedBy = "keywords"
	}
	res, err := tt.tx.ExecContext(tt.ctx, `INSERT INTO tickets(filer_member_id, filer_roster_id, filer_name, filer_unit_id, anonymous,
		chat_id, text, category, keyword, department_id, decided_by, routed_at, state, assignee_roster_id,
		created_at, first_due_at, due_at, remind_at, reminded_at, escalated_at, first_response_at, closed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.FilerMemberID, nullID(t.FilerRosterID), t.FilerName, nullID(t.FilerUnitID), t.Anonymous,
		t.ChatID, t.Text, t.Category, t.Keyword, t.DepartmentID, t.DecidedBy, nullTime(t.RoutedAt), string(t.State), nullID(t.AssigneeRosterID),
		ms(t.CreatedAt), ms(t.FirstDueAt), ms(t.DueAt), ms(t.RemindAt), nullTime(t.RemindedAt), nullTime(t.EscalatedAt),
		nullTime(t.FirstResponseAt), nullTime(t.ClosedAt))
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	t.ID, err = res.LastInsertId()
	return err
}

// Get reads a ticket inside the transaction.
func (tt *TicketTx) Get(id int64) (Ticket, error) {
	return scanTicket(tt.tx.QueryRowContext(tt.ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
}

// Save writes every field of a ticket that may change after filing.
func (tt *TicketTx) Save(t Ticket) error {
	_, err := tt.tx.ExecContext(tt.ctx, `UPDATE tickets SET category = ?, keyword = ?, department_id = ?, decided_by = ?,
		routed_at = ?, state = ?, assignee_roster_id = ?, due_at = ?, remind_at = ?, reminded_at = ?, escalated_at = ?,
		first_response_at = ?, closed_at = ? WHERE id = ?`,
		t.Category, t.Keyword, t.DepartmentID, t.DecidedBy, nullTime(t.RoutedAt), string(t.State), nullID(t.AssigneeRosterID),
		ms(t.DueAt), ms(t.RemindAt), nullTime(t.RemindedAt), nullTime(t.EscalatedAt), nullTime(t.FirstResponseAt),
		nullTime(t.ClosedAt), t.ID)
	if err != nil {
		return fmt.Errorf("save ticket %d: %w", t.ID, err)
	}
	return nil
}

// AddEvent appends to a ticket's history and returns the entry's id.
func (tt *TicketTx) AddEvent(e TicketEvent) (int64, error) {
	at := e.At
	if at.IsZero() {
		at = tt.now
	}
	res, err := tt.tx.ExecContext(tt.ctx, `INSERT INTO ticket_events(ticket_id, at, kind, by_filer, actor_roster_id, actor_name, text)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.TicketID, ms(at), e.Kind, e.ByFiler, nullID(e.ActorRosterID), e.ActorName, e.Text)
	if err != nil {
		return 0, fmt.Errorf("ticket %d: add %s: %w", e.TicketID, e.Kind, err)
	}
	return res.LastInsertId()
}

// Enqueue queues a message in the same transaction.
func (tt *TicketTx) Enqueue(m bot.Outgoing) error {
	_, _, err := EnqueueTx(tt.ctx, tt.tx, m, tt.now)
	return err
}

// Ticket reads one ticket.
func (db *DB) Ticket(ctx context.Context, id int64) (Ticket, error) {
	return scanTicket(db.r.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
}

func (db *DB) ticketQuery(ctx context.Context, q string, args ...any) ([]Ticket, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("query tickets: %w", err)
	}
	return collect(rows, scanTicket)
}

// TicketsOfFiler lists, newest first, the tickets filed by a member or by
// any identity linked to the same roster entry (rosterID 0: none).
func (db *DB) TicketsOfFiler(ctx context.Context, memberID, rosterID int64, limit int) ([]Ticket, error) {
	return db.ticketQuery(ctx, `WHERE filer_member_id = ? OR (? != 0 AND filer_roster_id = ?) ORDER BY id DESC LIMIT ?`,
		memberID, rosterID, rosterID, limit)
}

// OpenTickets lists tickets not closed, of the departments (nil: all), by
// deadline.
func (db *DB) OpenTickets(ctx context.Context, departments []int64, limit int) ([]Ticket, error) {
	// state IN (…) rather than != 'closed', so that tickets_open serves it.
	if departments == nil {
		return db.ticketQuery(ctx, `WHERE state IN ('open', 'answered') ORDER BY due_at, id LIMIT ?`, limit)
	}
	if len(departments) == 0 {
		return nil, nil
	}
	args := append(int64Args(departments), limit)
	return db.ticketQuery(ctx, `WHERE state IN ('open', 'answered') AND department_id IN (`+placeholders(len(departments))+`) ORDER BY due_at, id LIMIT ?`, args...)
}

// TicketsToRemind lists tickets waiting for an answer whose reminder is due
// at now and whose deadline has not passed.
func (db *DB) TicketsToRemind(ctx context.Context, now time.Time) ([]Ticket, error) {
	return db.ticketQuery(ctx, `WHERE state = 'open' AND reminded_at IS NULL AND routed_at IS NOT NULL AND remind_at <= ? AND due_at > ?
		ORDER BY department_id, due_at, id`, ms(now), ms(now))
}

// TicketsToEscalate lists tickets still waiting for an answer at now whose
// deadline plus after has passed and that were not escalated yet.
func (db *DB) TicketsToEscalate(ctx context.Context, now time.Time, after time.Duration) ([]Ticket, error) {
	return db.ticketQuery(ctx, `WHERE state = 'open' AND escalated_at IS NULL AND due_at < ? ORDER BY department_id, due_at, id`,
		ms(now.Add(-after)))
}

// UnroutedTickets lists tickets filed at or before before whose department
// was not told yet.
func (db *DB) UnroutedTickets(ctx context.Context, before time.Time) ([]Ticket, error) {
	// Every tick: +id lets SQLite read the few unrouted tickets from
	// tickets_unrouted instead of every ticket in id order.
	return db.ticketQuery(ctx, `WHERE routed_at IS NULL AND created_at <= ? ORDER BY +id`, ms(before))
}

// TicketsFiled lists the tickets filed in [from, to), by id.
func (db *DB) TicketsFiled(ctx context.Context, from, to time.Time) ([]Ticket, error) {
	return db.ticketQuery(ctx, `WHERE created_at >= ? AND created_at < ? ORDER BY id`, ms(from), ms(to))
}

// TicketEvents lists a ticket's history, oldest first.
func (db *DB) TicketEvents(ctx context.Context, ticketID int64) ([]TicketEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, ticket_id, at, kind, by_filer, COALESCE(actor_roster_id, 0), actor_name, text
		FROM ticket_events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket %d history: %w", ticketID, err)
	}
	return collect(rows, func(r rowScanner) (TicketEvent, error) {
		var e TicketEvent
		var at int64
		err := r.Scan(&e.ID, &e.TicketID, &at, &e.Kind, &e.ByFiler, &e.ActorRosterID, &e.ActorName, &e.Text)
		e.At = fromMS(at)
		return e, err
	})
}

// SetPrivateChat records the private chat in which a member talks to the bot.
func (db *DB) SetPrivateChat(ctx context.Context, memberID, chatID int64, now time.Time) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO private_chats(member_id, chat_id, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(member_id) DO UPDATE SET chat_id = excluded.chat_id, updated_at = excluded.updated_at
		WHERE private_chats.chat_id != excluded.chat_id`, memberID, chatID, ms(now))
	if err != nil {
		return fmt.Errorf("record private chat of member %d: %w", memberID, err)
	}
	return nil
}

// PrivateChat returns the active private chat in which the member talked to
// the bot; bot.ErrNotFound if there is none.
func (db *DB) PrivateChat(ctx context.Context, memberID int64) (bot.Chat, error) {
	return scanChat(db.r.QueryRowContext(ctx, `SELECT c.id, c.platform, c.external_id, c.kind, c.title, COALESCE(c.unit_id, 0), c.active
		FROM private_chats p JOIN chats c ON c.id = p.chat_id WHERE p.member_id = ? AND c.kind = 'private' AND c.active`, memberID))
}
