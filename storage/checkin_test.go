package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// A running count queued while the previous one is still pending takes its
// place (one row, same place in the queue); one being sent or delivered is
// never touched, the next count is queued after it.
func TestCheckinSummariesReplacePending(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	chat, _ := db.EnsureChat(ctx, "terminal", "g", bot.Group, "g")
	opener, _ := db.EnsureMember(ctx, "terminal", "opener", "书记")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s, err := db.OpenCheckin(ctx, CheckinSession{ChatID: chat.ID, Title: "会", OpenedBy: opener.ID, OpenedAt: now,
		Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)},
		func(s CheckinSession) bot.Outgoing { return bot.Outgoing{ChatID: chat.ID, Text: "开始"} }, now)
	if err != nil {
		t.Fatal(err)
	}
	w := db.NewCheckinWriter(func(s CheckinSession, present, late int) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: fmt.Sprintf("已签到 %d", present), MergeKey: "count"}
	}, nil)
	in := func(name string) {
		m, _ := db.EnsureMember(ctx, "terminal", name, name)
		r, err := w.Checkin(ctx, CheckinAttempt{ChatID: chat.ID, MemberID: m.ID, Name: name, At: now})
		if err != nil || r.Outcome != CheckedIn || r.Session.ID != s.ID {
			t.Fatalf("check-in %s: %+v %v", name, r, err)
		}
		if err := w.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	states := func() map[string]bot.OutboxState {
		ms, err := db.OutboxOfChat(ctx, chat.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bot.OutboxState{}
		for _, m := range ms {
			out[m.Text] = m.State
		}
		return out
	}
	countID := func() int64 {
		t.Helper()
		ms, _ := db.OutboxOfChat(ctx, chat.ID)
		for i := len(ms) - 1; i >= 0; i-- {
			if ms[i].MergeKey != "" {
				return ms[i].ID
			}
		}
		t.Fatal("no running count queued")
		return 0
	}
	in("a")
	first := countID()
	in("b")
	if got := states(); len(got) != 2 || got["已签到 2"] != bot.OutboxPending || countID() != first {
		t.Fatalf("after two batches: %v (count %d, first %d)", got, countID(), first)
	}
	// Claimed by a sender: the next count is queued after it.
	claimed, err := db.MarkSending(ctx, []int64{first})
	if err != nil || len(claimed) != 1 || claimed[0].Text != "已签到 2" {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	in("c")
	if got := states(); got["已签到 2"] != bot.OutboxSending || got["已签到 3"] != bot.OutboxPending || countID() == first {
		t.Fatalf("after a claim and a third batch: %v", got)
	}
	if err := db.MarkDelivered(ctx, []int64{first}, "42", now); err != nil {
		t.Fatal(err)
	}
	in("d")
	if got := states(); got["已签到 2"] != bot.OutboxDelivered || got["已签到 4"] != bot.OutboxPending || len(got) != 3 {
		t.Fatalf("after delivery and a fourth batch: %v", got)
	}
	// A repeat changes nothing and queues nothing.
	a, _ := db.EnsureMember(ctx, "terminal", "a", "a")
	r, err := w.Checkin(ctx, CheckinAttempt{ChatID: chat.ID, MemberID: a.ID, Name: "a", At: now.Add(time.Minute)})
	if err != nil || r.Outcome != CheckinAlready || !r.Earlier.At.Equal(now) {
		t.Fatalf("repeat: %+v %v", r, err)
	}
	if got := states(); len(got) != 3 {
		t.Fatalf("a repeat queued something: %v", got)
	}
	if s2, _ := db.CheckinSession(ctx, s.ID); s2.Present != 4 {
		t.Fatalf("session counter %d, want 4", s2.Present)
	}
}

// A writer kept busy leaves running summaries for later; once nothing waits
// they are queued with the latest counts, and a session closed meanwhile
// gets none after its result.
func TestCheckinSummariesDeferredUnderLoad(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	opener, _ := db.EnsureMember(ctx, "terminal", "opener", "书记")
	open := func(name string) (bot.Chat, CheckinSession) {
		chat, _ := db.EnsureChat(ctx, "terminal", name, bot.Group, name)
		s, err := db.OpenCheckin(ctx, CheckinSession{ChatID: chat.ID, Title: name, OpenedBy: opener.ID, OpenedAt: now,
			Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)},
			func(s CheckinSession) bot.Outgoing { return bot.Outgoing{ChatID: chat.ID, Text: "开始"} }, now)
		if err != nil {
			t.Fatal(err)
		}
		return chat, s
	}
	a, sa := open("a")
	b, sb := open("b")
	pokes := 0
	w := db.NewCheckinWriter(func(s CheckinSession, present, late int) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: fmt.Sprintf("%s 已签到 %d", s.Title, present), MergeKey: "count"}
	}, func() { pokes++ })
	// batch runs one batch as the writer goroutine would, with busy
	// telling whether other actions wait behind it (if not, the writer's
	// deferred work runs after it).
	batch := func(busy bool, chat bot.Chat, names ...string) {
		t.Helper()
		var in []CheckinAttempt
		for _, n := range names {
			m, _ := db.EnsureMember(ctx, "terminal", n, n)
			in = append(in, CheckinAttempt{ChatID: chat.ID, MemberID: m.ID, Name: n, At: now})
		}
		err := db.Update(ctx, now, func(tx *Tx) error {
			_, err := w.run(ctx, tx, in)
			return err
		})
		w.after(err)
		if err != nil {
			t.Fatal(err)
		}
		if d := w.g.deferred; !busy && d.pending() {
			err := db.Update(ctx, now, func(tx *Tx) error { return d.run(ctx, tx) })
			d.after(err)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	counts := func(chat bot.Chat) []string {
		ms, err := db.OutboxOfChat(ctx, chat.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			if m.MergeKey != "" && m.State == bot.OutboxPending {
				out = append(out, m.Text)
			}
		}
		return out
	}
	batch(false, a, "a1") // nothing waits: queued at once
	if got := counts(a); len(got) != 1 || got[0] != "a 已签到 1" {
		t.Fatalf("after an idle batch: %q", got)
	}
	w.lastSummaries = time.Now()
	batch(true, a, "a2", "a3")
	batch(true, b, "b1")
	if got := counts(a); len(got) != 1 || got[0] != "a 已签到 1" {
		t.Fatalf("busy batches queued %q", got)
	}
	if got := counts(b); len(got) != 0 {
		t.Fatalf("busy batches queued %q", got)
	}
	if _, err := db.CloseCheckin(ctx, sb.ID, now, func(s CheckinSession, _ []Checkin) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: "结束"}
	}); err != nil {
		t.Fatal(err)
	}
	pokes = 0
	batch(false, a, "a4")
	if got := counts(a); len(got) != 1 || got[0] != "a 已签到 4" {
		t.Fatalf("after the last batch: %q", got)
	}
	if pokes != 1 {
		t.Fatalf("senders woken %d times after the counts were queued, want 1", pokes)
	}
	if got := counts(b); len(got) != 0 {
		t.Fatalf("closed session got a count after its result: %q", got)
	}
	if s, _ := db.CheckinSession(ctx, sa.ID); s.Present != 4 {
		t.Fatalf("stored count %d, want 4", s.Present)
	}
}

// Two processes storing check-ins to the same database: a writer that does
// not know of a check-in the other stored finds it (the insert changes
// fewer rows than it expected), rereads and answers "already checked in"
// with the other's record; nothing is stored twice.
func TestCheckinWriterSeesOtherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	dbA := openTestDB(t, path)
	dbB := openTestDB(t, path)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	chat, _ := dbA.EnsureChat(ctx, "terminal", "g", bot.Group, "g")
	opener, _ := dbA.EnsureMember(ctx, "terminal", "opener", "书记")
	s, err := dbA.OpenCheckin(ctx, CheckinSession{ChatID: chat.ID, Title: "会", OpenedBy: opener.ID, OpenedAt: now,
		Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)},
		func(s CheckinSession) bot.Outgoing { return bot.Outgoing{ChatID: chat.ID, Text: "开始"} }, now)
	if err != nil {
		t.Fatal(err)
	}
	summary := func(s CheckinSession, present, late int) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: fmt.Sprintf("已签到 %d", present), MergeKey: "count"}
	}
	wA, wB := dbA.NewCheckinWriter(summary, nil), dbB.NewCheckinWriter(summary, nil)
	in := func(w *CheckinWriter, db *DB, name string, at time.Time) CheckinResult {
		t.Helper()
		m, _ := db.EnsureMember(ctx, "terminal", name, name)
		r, err := w.Checkin(ctx, CheckinAttempt{ChatID: chat.ID, MemberID: m.ID, Name: name, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := in(wB, dbB, "b", now); r.Outcome != CheckedIn { // B now holds the session in memory
		t.Fatalf("b: %+v", r)
	}
	if r := in(wA, dbA, "a", now); r.Outcome != CheckedIn || r.Present != 2 {
		t.Fatalf("a through A: %+v", r)
	}
	r := in(wB, dbB, "a", now.Add(time.Minute))
	if r.Outcome != CheckinAlready || !r.Earlier.At.Equal(now) || r.Present != 2 {
		t.Fatalf("a again through B: %+v", r)
	}
	if r := in(wB, dbB, "c", now); r.Outcome != CheckedIn || r.Present != 3 {
		t.Fatalf("c through B: %+v", r)
	}
	cs, err := dbA.Checkins(ctx, s.ID)
	if err != nil || len(cs) != 3 {
		t.Fatalf("stored %d check-ins (%v), want 3", len(cs), err)
	}
	for _, w := range []*CheckinWriter{wA, wB} {
		if err := w.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A session closed after its last check-in was stored but before the
// writer queued that check-in's running count (the count waits for a quiet
// moment) gets no count after its result.
func TestNoRunningCountAfterTheResult(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	chat, _ := db.EnsureChat(ctx, "terminal", "g", bot.Group, "g")
	opener, _ := db.EnsureMember(ctx, "terminal", "opener", "书记")
	s, err := db.OpenCheckin(ctx, CheckinSession{ChatID: chat.ID, Title: "会", OpenedBy: opener.ID, OpenedAt: now,
		Deadline: now.Add(time.Hour), EndsAt: now.Add(time.Hour)},
		func(s CheckinSession) bot.Outgoing { return bot.Outgoing{ChatID: chat.ID, Text: "开始"} }, now)
	if err != nil {
		t.Fatal(err)
	}
	w := db.NewCheckinWriter(func(s CheckinSession, present, late int) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: fmt.Sprintf("已签到 %d", present), MergeKey: "count"}
	}, nil)
	w.lastSummaries = time.Now() // kept busy: the batch leaves its count for later
	m, _ := db.EnsureMember(ctx, "terminal", "a", "a")
	err = db.Update(ctx, now, func(tx *Tx) error {
		_, err := w.run(ctx, tx, []CheckinAttempt{{ChatID: chat.ID, MemberID: m.ID, Name: "a", At: now}})
		return err
	})
	w.after(err)
	if err != nil || !w.g.deferred.pending() {
		t.Fatalf("batch: %v, count owed %v", err, w.g.deferred.pending())
	}
	if _, err := db.CloseCheckin(ctx, s.ID, now, func(s CheckinSession, _ []Checkin) bot.Outgoing {
		return bot.Outgoing{ChatID: s.ChatID, Text: "结束"}
	}); err != nil {
		t.Fatal(err)
	}
	d := w.g.deferred
	err = db.Update(ctx, now, func(tx *Tx) error { return d.run(ctx, tx) })
	d.after(err)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := db.OutboxOfChat(ctx, chat.ID)
	for _, m := range ms {
		if m.MergeKey != "" {
			t.Fatalf("a running count was queued after the result: %q", m.Text)
		}
	}
}
