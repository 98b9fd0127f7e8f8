package checkin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/storage"
)

// The check-in writer against a real database: a harness for its engine
// and SQLite file, no feature registered (each test makes its own).

// writerWorld is one group chat with a session open in it.
type writerWorld struct {
	h    *commandtest.Harness
	f    *checkin.Feature
	chat bot.Chat
	s    checkin.Session
	now  time.Time
}

func newWriterWorld(t *testing.T) *writerWorld {
	t.Helper()
	h := commandtest.New(t, commandtest.Options{})
	w := &writerWorld{h: h, f: checkin.New(h.Engine, h.DB), now: h.Clock.Now()}
	w.chat, w.s = w.open(t, w.f, "g")
	return w
}

// open makes a group chat named chat and opens a session of that title in
// it through f.
func (w *writerWorld) open(t *testing.T, f *checkin.Feature, chat string) (bot.Chat, checkin.Session) {
	t.Helper()
	ctx := context.Background()
	c, err := w.h.DB.EnsureChat(ctx, "terminal", chat, bot.Group, chat)
	if err != nil {
		t.Fatal(err)
	}
	opener, _ := w.h.DB.EnsureMember(ctx, "terminal", "opener", "书记")
	s, err := f.OpenSession(ctx, checkin.Session{ChatID: c.ID, Title: chat, OpenedBy: opener.ID, OpenedAt: w.now,
		Deadline: w.now.Add(time.Hour), EndsAt: w.now.Add(time.Hour)}, w.now)
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func (w *writerWorld) attempt(db *storage.DB, chat bot.Chat, name string, at time.Time) checkin.Attempt {
	m, err := db.EnsureMember(context.Background(), "terminal", name, name)
	if err != nil {
		w.h.T.Fatal(err)
	}
	return checkin.Attempt{ChatID: chat.ID, MemberID: m.ID, Name: name, At: at}
}

// outbox is the chat's queued messages by text.
func (w *writerWorld) outbox(t *testing.T, chat bot.Chat) map[string]bot.OutboxState {
	t.Helper()
	ms, err := w.h.DB.OutboxOfChat(context.Background(), chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bot.OutboxState{}
	for _, m := range ms {
		out[m.Text] = m.State
	}
	return out
}

// counts are the chat's running counts still pending.
func (w *writerWorld) counts(t *testing.T, chat bot.Chat) []string {
	t.Helper()
	ms, err := w.h.DB.OutboxOfChat(context.Background(), chat.ID)
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

// count is the running count of the test session after n check-ins by
// people on no roster, naming those who checked in since the group's last
// count.
func count(n int, names ...string) string {
	for i, name := range names {
		names[i] = name + "（未绑定花名册）"
	}
	return fmt.Sprintf("「g」已签到 0 人，名单外 %d 人\n刚签到：%s", n, strings.Join(names, "、"))
}

// A running count queued while the previous one is still pending takes its
// place (one row, same place in the queue) and names whom that one named
// too; one being sent or delivered is never touched, the next count is
// queued after it and names only the newcomers.
func TestRunningCountsReplacePending(t *testing.T) {
	ctx := context.Background()
	w := newWriterWorld(t)
	db := w.h.DB
	in := func(name string) {
		t.Helper()
		r, err := w.f.CheckIn(ctx, w.attempt(db, w.chat, name, w.now))
		if err != nil || r.Outcome != checkin.CheckedIn || r.Session.ID != w.s.ID {
			t.Fatalf("check-in %s: %+v %v", name, r, err)
		}
		if err := w.f.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	countID := func() int64 {
		t.Helper()
		ms, _ := db.OutboxOfChat(ctx, w.chat.ID)
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
	if got := w.outbox(t, w.chat); len(got) != 2 || got[count(2, "a", "b")] != bot.OutboxPending || countID() != first {
		t.Fatalf("after two batches: %q (count %d, first %d)", got, countID(), first)
	}
	// Claimed by a sender: the next count is queued after it.
	claimed, err := db.MarkSending(ctx, []int64{first})
	if err != nil || len(claimed) != 1 || claimed[0].Text != count(2, "a", "b") {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	in("c")
	if got := w.outbox(t, w.chat); got[count(2, "a", "b")] != bot.OutboxSending || got[count(3, "c")] != bot.OutboxPending || countID() == first {
		t.Fatalf("after a claim and a third batch: %q", got)
	}
	if err := db.MarkDelivered(ctx, []int64{first}, "42", w.now); err != nil {
		t.Fatal(err)
	}
	in("d")
	if got := w.outbox(t, w.chat); got[count(2, "a", "b")] != bot.OutboxDelivered || got[count(4, "c", "d")] != bot.OutboxPending || len(got) != 3 {
		t.Fatalf("after delivery and a fourth batch: %q", got)
	}
	// A repeat changes nothing and queues nothing.
	r, err := w.f.CheckIn(ctx, w.attempt(db, w.chat, "a", w.now.Add(time.Minute)))
	if err != nil || r.Outcome != checkin.Repeat || !r.Earlier.At.Equal(w.now) {
		t.Fatalf("repeat: %+v %v", r, err)
	}
	if err := w.f.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.outbox(t, w.chat); len(got) != 3 {
		t.Fatalf("a repeat queued something: %v", got)
	}
	if s, _ := db.CheckinSession(ctx, w.s.ID); s.Present != 4 {
		t.Fatalf("session count %d, want 4", s.Present)
	}
}

// A writer kept busy leaves running counts for later; once nothing waits
// they are queued with the latest counts (waking the sender once), and a
// session closed meanwhile gets none after its result.
func TestRunningCountsDeferredUnderLoad(t *testing.T) {
	ctx := context.Background()
	w := newWriterWorld(t)
	db := w.h.DB
	a, sa := w.chat, w.s
	b, sb := w.open(t, w.f, "b")
	// batch runs one batch as the batcher's goroutine would, with busy
	// telling whether other attempts wait behind it (if not, the counts
	// owed are queued after it).
	batch := func(busy bool, chat bot.Chat, names ...string) {
		t.Helper()
		var in []checkin.Attempt
		for _, n := range names {
			in = append(in, w.attempt(db, chat, n, w.now))
		}
		if _, err := w.f.RunBatch(ctx, busy, in); err != nil {
			t.Fatal(err)
		}
	}
	batch(false, a, "a1") // nothing waits: queued at once
	if got := w.counts(t, a); len(got) != 1 || got[0] != count(1, "a1") {
		t.Fatalf("after an idle batch: %q", got)
	}
	w.f.KeepBusy()
	batch(true, a, "a2", "a3")
	batch(true, b, "b1")
	if got := w.counts(t, a); len(got) != 1 || got[0] != count(1, "a1") {
		t.Fatalf("busy batches queued %q", got)
	}
	if got := w.counts(t, b); len(got) != 0 {
		t.Fatalf("busy batches queued %q", got)
	}
	if _, err := w.f.CloseSession(ctx, sb.ID, w.now); err != nil {
		t.Fatal(err)
	}
	wakes := 0
	db.SetQueuedHook(func(string, []int64) { wakes++ })
	batch(false, a, "a4")
	// The count of a1 was still waiting: the new one names a1 as well.
	if got := w.counts(t, a); len(got) != 1 || got[0] != count(4, "a1", "a2", "a3", "a4") {
		t.Fatalf("after the last batch: %q", got)
	}
	if wakes != 1 {
		t.Fatalf("senders woken %d times after the counts were queued, want 1", wakes)
	}
	if got := w.counts(t, b); len(got) != 0 {
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
func TestWriterSeesOtherProcess(t *testing.T) {
	ctx := context.Background()
	w := newWriterWorld(t)
	dbA := w.h.DB
	dbB, err := storage.Open(ctx, dbA.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer dbB.Close()
	fA, fB := w.f, checkin.New(w.h.Engine, dbB)
	in := func(f *checkin.Feature, db *storage.DB, name string, at time.Time) checkin.Answer {
		t.Helper()
		r, err := f.CheckIn(ctx, w.attempt(db, w.chat, name, at))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := in(fB, dbB, "b", w.now); r.Outcome != checkin.CheckedIn { // B now holds the session in memory
		t.Fatalf("b: %+v", r)
	}
	if r := in(fA, dbA, "a", w.now); r.Outcome != checkin.CheckedIn || r.Session.Present != 2 {
		t.Fatalf("a through A: %+v", r)
	}
	r := in(fB, dbB, "a", w.now.Add(time.Minute))
	if r.Outcome != checkin.Repeat || !r.Earlier.At.Equal(w.now) || r.Session.Present != 2 {
		t.Fatalf("a again through B: %+v", r)
	}
	if r := in(fB, dbB, "c", w.now); r.Outcome != checkin.CheckedIn || r.Session.Present != 3 {
		t.Fatalf("c through B: %+v", r)
	}
	cs, err := dbA.Checkins(ctx, w.s.ID)
	if err != nil || len(cs) != 3 {
		t.Fatalf("stored %d check-ins (%v), want 3", len(cs), err)
	}
	for _, f := range []*checkin.Feature{fA, fB} {
		if err := f.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A session closed after its last check-in was stored but before the
// writer queued that check-in's running count (the count waits for a quiet
// moment) gets no count after its result.
func TestNoRunningCountAfterTheResult(t *testing.T) {
	ctx := context.Background()
	w := newWriterWorld(t)
	w.f.KeepBusy() // the batch leaves its count for later
	if _, err := w.f.RunBatch(ctx, true, []checkin.Attempt{w.attempt(w.h.DB, w.chat, "a", w.now)}); err != nil || !w.f.CountsOwed() {
		t.Fatalf("batch: %v, count owed %v", err, w.f.CountsOwed())
	}
	if _, err := w.f.CloseSession(ctx, w.s.ID, w.now); err != nil {
		t.Fatal(err)
	}
	if err := w.f.RunDeferred(ctx); err != nil {
		t.Fatal(err)
	}
	ms, _ := w.h.DB.OutboxOfChat(ctx, w.chat.ID)
	for _, m := range ms {
		if m.MergeKey != "" {
			t.Fatalf("a running count was queued after the result: %q", m.Text)
		}
	}
}

// A check-in alone (nothing else waiting, none just before it) has its
// running count queued in its own transaction: the count is there the
// moment the check-in is acknowledged, and the group sees it a commit
// sooner. Under load the count waits for a quiet moment instead
// (TestRunningCountsDeferredUnderLoad).
func TestLoneCheckinQueuesItsCountWithIt(t *testing.T) {
	w := newWriterWorld(t)
	ctx := context.Background()
	for i, name := range []string{"甲", "乙"} {
		if i > 0 {
			time.Sleep(20 * time.Millisecond) // well apart: light load
		}
		r, err := w.f.CheckIn(ctx, w.attempt(w.h.DB, w.chat, name, w.now))
		if err != nil || r.Outcome != checkin.CheckedIn {
			t.Fatalf("check-in %s: %+v %v", name, r, err)
		}
		// No Settle: the count must be stored already.
		want := count(1, "甲")
		if i == 1 {
			want = count(2, "甲", "乙")
		}
		if got := w.counts(t, w.chat); len(got) != 1 || got[0] != want {
			t.Fatalf("right after check-in %s the counts are %q, want %q", name, got, want)
		}
	}
}

// A chat the writer forgot while no check-in came is read again at the next
// one: counts go on and a repeat is still a repeat.
func TestWriterForgetsIdleChats(t *testing.T) {
	w := newWriterWorld(t)
	ctx := context.Background()
	first, err := w.f.CheckIn(ctx, w.attempt(w.h.DB, w.chat, "甲", w.now))
	if err != nil || first.Outcome != checkin.CheckedIn || first.Session.Present != 1 {
		t.Fatalf("first: %+v %v", first, err)
	}
	w.f.ForgetIdleChats(time.Now().Add(time.Hour))
	second, err := w.f.CheckIn(ctx, w.attempt(w.h.DB, w.chat, "乙", w.now))
	if err != nil || second.Outcome != checkin.CheckedIn || second.Session.Present != 2 {
		t.Fatalf("after forgetting: %+v %v", second, err)
	}
	w.f.ForgetIdleChats(time.Now().Add(time.Hour))
	again, err := w.f.CheckIn(ctx, w.attempt(w.h.DB, w.chat, "甲", w.now))
	if err != nil || again.Outcome != checkin.Repeat || again.Session.Present != 2 {
		t.Fatalf("repeat after forgetting: %+v %v", again, err)
	}
}
