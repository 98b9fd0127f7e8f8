package checkin

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// decide is the check-in rule: what becomes of attempt a, judged at a.At,
// given the chat's latest session (nil: the chat never had one) and the
// member's earlier check-in to it (nil: none).
func decide(latest *Session, earlier *Checkin, a Attempt) Outcome {
	switch s := latest; {
	case s == nil:
		return NoSession
	case s.Closed(a.At):
		return Closed
	case s.Code != "" && a.Code == "":
		return NeedCode
	case s.Code != "" && a.Code != s.Code:
		return WrongCode
	case earlier != nil:
		return Repeat
	case !a.At.Before(s.Deadline):
		return CheckedInLate
	}
	return CheckedIn
}

// writer is the feature's side of the check-in Batcher (it implements
// Batch). It decides every attempt of a batch in memory and hands storage
// only the new rows: it keeps the latest session of every chat it has seen
// and, while that session is open, who has checked in to it, so a batch
// reads nothing and stores its check-ins with one statement.
//
// The group sees a running count of each session whose count moved (one
// message with a merge key, so a burst leaves one count pending per chat):
// the roster's count, others apart (KindOf), and the names of those who
// checked in since the group last got a count, which is each member's
// confirmation. A count that replaces one still waiting to be sent carries
// that one's names on; a count queued after one already taken by the sender
// names only the newcomers.
// Counts are queued in a transaction of their own once no check-in waits,
// or by a batch if the writer has been kept busy for countEvery; a check-in
// that comes alone (light load) has its count queued in its own
// transaction. A
// check-in is acknowledged once stored; its count follows within moments (a
// crash in between loses that count, not the check-in: the next check-in or
// the session's result brings the group up to date).
//
// Sessions are opened and closed by the feature outside the writer; inside
// the transaction that does so (all writes share one connection, so no batch
// runs meanwhile) it marks the chat stale, and the writer rereads the chat
// before its next batch or count. That is what keeps a running count from
// following a session's result. A batch that does not commit makes the
// writer forget everything it holds; so does a check-in that another
// process stored meanwhile (InsertCheckins fails and the batch runs again).
// The writer is the only one in its process storing check-ins to its
// database (the bot makes one check-in feature).
type writer struct {
	render func(Session, Tally, []string) bot.Outgoing // the running count of a session
	units  func() *bot.UnitTree                        // the organisation, for KindOf

	staleMu sync.Mutex
	stale   map[int64]bool // chats to reread before the next batch

	// mu guards what follows: the batcher calls one method at a time, and
	// the feature's tick has the writer forget idle chats (forgetIdle).
	mu    sync.Mutex
	chats map[int64]*chatCheckins // nil: nothing known
	// dirty holds the sessions whose counts moved since their running
	// count was last queued; written holds those the current transaction
	// queued (forgotten from dirty once it commits).
	dirty      map[int64]dirtyCount
	written    []int64
	lastCounts time.Time // wall clock: when counts were last queued
	// named holds, by session, the names in its last queued count, for the
	// next count to carry on if that one is still waiting; namedNext those
	// of the counts the current transaction queued.
	named     map[int64][]string
	namedNext map[int64][]string
}

// chatCheckins is what the writer knows of one chat.
type chatCheckins struct {
	ok bool    // false: the chat has no session
	s  Session // its latest session, with the counts kept current
	t  Tally   // s's check-ins against its roster, while s is not closed
	// members are the times (Unix nanoseconds) of the check-ins to s by
	// member, while s is not closed: deciding needs no more (a repeat is
	// answered with the earlier time), and a thousand groups' check-ins
	// held as whole rows were megabytes.
	members map[int64]int64
	used    time.Time // wall clock: the last batch that had the chat
}

// idleAfter is how long the writer keeps a chat no check-in came from: a
// room checks in within minutes, and a chat read again costs two indexed
// reads, while a thousand groups' sessions held for their whole duration
// were megabytes.
const idleAfter = 2 * time.Minute

// forgetIdle drops the chats no batch has had for idleAfter; a later
// check-in reads its chat again.
func (w *writer) forgetIdle(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, st := range w.chats {
		if now.Sub(st.used) >= idleAfter {
			delete(w.chats, id)
		}
	}
}

// countEvery is how often, at most, a writer kept busy queues the running
// counts within a batch. A count is a snapshot that the next one supersedes
// before it is sent (chats take a message every few seconds at best), so
// under a burst most of those queued more often were never sent, and each
// queueing writes a page or more per chat.
const countEvery = 250 * time.Millisecond

type dirtyCount struct {
	s     Session   // with its latest counts
	t     Tally     // and against its roster
	at    time.Time // the last stored check-in's time
	names []string  // who checked in since its last count was queued
}

// markStale makes the writer read the chat's latest session again before
// its next batch. The feature calls it inside the transaction that opens or
// closes a session.
func (w *writer) markStale(chatID int64) {
	w.staleMu.Lock()
	if w.stale == nil {
		w.stale = map[int64]bool{}
	}
	w.stale[chatID] = true
	w.staleMu.Unlock()
}

// forgetStale drops the chats marked stale from what the writer holds, so
// that they are read again.
func (w *writer) forgetStale() {
	w.staleMu.Lock()
	stale := w.stale
	w.stale = nil
	w.staleMu.Unlock()
	if w.chats == nil {
		w.chats = map[int64]*chatCheckins{} // all is read again anyway
		return
	}
	for chat := range stale {
		if st := w.chats[chat]; st != nil && st.ok {
			delete(w.named, st.s.ID) // opened or closed: its counts are over
		}
		delete(w.chats, chat)
	}
}

// After forgets everything the writer holds when a batch did not commit:
// sessions, check-ins and counts may have moved in memory only.
func (w *writer) After(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.after(err)
}

func (w *writer) after(err error) {
	if err != nil {
		w.chats = nil
		w.dirty = nil
		w.named = nil
	} else {
		for _, id := range w.written {
			delete(w.dirty, id)
		}
		if w.named == nil {
			w.named = map[int64][]string{}
		}
		for id, names := range w.namedNext {
			w.named[id] = names
		}
	}
	w.written = w.written[:0]
	w.namedNext = nil
}

// Run decides a batch from what the writer holds (reading only the chats
// it has not seen or was told changed) and stores the new check-ins with
// one call: every statement is a round trip through cgo, and a writer that
// makes hundreds of them per batch spends its time waiting to be scheduled.
func (w *writer) Run(ctx context.Context, tx Tx, in []Attempt) ([]Answer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forgetStale()
	var load []int64
	for _, a := range in {
		if _, ok := w.chats[a.ChatID]; !ok {
			w.chats[a.ChatID] = &chatCheckins{}
			load = append(load, a.ChatID)
		}
	}
	if len(load) > 0 {
		if err := w.load(tx, load); err != nil {
			w.chats = nil
			return nil, fmt.Errorf("sessions: %w", err)
		}
	}

	now := time.Now()
	out := make([]Answer, len(in))
	units := w.units()
	var (
		stored = make([]Checkin, 0, len(in))
		moved  = map[*chatCheckins]time.Time{} // sessions whose counts moved: their last check-in
		names  = map[*chatCheckins][]string{}  // who checked in to them
	)
	for i, a := range in {
		st := w.chats[a.ChatID]
		st.used = now
		var latest *Session
		if st.ok {
			latest = &st.s
		}
		var earlier *Checkin
		if at, ok := st.members[a.MemberID]; ok { // also a second attempt in the same batch
			earlier = &Checkin{SessionID: st.s.ID, MemberID: a.MemberID, At: time.Unix(0, at)}
		}
		r := &out[i]
		r.Outcome = decide(latest, earlier, a)
		switch r.Outcome {
		case Repeat:
			r.Earlier = *earlier
		case CheckedIn, CheckedInLate:
			c := Checkin{SessionID: st.s.ID, MemberID: a.MemberID, RosterID: a.RosterID, UnitID: a.UnitID, Name: a.Name, At: a.At, Late: r.Outcome == CheckedInLate}
			st.members[a.MemberID] = c.At.UnixNano()
			st.s.Present++
			if c.Late {
				st.s.Late++
			}
			k := sittingIn(st.s, a, KindOf(st.s, c, units))
			st.t.add(k, c.Late)
			moved[st] = a.At
			names[st] = append(names[st], arrival(c, k))
			stored = append(stored, c)
		}
	}
	if len(stored) > 0 {
		if err := tx.InsertCheckins(stored); err != nil {
			return nil, fmt.Errorf("insert check-ins: %w", err)
		}
	}
	for i, a := range in {
		out[i].Session = w.chats[a.ChatID].s
	}

	if w.dirty == nil {
		w.dirty = map[int64]dirtyCount{}
	}
	for st, at := range moved {
		d := w.dirty[st.s.ID]
		w.dirty[st.s.ID] = dirtyCount{s: st.s, t: st.t, at: at, names: append(d.names, names[st]...)}
	}
	if len(w.dirty) > 0 && time.Since(w.lastCounts) >= countEvery {
		if err := w.queueCounts(tx); err != nil {
			return nil, fmt.Errorf("queue running counts: %w", err)
		}
	}
	return out, nil
}

// Deferred reports running counts owed.
func (w *writer) Deferred() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirty) > 0
}

// RunDeferred queues the running counts owed.
func (w *writer) RunDeferred(ctx context.Context, tx Tx) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.queueCounts(tx); err != nil {
		return fmt.Errorf("queue running counts: %w", err)
	}
	return nil
}

// AfterDeferred: counts whose transaction failed are given up (they are
// snapshots; the next check-in queues a fresh one), so a failing database
// is not retried in a loop.
func (w *writer) AfterDeferred(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.dirty = nil
		w.chats = nil
		w.named = nil
		w.namedNext = nil
	}
	w.after(nil)
}

// queueCounts queues the running count of every session in w.dirty that is
// still the open latest session of its chat.
func (w *writer) queueCounts(tx Tx) error {
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
		if err := w.load(tx, reread); err != nil {
			w.chats = nil
			return err
		}
	}
	ids := make([]int64, 0, len(w.dirty))
	for id, d := range w.dirty {
		if st := w.chats[d.s.ChatID]; !st.ok || st.s.ID != id || !st.s.ClosedAt.IsZero() {
			delete(w.dirty, id)
			delete(w.named, id)
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	// Which counts are still waiting: the new one takes their place and
	// must name whom they named too.
	msgs := make([]bot.Outgoing, len(ids))
	for i, id := range ids {
		d := w.dirty[id]
		msgs[i] = w.render(d.s, d.t, nil)
	}
	waiting, err := tx.PendingSnapshots(msgs)
	if err != nil {
		return err
	}
	ats := make([]time.Time, len(ids))
	w.namedNext = map[int64][]string{}
	for i, id := range ids {
		d := w.dirty[id]
		var names []string
		if waiting[i] {
			names = append(names, w.named[id]...)
		}
		names = append(names, d.names...)
		msgs[i], ats[i] = w.render(d.s, d.t, names), d.at
		w.namedNext[id] = names
	}
	if err := tx.EnqueueSnapshots(msgs, ats); err != nil {
		return err
	}
	w.written = append(w.written[:0], ids...)
	w.lastCounts = time.Now()
	return nil
}

// load reads the latest session of each chat (each already in w.chats) and,
// for those not closed, who has checked in.
func (w *writer) load(tx Tx, chats []int64) error {
	ss, err := tx.LatestCheckinSessions(chats)
	if err != nil {
		return err
	}
	byID := map[int64]*chatCheckins{}
	var open []int64
	for _, s := range ss {
		st := &chatCheckins{ok: true, s: s}
		if s.ClosedAt.IsZero() {
			st.members = map[int64]int64{}
			open = append(open, s.ID)
			byID[s.ID] = st
		}
		w.chats[s.ChatID] = st
	}
	if len(open) == 0 {
		return nil
	}
	cs, err := tx.CheckinsOfSessions(open...)
	if err != nil {
		return err
	}
	units := w.units()
	for _, c := range cs {
		if st := byID[c.SessionID]; st != nil {
			st.members[c.MemberID] = c.At.UnixNano()
			st.t.add(KindOf(st.s, c, units), c.Late)
		}
	}
	return nil
}
