package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/tickets"
)

var (
	_ tickets.Store = (*DB)(nil)
	_ tickets.Tx    = (*Tx)(nil)
)

const ticketCols = `id, filer_member_id, COALESCE(filer_roster_id, 0), filer_name, COALESCE(filer_unit_id, 0), anonymous,
	chat_id, text, category, keyword, department_id, decided_by, routed_at, state, COALESCE(assignee_roster_id, 0),
	created_at, first_due_at, due_at, remind_at, reminded_at, escalated_at, first_response_at, closed_at`

func scanTicket(row rowScanner) (tickets.Ticket, error) {
	var (
		t                                                    tickets.Ticket
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
	t.State = tickets.State(state)
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

// UpdateTickets implements tickets.Store: fn runs in one write
// transaction.
func (db *DB) UpdateTickets(ctx context.Context, now time.Time, fn func(tickets.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// InsertTicket implements tickets.Tx.
func (t *Tx) InsertTicket(tk tickets.Ticket) (tickets.Ticket, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO tickets(filer_member_id, filer_roster_id, filer_name, filer_unit_id, anonymous,
		chat_id, text, category, keyword, department_id, decided_by, routed_at, state, assignee_roster_id,
		created_at, first_due_at, due_at, remind_at, reminded_at, escalated_at, first_response_at, closed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.FilerMemberID, nullID(tk.FilerRosterID), tk.FilerName, nullID(tk.FilerUnitID), tk.Anonymous,
		tk.ChatID, tk.Text, tk.Category, tk.Keyword, tk.DepartmentID, tk.DecidedBy, nullTime(tk.RoutedAt), string(tk.State), nullID(tk.AssigneeRosterID),
		ms(tk.CreatedAt), ms(tk.FirstDueAt), ms(tk.DueAt), ms(tk.RemindAt), nullTime(tk.RemindedAt), nullTime(tk.EscalatedAt),
		nullTime(tk.FirstResponseAt), nullTime(tk.ClosedAt))
	if err != nil {
		return tk, fmt.Errorf("insert ticket: %w", err)
	}
	tk.ID, err = res.LastInsertId()
	return tk, err
}

// Ticket implements tickets.Tx: it reads a ticket inside the transaction.
func (t *Tx) Ticket(id int64) (tickets.Ticket, error) {
	return scanTicket(t.tx.QueryRowContext(t.ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
}

// SaveTicket implements tickets.Tx.
func (t *Tx) SaveTicket(tk tickets.Ticket) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE tickets SET category = ?, keyword = ?, department_id = ?, decided_by = ?,
		routed_at = ?, state = ?, assignee_roster_id = ?, due_at = ?, remind_at = ?, reminded_at = ?, escalated_at = ?,
		first_response_at = ?, closed_at = ? WHERE id = ?`,
		tk.Category, tk.Keyword, tk.DepartmentID, tk.DecidedBy, nullTime(tk.RoutedAt), string(tk.State), nullID(tk.AssigneeRosterID),
		ms(tk.DueAt), ms(tk.RemindAt), nullTime(tk.RemindedAt), nullTime(tk.EscalatedAt), nullTime(tk.FirstResponseAt),
		nullTime(tk.ClosedAt), tk.ID)
	if err != nil {
		return fmt.Errorf("save ticket %d: %w", tk.ID, err)
	}
	return nil
}

// AddTicketEvent implements tickets.Tx. An event without a time is
// stamped with the transaction's.
func (t *Tx) AddTicketEvent(e tickets.Event) (int64, error) {
	at := e.At
	if at.IsZero() {
		at = t.now
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO ticket_events(ticket_id, at, kind, by_filer, actor_roster_id, actor_name, text)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.TicketID, ms(at), e.Kind, e.ByFiler, nullID(e.ActorRosterID), e.ActorName, e.Text)
	if err != nil {
		return 0, fmt.Errorf("ticket %d: add %s: %w", e.TicketID, e.Kind, err)
	}
	return res.LastInsertId()
}

// Ticket reads one ticket.
func (db *DB) Ticket(ctx context.Context, id int64) (tickets.Ticket, error) {
	return scanTicket(db.r.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets WHERE id = ?`, id))
}

func (db *DB) ticketQuery(ctx context.Context, q string, args ...any) ([]tickets.Ticket, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("query tickets: %w", err)
	}
	return collect(rows, scanTicket)
}

// TicketsOfFiler lists, newest first, the tickets filed by a member or by
// any identity linked to the same roster entry (rosterID 0: none). Each of
// the two indexes is walked newest first and stops at the limit, so a member
// with years of tickets costs no more than one with a few (an OR of the two
// read every ticket of the member and sorted them all).
func (db *DB) TicketsOfFiler(ctx context.Context, memberID, rosterID int64, limit int) ([]tickets.Ticket, error) {
	return db.ticketQuery(ctx, `WHERE id IN (
		SELECT id FROM (SELECT id FROM tickets WHERE filer_member_id = ?1 ORDER BY id DESC LIMIT ?3)
		UNION ALL SELECT id FROM (SELECT id FROM tickets WHERE filer_roster_id = ?2 ORDER BY id DESC LIMIT ?3)
	) ORDER BY id DESC LIMIT ?3`, memberID, rosterID, limit)
}

// OpenTickets lists tickets not closed, of the departments (nil: all), by
// deadline. Open and answered tickets are each walked in deadline order
// along tickets_open and stop at the limit, and only those are sorted
// together: answered tickets nobody closes pile up over the years, and
// sorting them all to show fifty made /tickets slower every year.
func (db *DB) OpenTickets(ctx context.Context, departments []int64, limit int) ([]tickets.Ticket, error) {
	if departments != nil && len(departments) == 0 {
		return nil, nil
	}
	dept, args := "", []any{}
	if departments != nil {
		dept += ` AND department_id IN (` + placeholders(len(departments)) + `)`
		args = int64Args(departments)
	}
	all := append(append(append(append([]any{}, args...), limit), args...), limit)
	return db.ticketQuery(ctx, `WHERE id IN (
		SELECT id FROM (SELECT id FROM tickets WHERE state = 'open'`+dept+` ORDER BY due_at, id LIMIT ?)
		UNION ALL SELECT id FROM (SELECT id FROM tickets WHERE state = 'answered'`+dept+` ORDER BY due_at, id LIMIT ?)
	) ORDER BY due_at, id LIMIT ?`, append(all, limit)...)
}

// TicketsToRemind lists open tickets not reminded yet whose reminder time
// is at or before remindBy and whose deadline is after dueAfter (the
// tickets feature decides which of them are reminded).
func (db *DB) TicketsToRemind(ctx context.Context, remindBy, dueAfter time.Time) ([]tickets.Ticket, error) {
	return db.ticketQuery(ctx, `WHERE state = 'open' AND reminded_at IS NULL AND remind_at <= ? AND due_at > ?
		ORDER BY department_id, due_at, id`, ms(remindBy), ms(dueAfter))
}

// TicketsToEscalate lists open tickets not escalated yet whose deadline is
// before dueBefore. It runs every tick: the partial index holds only the
// tickets not escalated yet (tickets_open would also read every open ticket
// escalated long ago and never answered, which only grow in number).
func (db *DB) TicketsToEscalate(ctx context.Context, dueBefore time.Time) ([]tickets.Ticket, error) {
	return db.ticketQuery(ctx, `INDEXED BY tickets_to_escalate WHERE state = 'open' AND escalated_at IS NULL AND due_at < ?
		ORDER BY department_id, due_at, id`, ms(dueBefore))
}

// UnroutedTickets lists tickets filed at or before before whose department
// was not told yet.
func (db *DB) UnroutedTickets(ctx context.Context, before time.Time) ([]tickets.Ticket, error) {
	// Every tick: +id lets SQLite read the few unrouted tickets from
	// tickets_unrouted instead of every ticket in id order.
	return db.ticketQuery(ctx, `WHERE routed_at IS NULL AND created_at <= ? ORDER BY +id`, ms(before))
}

// TicketsFiled lists the tickets filed in [from, to), by id.
func (db *DB) TicketsFiled(ctx context.Context, from, to time.Time) ([]tickets.Ticket, error) {
	return db.ticketQuery(ctx, `WHERE created_at >= ? AND created_at < ? ORDER BY id`, ms(from), ms(to))
}

// TicketEvents lists a ticket's history, oldest first.
func (db *DB) TicketEvents(ctx context.Context, ticketID int64) ([]tickets.Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, ticket_id, at, kind, by_filer, COALESCE(actor_roster_id, 0), actor_name, text
		FROM ticket_events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket %d history: %w", ticketID, err)
	}
	return collect(rows, func(r rowScanner) (tickets.Event, error) {
		var e tickets.Event
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
