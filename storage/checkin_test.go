package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Running counts queued by successive batches supersede each other while
// pending, and never touch a count that was already delivered.
func TestCheckinSummariesSupersede(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
	})
	in := func(name string) {
		m, _ := db.EnsureMember(ctx, "terminal", name, name)
		r, err := w.Checkin(ctx, CheckinAttempt{ChatID: chat.ID, MemberID: m.ID, Name: name, At: now})
		if err != nil || r.Outcome != CheckedIn || r.Session.ID != s.ID {
			t.Fatalf("check-in %s: %+v %v", name, r, err)
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
	in("a")
	in("b")
	if got := states(); got["已签到 1"] != bot.OutboxSuperseded || got["已签到 2"] != bot.OutboxPending {
		t.Fatalf("after two batches: %v", got)
	}
	ms, _ := db.OutboxOfChat(ctx, chat.ID)
	if err := db.MarkDelivered(ctx, []int64{ms[len(ms)-1].ID}, "42", now); err != nil {
		t.Fatal(err)
	}
	in("c")
	if got := states(); got["已签到 2"] != bot.OutboxDelivered || got["已签到 3"] != bot.OutboxPending {
		t.Fatalf("after delivery and a third batch: %v", got)
	}
	// A repeat changes nothing and queues nothing.
	a, _ := db.EnsureMember(ctx, "terminal", "a", "a")
	r, err := w.Checkin(ctx, CheckinAttempt{ChatID: chat.ID, MemberID: a.ID, Name: "a", At: now.Add(time.Minute)})
	if err != nil || r.Outcome != CheckinAlready || !r.Earlier.At.Equal(now) {
		t.Fatalf("repeat: %+v %v", r, err)
	}
	if got := states(); len(got) != 4 {
		t.Fatalf("a repeat queued something: %v", got)
	}
	if s2, _ := db.CheckinSession(ctx, s.ID); s2.Present != 3 {
		t.Fatalf("session counter %d, want 3", s2.Present)
	}
}
