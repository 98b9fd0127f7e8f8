package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
)

// The check-in feature's statements: sessions, check-ins, and the
// group-commit writer its check-ins go through. The feature decides; these
// store what it decided.
var (
	_ checkin.Store = (*DB)(nil)
	_ checkin.Tx    = (*Tx)(nil)
)

// sessionCols are the columns scanSession reads, from checkin_sessions
// named s. The counts are counted, not stored: a stored counter was one more
// page rewritten by every batch of check-ins.
const sessionCols = `s.id, s.seq, s.chat_id, COALESCE(s.unit_id, 0), s.title, s.code, s.expected, s.opened_by, s.opened_at, s.deadline, s.ends_at,
	s.closed_at, (SELECT COUNT(*) FROM checkins c WHERE c.session_id = s.id),
	(SELECT COUNT(*) FROM checkins c WHERE c.session_id = s.id AND c.late), COALESCE(s.announce_id, 0), COALESCE(s.result_id, 0), s.meeting_type, s.expect_titles`

func scanSession(row rowScanner) (checkin.Session, error) {
	var (
		s                        checkin.Session
		opened, deadline, endsAt int64
		closed                   sql.NullInt64
		titles                   string
	)
	err := row.Scan(&s.ID, &s.Seq, &s.ChatID, &s.UnitID, &s.Title, &s.Code, &s.Expected, &s.OpenedBy, &opened, &deadline, &endsAt,
		&closed, &s.Present, &s.Late, &s.AnnounceID, &s.ResultID, &s.MeetingType, &titles)
	if errors.Is(err, sql.ErrNoRows) {
		return s, bot.ErrNotFound
	}
	s.OpenedAt, s.Deadline, s.EndsAt, s.ClosedAt = fromMS(opened), fromMS(deadline), fromMS(endsAt), nullMS(closed)
	if titles != "" {
		s.Titles = strings.Split(titles, ",")
	}
	return s, err
}

// UpdateCheckins runs fn in one write transaction (see Update).
func (db *DB) UpdateCheckins(ctx context.Context, now time.Time, fn func(checkin.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// CheckinSession loads a session by id.
func (db *DB) CheckinSession(ctx context.Context, id int64) (checkin.Session, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE id = ?`, id))
}

// LatestCheckin is the chat's most recent session, open or not.
func (db *DB) LatestCheckin(ctx context.Context, chatID int64) (checkin.Session, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE chat_id = ? ORDER BY id DESC LIMIT 1`, chatID))
}

// CheckinByNumber is the chat's session numbered seq.
func (db *DB) CheckinByNumber(ctx context.Context, chatID, seq int64) (checkin.Session, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE chat_id = ? AND seq = ?`, chatID, seq))
}

// CheckinSessionsOfChat lists a chat's sessions opened in [from, to), oldest
// first; a zero bound is open.
func (db *DB) CheckinSessionsOfChat(ctx context.Context, chatID int64, from, to time.Time) ([]checkin.Session, error) {
	hi := int64(1 << 62)
	if !to.IsZero() {
		hi = ms(to)
	}
	return sessionQuery(ctx, db.r, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE chat_id = ? AND opened_at >= ? AND opened_at < ? ORDER BY id`,
		chatID, ms(from), hi)
}

// CheckinsDue lists sessions still open whose end is at or before now. It
// runs every tick: ORDER BY +id keeps SQLite from reading every session in
// id order instead of the few open ones from checkin_sessions_open.
func (db *DB) CheckinsDue(ctx context.Context, now time.Time) ([]checkin.Session, error) {
	return sessionQuery(ctx, db.r, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE closed_at IS NULL AND ends_at <= ? ORDER BY +id`, ms(now))
}

func sessionQuery(ctx context.Context, q querier, query string, args ...any) ([]checkin.Session, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query check-in sessions: %w", err)
	}
	return collect(rows, scanSession)
}

// Checkins lists the check-ins of sessions, in the order they were made.
func (db *DB) Checkins(ctx context.Context, sessionIDs ...int64) ([]checkin.Checkin, error) {
	return checkinsOf(ctx, db.r, sessionIDs)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func checkinsOf(ctx context.Context, q querier, sessionIDs []int64) ([]checkin.Checkin, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	// A member who checked in before linking their roster entry counts as
	// that entry once linked: the link proves who held the account.
	rows, err := q.QueryContext(ctx, `SELECT c.session_id, c.member_id, COALESCE(c.roster_id, m.roster_id, 0), COALESCE(r.unit_id, 0), c.name, c.at, c.late
		FROM checkins c LEFT JOIN members m ON m.id = c.member_id AND c.roster_id IS NULL
		LEFT JOIN roster r ON r.id = COALESCE(c.roster_id, m.roster_id)
		WHERE c.session_id IN (`+placeholders(len(sessionIDs))+`) ORDER BY c.session_id, c.at, c.member_id`, int64Args(sessionIDs)...)
	if err != nil {
		return nil, fmt.Errorf("query check-ins: %w", err)
	}
	return collect(rows, scanCheckin)
}

func scanCheckin(row rowScanner) (checkin.Checkin, error) {
	var c checkin.Checkin
	var at int64
	err := row.Scan(&c.SessionID, &c.MemberID, &c.RosterID, &c.UnitID, &c.Name, &at, &c.Late)
	c.At = fromMS(at)
	return c, err
}

// CheckinSession loads a session by id inside the transaction.
func (t *Tx) CheckinSession(id int64) (checkin.Session, error) {
	return scanSession(t.tx.QueryRowContext(t.ctx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE id = ?`, id))
}

// LatestCheckinSessions reads the latest session of each chat that has one.
func (t *Tx) LatestCheckinSessions(chatIDs []int64) ([]checkin.Session, error) {
	if len(chatIDs) == 0 {
		return nil, nil
	}
	return sessionQuery(t.ctx, t.tx, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE s.id IN
		(SELECT MAX(id) FROM checkin_sessions WHERE chat_id IN (`+placeholders(len(chatIDs))+`) GROUP BY chat_id)`, int64Args(chatIDs)...)
}

// CheckinsOfSessions lists the check-ins of sessions inside the
// transaction, in the order they were made.
func (t *Tx) CheckinsOfSessions(sessionIDs ...int64) ([]checkin.Checkin, error) {
	return checkinsOf(t.ctx, t.tx, sessionIDs)
}

// InsertCheckinSession stores a new session and returns it with its id
// and the next number of its chat.
func (t *Tx) InsertCheckinSession(s checkin.Session) (checkin.Session, error) {
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO checkin_sessions(chat_id, seq, unit_id, title, code, expected, opened_by, opened_at, deadline, ends_at, meeting_type, expect_titles)
		VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkin_sessions WHERE chat_id = ?1), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, seq`,
		s.ChatID, nullID(s.UnitID), s.Title, s.Code, s.Expected, s.OpenedBy, ms(s.OpenedAt), ms(s.Deadline), ms(s.EndsAt), s.MeetingType,
		strings.Join(s.Titles, ",")).Scan(&s.ID, &s.Seq)
	if err != nil {
		return s, fmt.Errorf("insert check-in session: %w", err)
	}
	return s, nil
}

// SetCheckinAnnouncement remembers the outbox id of a session's
// announcement.
func (t *Tx) SetCheckinAnnouncement(sessionID, outboxID int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE checkin_sessions SET announce_id = ? WHERE id = ?`, outboxID, sessionID); err != nil {
		return fmt.Errorf("check-in %d: announcement: %w", sessionID, err)
	}
	return nil
}

// SetCheckinResult remembers the outbox id of a session's result.
func (t *Tx) SetCheckinResult(sessionID, outboxID int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE checkin_sessions SET result_id = ? WHERE id = ?`, outboxID, sessionID); err != nil {
		return fmt.Errorf("check-in %d: result: %w", sessionID, err)
	}
	return nil
}

// CloseCheckinSession ends a session at at; it reports false if the session
// had ended already.
func (t *Tx) CloseCheckinSession(id int64, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE checkin_sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("close check-in %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// checkinInsertSQL takes its rows as one JSON array parameter (see
// execJSON), so it has one shape whatever the batch size: prepared once,
// with one argument to bind instead of six per row.
// [[session, member, roster or null, name, at, late], ...]
const checkinInsertSQL = `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late)
	SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?) j
	WHERE true ON CONFLICT DO NOTHING`

// InsertCheckins stores decided check-ins with one statement. If fewer rows
// went in than were given, another process stored some of them meanwhile:
// the writer's memory is out of date, and the error makes the batcher run
// the batch again once the writer has forgotten it (errRunAgain).
func (t *Tx) InsertCheckins(cs []checkin.Checkin) error {
	if len(cs) == 0 {
		return nil
	}
	rows := make([][]any, len(cs))
	for i, c := range cs {
		late := 0
		if c.Late {
			late = 1
		}
		rows[i] = []any{c.SessionID, c.MemberID, nullID(c.RosterID), c.Name, ms(c.At), late}
	}
	n, err := t.db.execJSON(t.ctx, t.tx, checkinInsertSQL, rows)
	if err != nil {
		return err
	}
	if n != int64(len(cs)) {
		return fmt.Errorf("%d of %d check-ins were already stored: %w", int64(len(cs))-n, len(cs), errRunAgain)
	}
	return nil
}

// CheckinBatcher makes a group-commit writer for check-ins that runs b's
// batches (see groupCommit).
func (db *DB) CheckinBatcher(b checkin.Batch) checkin.Batcher {
	return &groupCommit[checkin.Attempt, checkin.Answer]{db: db, name: "store check-ins",
		run: func(ctx context.Context, t *Tx, in []checkin.Attempt) ([]checkin.Answer, error) {
			return b.Run(ctx, t, in)
		},
		after:    b.After,
		receipts: true,
		deferred: checkinDeferred{b},
		prepare:  []string{checkinInsertSQL, snapshotPendingSQL, snapshotReplaceSQL, snapshotSupersedeSQL, snapshotInsertSQL},
	}
}

// checkinDeferred is a check-in Batch's deferred work (its running counts).
type checkinDeferred struct{ b checkin.Batch }

func (d checkinDeferred) pending() bool                        { return d.b.Deferred() }
func (d checkinDeferred) run(ctx context.Context, t *Tx) error { return d.b.RunDeferred(ctx, t) }
func (d checkinDeferred) after(err error)                      { d.b.AfterDeferred(err) }

// BareInsertCheckin stores one check-in row in its own transaction and
// nothing else: the bare single-row-insert baseline of the benchmarks, not
// for feature code.
func (db *DB) BareInsertCheckin(ctx context.Context, c checkin.Checkin) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, c.SessionID, c.MemberID, nullID(c.RosterID), c.Name, ms(c.At), c.Late)
	if err != nil {
		return fmt.Errorf("insert check-in: %w", err)
	}
	return nil
}

const leaveCols = `id, COALESCE(session_id, 0), COALESCE(chat_id, 0), meeting_type, day, roster_id, member_id, name, reason, status, COALESCE(decided_by, 0), decider_name, note, created_at, COALESCE(decided_at, 0)`

func scanLeave(row rowScanner) (checkin.Leave, error) {
	var (
		l                checkin.Leave
		created, decided int64
	)
	err := row.Scan(&l.ID, &l.SessionID, &l.ChatID, &l.MeetingType, &l.Day, &l.RosterID, &l.MemberID, &l.Name, &l.Reason, &l.Status, &l.DecidedBy, &l.DeciderName, &l.Note, &created, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return l, bot.ErrNotFound
	}
	l.CreatedAt = fromMS(created)
	if decided != 0 {
		l.DecidedAt = fromMS(decided)
	}
	return l, err
}

// CheckinLeaves lists the leave requests of sessions, oldest first.
func (db *DB) CheckinLeaves(ctx context.Context, sessionIDs ...int64) ([]checkin.Leave, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+leaveCols+` FROM checkin_leaves WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY id`, int64JSON(sessionIDs))
	if err != nil {
		return nil, fmt.Errorf("read leave requests: %w", err)
	}
	return collect(rows, scanLeave)
}

// CheckinLeave loads one leave request.
func (db *DB) CheckinLeave(ctx context.Context, id int64) (checkin.Leave, error) {
	return scanLeave(db.r.QueryRowContext(ctx, `SELECT `+leaveCols+` FROM checkin_leaves WHERE id = ?`, id))
}

// RequestLeave stores a leave request, or returns the person's earlier one
// for the session and false.
func (t *Tx) RequestLeave(l checkin.Leave) (checkin.Leave, bool, error) {
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO checkin_leaves(session_id, roster_id, member_id, name, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (session_id, roster_id) DO NOTHING RETURNING id`, l.SessionID, l.RosterID, l.MemberID, l.Name, l.Reason, ms(l.CreatedAt)).Scan(&l.ID)
	if err == nil {
		l.Status = checkin.LeavePending
		return l, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return l, false, fmt.Errorf("store leave request: %w", err)
	}
	old, err := scanLeave(t.tx.QueryRowContext(t.ctx, `SELECT `+leaveCols+` FROM checkin_leaves WHERE session_id = ? AND roster_id = ?`, l.SessionID, l.RosterID))
	return old, false, err
}

// LeavesAhead lists the leave asked ahead in a chat that no session has
// taken yet, oldest first.
func (db *DB) LeavesAhead(ctx context.Context, chatID int64) ([]checkin.Leave, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+leaveCols+` FROM checkin_leaves WHERE session_id IS NULL AND chat_id = ? ORDER BY id`, chatID)
	if err != nil {
		return nil, fmt.Errorf("read leave asked ahead in chat %d: %w", chatID, err)
	}
	return collect(rows, scanLeave)
}

// RequestLeaveAhead stores leave asked ahead, or returns the person's
// earlier request for the same chat, type and day that no session has
// taken yet, and false.
func (t *Tx) RequestLeaveAhead(l checkin.Leave) (checkin.Leave, bool, error) {
	old, err := scanLeave(t.tx.QueryRowContext(t.ctx, `SELECT `+leaveCols+` FROM checkin_leaves
		WHERE session_id IS NULL AND chat_id = ? AND roster_id = ? AND meeting_type = ? AND day = ?`, l.ChatID, l.RosterID, l.MeetingType, l.Day))
	if err == nil {
		return old, false, nil
	}
	if !errors.Is(err, bot.ErrNotFound) {
		return l, false, fmt.Errorf("look up leave asked ahead: %w", err)
	}
	err = t.tx.QueryRowContext(t.ctx, `INSERT INTO checkin_leaves(chat_id, meeting_type, day, roster_id, member_id, name, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, l.ChatID, l.MeetingType, l.Day, l.RosterID, l.MemberID, l.Name, l.Reason, ms(l.CreatedAt)).Scan(&l.ID)
	if err != nil {
		return l, false, fmt.Errorf("store leave asked ahead: %w", err)
	}
	l.Status = checkin.LeavePending
	return l, true, nil
}

// AttachLeavesAhead gives s the leave asked ahead that matches it (see
// checkin.Tx).
func (t *Tx) AttachLeavesAhead(s checkin.Session, day string) ([]checkin.Leave, error) {
	rows, err := t.tx.QueryContext(t.ctx, `UPDATE checkin_leaves SET session_id = ?1 WHERE id IN (
			SELECT MIN(l.id) FROM checkin_leaves l WHERE l.session_id IS NULL AND l.chat_id = ?2
				AND (l.meeting_type = '' OR l.meeting_type = ?3) AND (l.day = '' OR l.day = ?4)
				AND NOT EXISTS (SELECT 1 FROM checkin_leaves o WHERE o.session_id = ?1 AND o.roster_id = l.roster_id)
				AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.session_id = ?1 AND c.roster_id = l.roster_id)
			GROUP BY l.roster_id)
		RETURNING `+leaveCols, s.ID, s.ChatID, s.MeetingType, day)
	if err != nil {
		return nil, fmt.Errorf("attach leave asked ahead to session %d: %w", s.ID, err)
	}
	ls, err := collect(rows, scanLeave)
	if err != nil {
		return nil, fmt.Errorf("attach leave asked ahead to session %d: %w", s.ID, err)
	}
	slices.SortFunc(ls, func(a, b checkin.Leave) int { return cmp.Compare(a.ID, b.ID) })
	return ls, nil
}

// DecideLeave records a decision on a pending request; ErrStale when it
// was decided meanwhile.
func (t *Tx) DecideLeave(to checkin.Leave) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE checkin_leaves SET status = ?, decided_by = ?, decider_name = ?, note = ?, decided_at = ? WHERE id = ? AND status = 'pending'`,
		to.Status, nullID(to.DecidedBy), to.DeciderName, to.Note, ms(to.DecidedAt), to.ID)
	if err != nil {
		return fmt.Errorf("decide leave request %d: %w", to.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return checkin.ErrStale
	}
	return nil
}

// CheckinMakeups lists the make-up sign-ins of sessions.
func (db *DB) CheckinMakeups(ctx context.Context, sessionIDs ...int64) ([]checkin.Makeup, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT session_id, roster_id, name, recorded_by, recorder_name, at FROM checkin_makeups
		WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY at`, int64JSON(sessionIDs))
	if err != nil {
		return nil, fmt.Errorf("read make-up sign-ins: %w", err)
	}
	return collect(rows, func(r rowScanner) (checkin.Makeup, error) {
		var (
			m  checkin.Makeup
			at int64
		)
		err := r.Scan(&m.SessionID, &m.RosterID, &m.Name, &m.RecordedBy, &m.RecorderName, &at)
		m.At = fromMS(at)
		return m, err
	})
}

// AddMakeup stores a make-up sign-in; false when there is one already.
func (t *Tx) AddMakeup(m checkin.Makeup) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO checkin_makeups(session_id, roster_id, name, recorded_by, recorder_name, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, m.SessionID, m.RosterID, m.Name, m.RecordedBy, m.RecorderName, ms(m.At))
	if err != nil {
		return false, fmt.Errorf("store make-up sign-in: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// MeetingsOfUnit lists the sessions of the unit that carry a meeting type,
// opened in [from, to), oldest first.
func (db *DB) MeetingsOfUnit(ctx context.Context, unitID int64, from, to time.Time) ([]checkin.Session, error) {
	return sessionQuery(ctx, db.r, `SELECT `+sessionCols+` FROM checkin_sessions s WHERE s.unit_id = ? AND s.meeting_type != ''
		AND s.opened_at >= ? AND s.opened_at < ? ORDER BY s.opened_at`, unitID, ms(from), ms(to))
}

// CheckinNotes lists the minutes of sessions, in order.
func (db *DB) CheckinNotes(ctx context.Context, sessionIDs ...int64) ([]checkin.Note, error) {
	if len(sessionIDs) == 0 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT session_id, text, member_id, author_name, at FROM checkin_notes
		WHERE session_id IN (SELECT value FROM json_each(?)) ORDER BY id`, int64JSON(sessionIDs))
	if err != nil {
		return nil, fmt.Errorf("read minutes: %w", err)
	}
	return collect(rows, func(r rowScanner) (checkin.Note, error) {
		var (
			n  checkin.Note
			at int64
		)
		err := r.Scan(&n.SessionID, &n.Text, &n.MemberID, &n.AuthorName, &at)
		n.At = fromMS(at)
		return n, err
	})
}

// AddNote stores a piece of a session's minutes.
func (t *Tx) AddNote(n checkin.Note) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO checkin_notes(session_id, text, member_id, author_name, at) VALUES (?, ?, ?, ?, ?)`,
		n.SessionID, n.Text, n.MemberID, n.AuthorName, ms(n.At)); err != nil {
		return fmt.Errorf("store minutes of session %d: %w", n.SessionID, err)
	}
	return nil
}

// UnitCheckinsSince implements meetings.Store, along checkin_sessions_unit.
func (db *DB) UnitCheckinsSince(ctx context.Context, unitID int64) (time.Time, bool, error) {
	var at sql.NullInt64
	err := db.readRow(ctx, `SELECT MIN(opened_at) FROM checkin_sessions WHERE unit_id = ?`, unitID).Scan(&at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("first check-in of unit %d: %w", unitID, err)
	}
	return fromMS(at.Int64), at.Valid, nil
}

// UnitsWithMeetings lists the units that held a meeting (a session with a
// meeting type) since.
func (db *DB) UnitsWithMeetings(ctx context.Context, since time.Time) ([]int64, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT unit_id FROM checkin_sessions WHERE meeting_type != '' AND opened_at >= ? AND unit_id IS NOT NULL`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("read units with meetings: %w", err)
	}
	return collect(rows, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}
