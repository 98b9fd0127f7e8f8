package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// CheckinSession is one check-in (签到) opened in a group.
type CheckinSession struct {
	ID       int64
	ChatID   int64
	UnitID   int64 // the group's unit when the session was opened
	Title    string
	Code     string // "" when no code is needed
	Expected int    // roster size of the unit at opening
	OpenedBy int64
	OpenedAt time.Time
	Deadline time.Time // on-time check-ins before this instant
	EndsAt   time.Time // late check-ins before this instant (= Deadline if none)
	ClosedAt time.Time // zero while open
	// Present and Late count the check-ins so far (Present includes Late).
	Present, Late int
	// AnnounceID and ResultID are the outbox ids of the announcement and of
	// the result message.
	AnnounceID int64
	ResultID   int64
}

// AllowsLate reports whether the session takes late check-ins.
func (s CheckinSession) AllowsLate() bool { return s.EndsAt.After(s.Deadline) }

// Closed reports whether the session takes no more check-ins at now.
func (s CheckinSession) Closed(now time.Time) bool {
	return !s.ClosedAt.IsZero() || !now.Before(s.EndsAt)
}

// Checkin is one member's check-in.
type Checkin struct {
	SessionID int64
	MemberID  int64
	RosterID  int64 // 0 if the member had not linked a roster entry
	Name      string
	At        time.Time
	Late      bool
}

// sessionCols are the columns scanSession reads, from checkin_sessions
// named s. The counts are counted, not stored: a stored counter was one more
// page rewritten by every batch of check-ins.
const sessionCols = `s.id, s.chat_id, COALESCE(s.unit_id, 0), s.title, s.code, s.expected, s.opened_by, s.opened_at, s.deadline, s.ends_at,
	s.closed_at, (SELECT COUNT(*) FROM checkins c WHERE c.session_id = s.id),
	(SELECT COUNT(*) FROM checkins c WHERE c.session_id = s.id AND c.late), COALESCE(s.announce_id, 0), COALESCE(s.result_id, 0)`

func scanSession(row interface{ Scan(...any) error }) (CheckinSession, error) {
	var (
		s                        CheckinSession
		opened, deadline, endsAt int64
		closed                   sql.NullInt64
	)
	err := row.Scan(&s.ID, &s.ChatID, &s.UnitID, &s.Title, &s.Code, &s.Expected, &s.OpenedBy, &opened, &deadline, &endsAt,
		&closed, &s.Present, &s.Late, &s.AnnounceID, &s.ResultID)
	if errors.Is(err, sql.ErrNoRows) {
		return s, bot.ErrNotFound
	}
	s.OpenedAt, s.Deadline, s.EndsAt, s.ClosedAt = fromMS(opened), fromMS(deadline), fromMS(endsAt), nullMS(closed)
	return s, err
}

// OpenCheckin stores a new session and, in the same transaction, queues its
// announcement (announce gets the session with its id). If the chat already
// has a session open at now, it returns that session and ErrConflict.
func (db *DB) OpenCheckin(ctx context.Context, s CheckinSession, announce func(CheckinSession) bot.Outgoing, now time.Time) (CheckinSession, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		db.checkinSessionChanged(s.ChatID) // while this transaction holds the writer
		cur, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s
			WHERE s.chat_id = ? AND s.closed_at IS NULL AND s.ends_at > ? ORDER BY s.id DESC LIMIT 1`, s.ChatID, ms(now)))
		if err == nil {
			s = cur
			return ErrConflict
		}
		if !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO checkin_sessions(chat_id, unit_id, title, code, expected, opened_by, opened_at, deadline, ends_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ChatID, nullID(s.UnitID), s.Title, s.Code, s.Expected, s.OpenedBy, ms(s.OpenedAt), ms(s.Deadline), ms(s.EndsAt))
		if err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if s.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if s.AnnounceID, _, err = EnqueueTx(ctx, tx, announce(s), now); err != nil {
			return fmt.Errorf("queue announcement: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE checkin_sessions SET announce_id = ? WHERE id = ?`, s.AnnounceID, s.ID)
		return err
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		return s, fmt.Errorf("open check-in in chat %d: %w", s.ChatID, err)
	}
	return s, err
}

// CheckinSession loads a session by id.
func (db *DB) CheckinSession(ctx context.Context, id int64) (CheckinSession, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE id = ?`, id))
}

// LatestCheckin is the chat's most recent session, open or not.
func (db *DB) LatestCheckin(ctx context.Context, chatID int64) (CheckinSession, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE chat_id = ? ORDER BY id DESC LIMIT 1`, chatID))
}

// CheckinSessionsOfChat lists a chat's sessions opened in [from, to), oldest
// first; a zero bound is open.
func (db *DB) CheckinSessionsOfChat(ctx context.Context, chatID int64, from, to time.Time) ([]CheckinSession, error) {
	hi := int64(1 << 62)
	if !to.IsZero() {
		hi = ms(to)
	}
	return db.sessionQuery(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE chat_id = ? AND opened_at >= ? AND opened_at < ? ORDER BY id`,
		chatID, ms(from), hi)
}

// CheckinsDue lists sessions still open whose end is at or before now. It
// runs every tick: ORDER BY +id keeps SQLite from reading every session in
// id order instead of the few open ones from checkin_sessions_open.
func (db *DB) CheckinsDue(ctx context.Context, now time.Time) ([]CheckinSession, error) {
	return db.sessionQuery(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE closed_at IS NULL AND ends_at <= ? ORDER BY +id`, ms(now))
}

func (db *DB) sessionQuery(ctx context.Context, q string, args ...any) ([]CheckinSession, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query check-in sessions: %w", err)
	}
	return collect(rows, scanSession)
}

// Checkins lists the check-ins of sessions, in the order they were made.
func (db *DB) Checkins(ctx context.Context, sessionIDs ...int64) ([]Checkin, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	return checkinsQuery(ctx, db.r, `SELECT session_id, member_id, COALESCE(roster_id, 0), name, at, late FROM checkins
		WHERE session_id IN (`+placeholders(len(sessionIDs))+`) ORDER BY session_id, at, member_id`, int64Args(sessionIDs)...)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func checkinsQuery(ctx context.Context, q querier, query string, args ...any) ([]Checkin, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query check-ins: %w", err)
	}
	return collect(rows, scanCheckin)
}

func scanCheckin(row rowScanner) (Checkin, error) {
	var c Checkin
	var at int64
	err := row.Scan(&c.SessionID, &c.MemberID, &c.RosterID, &c.Name, &at, &c.Late)
	c.At = fromMS(at)
	return c, err
}

// CloseCheckin ends a session at now and, in the same transaction, queues
// its result, rendered by result from the final list of check-ins. It
// reports false (and queues nothing) if the session was already closed.
func (db *DB) CloseCheckin(ctx context.Context, id int64, now time.Time, result func(CheckinSession, []Checkin) bot.Outgoing) (bool, error) {
	closed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE checkin_sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		closed = true
		s, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE id = ?`, id))
		if err != nil {
			return err
		}
		db.checkinSessionChanged(s.ChatID) // while this transaction holds the writer
		cs, err := checkinsQuery(ctx, tx, `SELECT session_id, member_id, COALESCE(roster_id, 0), name, at, late FROM checkins
			WHERE session_id = ? ORDER BY at, member_id`, id)
		if err != nil {
			return err
		}
		out := result(s, cs)
		out.IdemKey = fmt.Sprintf("checkin:%d:result", id)
		rid, _, err := EnqueueTx(ctx, tx, out, now)
		if err != nil {
			return fmt.Errorf("queue result: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE checkin_sessions SET result_id = ? WHERE id = ?`, rid, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("close check-in %d: %w", id, err)
	}
	return closed, nil
}

// BareInsertCheckin stores one check-in row in its own transaction and
// nothing else (it leaves the session's counters alone): the bare
// single-row-insert baseline of the benchmarks, not for feature code.
func (db *DB) BareInsertCheckin(ctx context.Context, c Checkin) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, c.SessionID, c.MemberID, nullID(c.RosterID), c.Name, ms(c.At), c.Late)
	if err != nil {
		return fmt.Errorf("insert check-in: %w", err)
	}
	return nil
}

// CheckinAttempt is a member checking in to the current session of a chat.
type CheckinAttempt struct {
	ChatID   int64
	MemberID int64
	RosterID int64
	Name     string
	Code     string // as given; "" if none
	At       time.Time
}

// CheckinOutcome is what became of a CheckinAttempt.
type CheckinOutcome int

const (
	CheckedIn        CheckinOutcome = iota // stored, on time
	CheckedInLate                          // stored, late
	CheckinAlready                         // the member had already checked in; nothing changed
	CheckinNoSession                       // the chat never had a session
	CheckinClosed                          // the latest session is over
	CheckinNeedCode                        // the session needs a code and none was given
	CheckinWrongCode                       // the code does not match
)

// CheckinResult reports an attempt's outcome with the session and its counts
// after the batch that held the attempt.
type CheckinResult struct {
	Outcome CheckinOutcome
	Session CheckinSession
	Present int // check-ins so far, late ones included
	Late    int
	// Earlier is the member's earlier check-in for CheckinAlready.
	Earlier Checkin
}
