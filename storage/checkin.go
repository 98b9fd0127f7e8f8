package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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
	defer rows.Close()
	var out []CheckinSession
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
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
	defer rows.Close()
	var out []Checkin
	for rows.Next() {
		var c Checkin
		var at int64
		if err := rows.Scan(&c.SessionID, &c.MemberID, &c.RosterID, &c.Name, &at, &c.Late); err != nil {
			return nil, err
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
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

// CheckinWriter stores check-ins through a group-commit writer: concurrent
// check-ins share transactions. The running summary of each session whose
// count moved (one message with a merge key, so a burst leaves one summary
// pending per chat) is queued in a transaction of its own once no check-in
// waits, or by a batch if the writer has been kept busy for summaryEvery.
// A check-in is acknowledged once stored; its summary follows within
// moments (a crash in between loses that count, not the check-in: the next
// check-in or the session's result brings the group up to date).
//
// The writer keeps in memory the latest session of every chat it has seen
// and, while that session is open, who has checked in to it. A batch then
// reads nothing: it decides every attempt (no session, closed, code,
// repeat) in memory and stores the new check-ins with one INSERT, a handful
// of calls into SQLite for the whole batch. Sessions are opened and closed
// outside the writer (OpenCheckin, CloseCheckin); inside their transaction
// (all writes share one connection) they mark the chat stale in every
// writer, which rereads it before its next batch. A batch that does not
// commit makes the writer forget everything it holds.
type CheckinWriter struct {
	db       *DB
	g        *groupCommit[CheckinAttempt, CheckinResult]
	summary  func(s CheckinSession, present, late int) bot.Outgoing
	queued   func()
	prepared atomic.Bool

	staleMu sync.Mutex
	stale   map[int64]bool // chats to reread before the next batch

	// Touched only by the batch writer goroutine (one at a time).
	chats map[int64]*chatCheckins // nil: nothing known
	// dirty holds the sessions whose counts moved since their running
	// summary was last queued; written holds those the current batch
	// queued (forgotten from dirty once it commits).
	dirty         map[int64]dirtySummary
	written       []int64
	lastSummaries time.Time // wall clock: when summaries were last queued
}

// chatCheckins is what a CheckinWriter knows of one chat.
type chatCheckins struct {
	ok       bool           // false: the chat has no session
	s        CheckinSession // its latest session, with the counts kept current
	platform string
	// members are the check-ins to s by member, while s is not closed.
	members map[int64]Checkin
}

// summaryEvery is how often, at most, a writer kept busy queues the running
// summaries within a batch. A summary is a snapshot that the next one
// supersedes before it is sent (chats take a message every few seconds at
// best), so under a burst most of those queued more often were never sent,
// and each queueing writes a page or more per chat.
const summaryEvery = 250 * time.Millisecond

type dirtySummary struct {
	s        CheckinSession // with its latest counts
	at       time.Time      // the last stored check-in's time
	platform string
}

// NewCheckinWriter makes a writer; summary renders the running count of a
// session, and queued, if set, is called after running counts were queued
// on their own (to wake the senders).
func (db *DB) NewCheckinWriter(summary func(s CheckinSession, present, late int) bot.Outgoing, queued func()) *CheckinWriter {
	w := &CheckinWriter{db: db, summary: summary, queued: queued}
	w.g = &groupCommit[CheckinAttempt, CheckinResult]{db: db, name: "store check-ins", run: w.run, after: w.after,
		deferred: checkinSummaries{w}}
	db.checkinMu.Lock()
	db.checkinWriters = append(db.checkinWriters, w)
	db.checkinMu.Unlock()
	return w
}

// checkinSessionChanged tells every check-in writer that a chat's session
// was opened or closed. It is called inside the transaction that does so,
// while that transaction holds the one write connection, so no batch can
// run between the change and the writers hearing of it.
func (db *DB) checkinSessionChanged(chatID int64) {
	db.checkinMu.Lock()
	ws := db.checkinWriters
	db.checkinMu.Unlock()
	for _, w := range ws {
		w.markStale(chatID)
	}
}

func (w *CheckinWriter) markStale(chatID int64) {
	w.staleMu.Lock()
	if w.stale == nil {
		w.stale = map[int64]bool{}
	}
	w.stale[chatID] = true
	w.staleMu.Unlock()
}

func (w *CheckinWriter) takeStale() map[int64]bool {
	w.staleMu.Lock()
	defer w.staleMu.Unlock()
	s := w.stale
	w.stale = nil
	return s
}

// after forgets everything the writer holds when a batch did not commit:
// sessions, check-ins and counts may have moved in memory only.
func (w *CheckinWriter) after(err error) {
	if err != nil {
		w.chats = nil
		w.dirty = nil
	} else {
		for _, id := range w.written {
			delete(w.dirty, id)
		}
	}
	w.written = w.written[:0]
}

// Checkin stores one attempt and returns once it is committed.
func (w *CheckinWriter) Checkin(ctx context.Context, a CheckinAttempt) (CheckinResult, error) {
	if !w.prepared.Load() {
		if err := w.db.prepareWriter(ctx, checkinInsertSQL, snapshotReplaceSQL, snapshotSupersedeSQL, snapshotInsertSQL); err != nil {
			return CheckinResult{}, fmt.Errorf("store check-ins: %w", err)
		}
		w.prepared.Store(true)
	}
	return w.g.do(ctx, a)
}

// Settle returns once every check-in handed to the writer is stored and the
// running summaries it owes are queued.
func (w *CheckinWriter) Settle(ctx context.Context) error { return w.g.settle(ctx) }

// The batch statements take their rows as one JSON array parameter, so each
// has one shape whatever the batch size: prepared once, with one argument
// to bind instead of six per row.
const (
	// [[session, member, roster or null, name, at, late], ...]
	checkinInsertSQL = `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?) j
		WHERE true ON CONFLICT DO NOTHING`
)

// errRunAgain is returned (wrapped) by a group-commit run that found the
// database changed under what its writer keeps in memory (check-ins stored
// by another process): the batch is rolled back, the writer forgets what it
// kept (after) and runs the batch once more.
var errRunAgain = errors.New("database changed outside this writer")

// jsonRows encodes batch rows for a json_each parameter.
func jsonRows(rows [][]any) (string, error) {
	b, err := json.Marshal(rows)
	return string(b), err
}

// queryJSON runs a prepared fixed-shape batch statement q inside tx with its
// rows as one JSON parameter, and returns the rows it yields.
func (db *DB) queryJSON(ctx context.Context, tx *sql.Tx, q string, rows [][]any) (*sql.Rows, error) {
	arg, err := jsonRows(rows)
	if err != nil {
		return nil, err
	}
	st, err := db.txStmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, arg)
}

// execJSON is queryJSON for a statement that yields no rows; it reports how
// many rows the statement changed.
func (db *DB) execJSON(ctx context.Context, tx *sql.Tx, q string, rows [][]any) (int64, error) {
	arg, err := jsonRows(rows)
	if err != nil {
		return 0, err
	}
	st, err := db.txStmt(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, arg)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// run stores a batch. It decides every attempt from what the writer holds
// in memory (reading only the chats it has not seen or was told changed)
// and writes the new check-ins with one statement: every statement is a
// round trip through cgo, and a writer that makes hundreds of them per
// batch spends its time waiting to be scheduled.
func (w *CheckinWriter) run(ctx context.Context, tx *sql.Tx, in []CheckinAttempt) ([]CheckinResult, error) {
	if w.chats == nil {
		w.chats = map[int64]*chatCheckins{}
		w.takeStale() // all is reread anyway
	}
	for chat := range w.takeStale() {
		delete(w.chats, chat)
	}
	var load []int64
	for _, a := range in {
		if _, ok := w.chats[a.ChatID]; !ok {
			w.chats[a.ChatID] = &chatCheckins{}
			load = append(load, a.ChatID)
		}
	}
	if len(load) > 0 {
		if err := w.load(ctx, tx, load); err != nil {
			w.chats = nil
			return nil, fmt.Errorf("sessions: %w", err)
		}
	}

	out := make([]CheckinResult, len(in))
	var (
		insRows [][]any
		moved   = map[*chatCheckins]time.Time{} // sessions whose counts moved: their last check-in
	)
	for i, a := range in {
		st := w.chats[a.ChatID]
		r := &out[i]
		switch s := st.s; {
		case !st.ok:
			r.Outcome = CheckinNoSession
		case s.Closed(a.At):
			r.Outcome = CheckinClosed
		case s.Code != "" && a.Code == "":
			r.Outcome = CheckinNeedCode
		case s.Code != "" && a.Code != s.Code:
			r.Outcome = CheckinWrongCode
		default:
			if prev, ok := st.members[a.MemberID]; ok {
				// Also a second attempt in the same batch.
				r.Outcome, r.Earlier = CheckinAlready, prev
				break
			}
			c := Checkin{SessionID: s.ID, MemberID: a.MemberID, RosterID: a.RosterID, Name: a.Name, At: a.At, Late: !a.At.Before(s.Deadline)}
			st.members[a.MemberID] = c
			st.s.Present++
			r.Outcome = CheckedIn
			late := 0
			if c.Late {
				st.s.Late++
				r.Outcome, late = CheckedInLate, 1
			}
			moved[st] = a.At
			insRows = append(insRows, []any{s.ID, a.MemberID, nullID(a.RosterID), a.Name, ms(a.At), late})
		}
	}
	if len(insRows) > 0 {
		n, err := w.db.execJSON(ctx, tx, checkinInsertSQL, insRows)
		if err != nil {
			return nil, fmt.Errorf("insert check-ins: %w", err)
		}
		if n != int64(len(insRows)) {
			return nil, fmt.Errorf("%d of %d check-ins were already stored: %w", int64(len(insRows))-n, len(insRows), errRunAgain)
		}
		// Another writer on this database must reread these chats.
		w.db.checkinMu.Lock()
		others := w.db.checkinWriters
		w.db.checkinMu.Unlock()
		for _, o := range others {
			if o != w {
				for st := range moved {
					o.markStale(st.s.ChatID)
				}
			}
		}
	}
	for i, a := range in {
		st := w.chats[a.ChatID]
		out[i].Session, out[i].Present, out[i].Late = st.s, st.s.Present, st.s.Late
	}

	if w.summary != nil {
		if w.dirty == nil {
			w.dirty = map[int64]dirtySummary{}
		}
		for st, at := range moved {
			w.dirty[st.s.ID] = dirtySummary{s: st.s, at: at, platform: st.platform}
		}
		if len(w.dirty) > 0 && time.Since(w.lastSummaries) >= summaryEvery {
			if err := w.queueSummaries(ctx, tx); err != nil {
				return nil, fmt.Errorf("queue summaries: %w", err)
			}
		}
	}
	return out, nil
}

// checkinSummaries are the running summaries a writer queues when no
// check-in waits (see CheckinWriter).
type checkinSummaries struct{ w *CheckinWriter }

func (c checkinSummaries) pending() bool { return len(c.w.dirty) > 0 }

func (c checkinSummaries) run(ctx context.Context, tx *sql.Tx) error {
	if err := c.w.queueSummaries(ctx, tx); err != nil {
		return fmt.Errorf("queue check-in summaries: %w", err)
	}
	return nil
}

// after: summaries whose transaction failed are given up (they are
// snapshots; the next check-in queues a fresh one), so a failing database
// is not retried in a loop.
func (c checkinSummaries) after(err error) {
	if err != nil {
		c.w.dirty = nil
		c.w.chats = nil
	}
	queued := err == nil && len(c.w.written) > 0
	c.w.after(nil)
	if queued && c.w.queued != nil {
		c.w.queued()
	}
}

// queueSummaries queues the running count of every session in w.dirty that
// is still the open latest session of its chat.
func (w *CheckinWriter) queueSummaries(ctx context.Context, tx *sql.Tx) error {
	ids := make([]int64, 0, len(w.dirty))
	for id, d := range w.dirty {
		st, ok := w.chats[d.s.ChatID]
		if !ok {
			// Reread below: the session may have been closed (its result is
			// out, no count may follow it).
			continue
		}
		if !st.ok || st.s.ID != id || !st.s.ClosedAt.IsZero() {
			delete(w.dirty, id)
			continue
		}
		ids = append(ids, id)
	}
	var reread []int64
	for _, d := range w.dirty {
		if _, ok := w.chats[d.s.ChatID]; !ok {
			reread = append(reread, d.s.ChatID)
			w.chats[d.s.ChatID] = &chatCheckins{}
		}
	}
	if len(reread) > 0 {
		if err := w.load(ctx, tx, reread); err != nil {
			w.chats = nil
			return err
		}
		for id, d := range w.dirty {
			if slices.Contains(reread, d.s.ChatID) {
				if st := w.chats[d.s.ChatID]; !st.ok || st.s.ID != id || !st.s.ClosedAt.IsZero() {
					delete(w.dirty, id)
				} else {
					ids = append(ids, id)
				}
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	msgs := make([]bot.Outgoing, len(ids))
	ats := make([]time.Time, len(ids))
	known := map[int64]string{}
	for i, id := range ids {
		d := w.dirty[id]
		msgs[i], ats[i] = w.summary(d.s, d.s.Present, d.s.Late), d.at
		if d.platform != "" {
			known[d.s.ChatID] = d.platform
		}
	}
	if err := w.db.enqueueSnapshots(ctx, tx, msgs, ats, known); err != nil {
		return err
	}
	w.written = append(w.written[:0], ids...)
	w.lastSummaries = time.Now()
	return nil
}

// load reads the latest session of each chat (each already in w.chats) and,
// for those not closed, who has checked in.
func (w *CheckinWriter) load(ctx context.Context, tx *sql.Tx, chats []int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT (SELECT platform FROM chats WHERE chats.id = s.chat_id), `+sessionCols+` FROM checkin_sessions s WHERE s.id IN
		(SELECT MAX(id) FROM checkin_sessions WHERE chat_id IN (`+placeholders(len(chats))+`) GROUP BY chat_id)`, int64Args(chats)...)
	if err != nil {
		return err
	}
	var open []any
	for rows.Next() {
		st := &chatCheckins{ok: true}
		if st.s, err = scanSession(prefixScanner{rows, &st.platform}); err != nil {
			rows.Close()
			return err
		}
		if st.s.ClosedAt.IsZero() {
			st.members = map[int64]Checkin{}
			open = append(open, st.s.ID)
		}
		w.chats[st.s.ChatID] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(open) == 0 {
		return nil
	}
	cs, err := checkinsQuery(ctx, tx, `SELECT session_id, member_id, COALESCE(roster_id, 0), name, at, late FROM checkins
		WHERE session_id IN (`+placeholders(len(open))+`)`, open...)
	if err != nil {
		return err
	}
	byID := map[int64]*chatCheckins{}
	for _, c := range chats {
		if st := w.chats[c]; st.ok {
			byID[st.s.ID] = st
		}
	}
	for _, c := range cs {
		if st := byID[c.SessionID]; st != nil && st.members != nil {
			st.members[c.MemberID] = c
		}
	}
	return nil
}

// prefixScanner scans a row whose first column goes to first and the rest
// to what the caller asks for.
type prefixScanner struct {
	row   interface{ Scan(...any) error }
	first any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.first}, dest...)...)
}
