package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
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

const sessionCols = `id, chat_id, COALESCE(unit_id, 0), title, code, expected, opened_by, opened_at, deadline, ends_at,
	closed_at, present, late_count, COALESCE(announce_id, 0), COALESCE(result_id, 0)`

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
		db.checkinGen.Add(1) // while this transaction holds the writer
		cur, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions
			WHERE chat_id = ? AND closed_at IS NULL AND ends_at > ? ORDER BY id DESC LIMIT 1`, s.ChatID, ms(now)))
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
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE id = ?`, id))
}

// LatestCheckin is the chat's most recent session, open or not.
func (db *DB) LatestCheckin(ctx context.Context, chatID int64) (CheckinSession, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE chat_id = ? ORDER BY id DESC LIMIT 1`, chatID))
}

// CheckinSessionsOfChat lists a chat's sessions opened in [from, to), oldest
// first; a zero bound is open.
func (db *DB) CheckinSessionsOfChat(ctx context.Context, chatID int64, from, to time.Time) ([]CheckinSession, error) {
	hi := int64(1 << 62)
	if !to.IsZero() {
		hi = ms(to)
	}
	return db.sessionQuery(ctx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE chat_id = ? AND opened_at >= ? AND opened_at < ? ORDER BY id`,
		chatID, ms(from), hi)
}

// CheckinsDue lists sessions still open whose end is at or before now.
func (db *DB) CheckinsDue(ctx context.Context, now time.Time) ([]CheckinSession, error) {
	return db.sessionQuery(ctx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE closed_at IS NULL AND ends_at <= ? ORDER BY id`, ms(now))
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
		db.checkinGen.Add(1) // while this transaction holds the writer
		res, err := tx.ExecContext(ctx, `UPDATE checkin_sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		closed = true
		s, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE id = ?`, id))
		if err != nil {
			return err
		}
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
// check-ins share transactions, and a transaction also queues one running
// summary per session whose count moved (with a merge key, so a burst
// leaves one summary pending per chat): the transaction after which no
// check-in waits always does, one of a busy writer at most every
// summaryEvery.
//
// The writer keeps the latest session of each chat it has seen in memory, so
// a batch does not read them again. Sessions are opened and closed outside
// the writer (OpenCheckin, CloseCheckin); those bump db.checkinGen inside
// their transaction, and as all writes share one connection, a batch that
// finds the generation unchanged knows no session changed since it last
// looked. The counts are the one thing the writer itself changes; it bumps
// the generation too when it does (so another writer on the same database
// rereads), and forgets everything when a batch does not commit.
type CheckinWriter struct {
	db       *DB
	g        *groupCommit[CheckinAttempt, CheckinResult]
	summary  func(s CheckinSession, present, late int) bot.Outgoing
	prepared atomic.Bool

	// Touched only by the batch writer goroutine (one at a time).
	gen      uint64
	sessions map[int64]cachedSession // chat id -> its latest session
	// dirty holds the sessions whose counts moved since their running
	// summary was last queued; written holds those the current batch
	// queued (forgotten from dirty once it commits).
	dirty         map[int64]dirtySummary
	written       []int64
	lastSummaries time.Time // wall clock: when summaries were last queued
}

// summaryEvery is how often, at most, a writer kept busy queues the running
// summaries. A summary is a snapshot that the next one supersedes before
// it is sent (chats take a message every few seconds at best), so under a
// burst most of those queued after every batch were never sent; their
// writes cost two statements and a dozen pages per batch. The batch after
// which no more check-ins wait always queues them.
const summaryEvery = 25 * time.Millisecond

type dirtySummary struct {
	s        CheckinSession // with its latest counts
	at       time.Time      // the last stored check-in's time
	platform string
}

type cachedSession struct {
	s        CheckinSession
	ok       bool   // false: the chat has no session
	platform string // the chat's platform, when ok
}

// NewCheckinWriter makes a writer; summary renders the running count that is
// queued after each batch.
func (db *DB) NewCheckinWriter(summary func(s CheckinSession, present, late int) bot.Outgoing) *CheckinWriter {
	w := &CheckinWriter{db: db, summary: summary}
	w.g = &groupCommit[CheckinAttempt, CheckinResult]{db: db, name: "store check-ins", run: w.run, after: w.after}
	return w
}

// after forgets the cached sessions when a batch did not commit: their
// counts may have moved in memory only.
func (w *CheckinWriter) after(err error) {
	if err != nil {
		w.sessions = nil // and dirty counts are reread (run)
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
		if err := w.db.prepareWriter(ctx, checkinInsertSQL, checkinCountSQL, snapshotSupersedeSQL, snapshotInsertSQL); err != nil {
			return CheckinResult{}, fmt.Errorf("store check-ins: %w", err)
		}
		w.prepared.Store(true)
	}
	return w.g.do(ctx, a)
}

// The batch statements take their rows as one JSON array parameter, so each
// has one shape whatever the batch size: prepared once, with one argument
// to bind instead of six per row.
const (
	// [[session, member, roster or null, name, at, late], ...]
	checkinInsertSQL = `INSERT INTO checkins(session_id, member_id, roster_id, name, at, late)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?) j
		WHERE true ON CONFLICT DO NOTHING RETURNING session_id, member_id`
	// [[session, added, added late], ...]
	checkinCountSQL = `UPDATE checkin_sessions SET present = present + (j.value->>1), late_count = late_count + (j.value->>2)
		FROM json_each(?) j WHERE checkin_sessions.id = j.value->>0 RETURNING checkin_sessions.id, present, late_count`
)

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

// execJSON is queryJSON for a statement that returns no rows.
func (db *DB) execJSON(ctx context.Context, tx *sql.Tx, q string, rows [][]any) error {
	arg, err := jsonRows(rows)
	if err != nil {
		return err
	}
	st, err := db.txStmt(ctx, tx, q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, arg)
	return err
}

// run stores a batch with a fixed number of statements whatever its size
// (every statement is a round trip through cgo, and a writer that makes
// hundreds of them per batch spends its time waiting to be scheduled).
func (w *CheckinWriter) run(ctx context.Context, tx *sql.Tx, in []CheckinAttempt) ([]CheckinResult, error) {
	out := make([]CheckinResult, len(in))

	// The latest session of every chat in the batch: from memory, or read
	// for the chats not seen since the sessions last changed.
	if gen := w.db.checkinGen.Load(); w.sessions == nil || gen != w.gen {
		w.sessions, w.gen = map[int64]cachedSession{}, gen
		// A session with a summary still to queue may have been closed
		// (its result is out: no count may follow it) or its counts
		// rolled back: reread them.
		if len(w.dirty) > 0 {
			var ids []int64
			for id := range w.dirty {
				ids = append(ids, id)
			}
			fresh, err := sessionsTx(ctx, tx, `SELECT `+sessionCols+` FROM checkin_sessions WHERE id IN (`+placeholders(len(ids))+`)`, int64Args(ids)...)
			if err != nil {
				w.sessions = nil
				return nil, fmt.Errorf("sessions: %w", err)
			}
			old := w.dirty
			w.dirty = map[int64]dirtySummary{}
			for _, s := range fresh {
				if d, ok := old[s.ID]; ok && s.ClosedAt.IsZero() {
					d.s = s
					w.dirty[s.ID] = d
				}
			}
		}
	}
	var chatArgs []any
	for _, a := range in {
		if _, ok := w.sessions[a.ChatID]; !ok {
			w.sessions[a.ChatID] = cachedSession{} // none unless read below
			chatArgs = append(chatArgs, a.ChatID)
		}
	}
	if len(chatArgs) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT (SELECT platform FROM chats WHERE chats.id = s.chat_id), `+sessionCols+` FROM checkin_sessions s WHERE id IN
			(SELECT MAX(id) FROM checkin_sessions WHERE chat_id IN (`+placeholders(len(chatArgs))+`) GROUP BY chat_id)`, chatArgs...)
		if err != nil {
			w.sessions = nil
			return nil, fmt.Errorf("sessions: %w", err)
		}
		for rows.Next() {
			var platform string
			s, err := scanSession(prefixScanner{rows, &platform})
			if err != nil {
				rows.Close()
				w.sessions = nil
				return nil, err
			}
			w.sessions[s.ChatID] = cachedSession{s: s, ok: true, platform: platform}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			w.sessions = nil
			return nil, err
		}
	}
	byChat := map[int64]CheckinSession{}
	platforms := map[int64]string{}
	for _, a := range in {
		if c := w.sessions[a.ChatID]; c.ok {
			byChat[a.ChatID] = c.s
			platforms[a.ChatID] = c.platform
		}
	}

	// Every valid attempt in one INSERT; RETURNING tells which were new.
	var (
		insRows [][]any
		valid   []int
	)
	for i, a := range in {
		s, ok := byChat[a.ChatID]
		r := &out[i]
		r.Session = s
		switch {
		case !ok:
			r.Outcome = CheckinNoSession
		case s.Closed(a.At):
			r.Outcome = CheckinClosed
		case s.Code != "" && a.Code == "":
			r.Outcome = CheckinNeedCode
		case s.Code != "" && a.Code != s.Code:
			r.Outcome = CheckinWrongCode
		default:
			valid = append(valid, i)
			late := 0
			if !a.At.Before(s.Deadline) {
				late = 1
			}
			insRows = append(insRows, []any{s.ID, a.MemberID, nullID(a.RosterID), a.Name, ms(a.At), late})
		}
	}
	type key struct{ session, member int64 }
	inserted := map[key]bool{}
	if len(valid) > 0 {
		rows, err := w.db.queryJSON(ctx, tx, checkinInsertSQL, insRows)
		if err != nil {
			return nil, fmt.Errorf("insert check-ins: %w", err)
		}
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.session, &k.member); err != nil {
				rows.Close()
				return nil, err
			}
			inserted[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insert check-ins: %w", err)
		}
	}
	type change struct {
		s  CheckinSession
		at time.Time // the last stored check-in's time
	}
	var (
		changed []*change
		bySess  = map[int64]*change{}
		repeats []int
		repArgs []any
	)
	for _, i := range valid {
		a, s := in[i], out[i].Session
		k := key{s.ID, a.MemberID}
		if !inserted[k] {
			out[i].Outcome = CheckinAlready
			repeats = append(repeats, i)
			repArgs = append(repArgs, s.ID, a.MemberID)
			continue
		}
		delete(inserted, k) // a second attempt in the same batch is a repeat
		out[i].Outcome = CheckedIn
		if !a.At.Before(s.Deadline) {
			out[i].Outcome = CheckedInLate
		}
		c := bySess[s.ID]
		if c == nil {
			c = &change{s: s}
			bySess[s.ID] = c
			changed = append(changed, c)
		}
		c.at = a.At
	}
	if len(repeats) > 0 {
		earlier := map[key]Checkin{}
		cs, err := checkinsQuery(ctx, tx, `SELECT session_id, member_id, COALESCE(roster_id, 0), name, at, late FROM checkins
			WHERE (session_id, member_id) IN (VALUES `+strings.TrimSuffix(strings.Repeat("(?, ?),", len(repeats)), ",")+`)`, repArgs...)
		if err != nil {
			return nil, fmt.Errorf("earlier check-ins: %w", err)
		}
		for _, c := range cs {
			earlier[key{c.SessionID, c.MemberID}] = c
		}
		for _, i := range repeats {
			out[i].Earlier = earlier[key{out[i].Session.ID, in[i].MemberID}]
		}
	}

	// Every changed session's counters move up in one statement, which
	// returns the new counts; one summary per changed session.
	counts := map[int64][2]int{}
	for _, s := range byChat {
		counts[s.ID] = [2]int{s.Present, s.Late}
	}
	if len(changed) > 0 {
		add := map[int64][2]int{}
		for _, i := range valid {
			if o := out[i].Outcome; o == CheckedIn || o == CheckedInLate {
				a := add[out[i].Session.ID]
				a[0]++
				if o == CheckedInLate {
					a[1]++
				}
				add[out[i].Session.ID] = a
			}
		}
		var vals [][]any
		for id, a := range add {
			vals = append(vals, []any{id, a[0], a[1]})
		}
		rows, err := w.db.queryJSON(ctx, tx, checkinCountSQL, vals)
		if err != nil {
			return nil, fmt.Errorf("count check-ins: %w", err)
		}
		for rows.Next() {
			var id int64
			var c [2]int
			if err := rows.Scan(&id, &c[0], &c[1]); err != nil {
				rows.Close()
				return nil, err
			}
			counts[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count check-ins: %w", err)
		}
		// Keep the new counts; a rollback forgets them (after). Another
		// writer on this database must reread them.
		for chat, cs := range w.sessions {
			if c, ok := counts[cs.s.ID]; ok && cs.ok {
				cs.s.Present, cs.s.Late = c[0], c[1]
				w.sessions[chat] = cs
			}
		}
		w.gen = w.db.checkinGen.Add(1)
	}
	if w.summary != nil {
		if w.dirty == nil {
			w.dirty = map[int64]dirtySummary{}
		}
		for _, c := range changed {
			s := c.s
			n := counts[s.ID]
			s.Present, s.Late = n[0], n[1]
			w.dirty[s.ID] = dirtySummary{s: s, at: c.at, platform: platforms[s.ChatID]}
		}
		if len(w.dirty) > 0 && (w.g.idle() || time.Since(w.lastSummaries) >= summaryEvery) {
			ids := make([]int64, 0, len(w.dirty))
			for id := range w.dirty {
				ids = append(ids, id)
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
				return nil, fmt.Errorf("queue summaries: %w", err)
			}
			w.written = append(w.written[:0], ids...)
			w.lastSummaries = time.Now()
		}
	}
	for i := range out {
		c := counts[out[i].Session.ID]
		out[i].Present, out[i].Late = c[0], c[1]
	}
	return out, nil
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

func sessionsTx(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]CheckinSession, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
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
