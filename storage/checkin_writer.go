package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/branchbot/branchbot/bot"
)

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

// forgetStale drops the chats marked stale from what the writer holds, so
// that they are read again.
func (w *CheckinWriter) forgetStale() {
	w.staleMu.Lock()
	stale := w.stale
	w.stale = nil
	w.staleMu.Unlock()
	if w.chats == nil {
		w.chats = map[int64]*chatCheckins{} // all is read again anyway
		return
	}
	for chat := range stale {
		delete(w.chats, chat)
	}
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

// run stores a batch. It decides every attempt from what the writer holds
// in memory (reading only the chats it has not seen or was told changed)
// and writes the new check-ins with one statement: every statement is a
// round trip through cgo, and a writer that makes hundreds of them per
// batch spends its time waiting to be scheduled.
func (w *CheckinWriter) run(ctx context.Context, t *Tx, in []CheckinAttempt) ([]CheckinResult, error) {
	tx := t.tx
	w.forgetStale()
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
			if err := w.queueSummaries(ctx, t); err != nil {
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

func (c checkinSummaries) run(ctx context.Context, t *Tx) error {
	if err := c.w.queueSummaries(ctx, t); err != nil {
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
func (w *CheckinWriter) queueSummaries(ctx context.Context, t *Tx) error {
	tx := t.tx
	// A session may have been opened or closed since the check-ins were
	// stored (a closed one has its result out: no count may follow it).
	w.forgetStale()
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
	}
	ids := make([]int64, 0, len(w.dirty))
	for id, d := range w.dirty {
		if st := w.chats[d.s.ChatID]; !st.ok || st.s.ID != id || !st.s.ClosedAt.IsZero() {
			delete(w.dirty, id)
			continue
		}
		ids = append(ids, id)
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
	if err := t.enqueueSnapshots(msgs, ats, known); err != nil {
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
