package storage_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/assist"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The budget's bookkeeping: requests counted in a transaction, results
// added, read back per day. (Whether a request fits the budget is the
// assist feature's decision, tested there.)
func TestAssistUsage(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for range 5 {
		if err := db.UpdateAssist(ctx, now, func(tx assist.Tx) error { return tx.CountAssistRequest("2026-11-23") }); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RecordAssistResult(ctx, "2026-11-23", true, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAssistResult(ctx, "2026-11-23", false, 120, 30); err != nil {
		t.Fatal(err)
	}
	u, err := db.AssistUsageOn(ctx, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if u != (assist.Usage{Day: "2026-11-23", Requests: 5, Failures: 1, PromptTokens: 120, CompletionTokens: 30}) {
		t.Fatalf("usage = %+v", u)
	}
	err = db.UpdateAssist(ctx, now, func(tx assist.Tx) error {
		in, err := tx.AssistUsage("2026-11-23")
		if err != nil || in != u {
			t.Errorf("usage in a transaction = %+v, %v; want %+v", in, err, u)
		}
		other, err := tx.AssistUsage("2026-11-24")
		if err != nil || other != (assist.Usage{Day: "2026-11-24"}) {
			t.Errorf("a day without use = %+v, %v", other, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetainedMessagesWindowAndPurge(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	a, err := db.EnsureChat(ctx, "terminal", "a", bot.Group, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.EnsureChat(ctx, "terminal", "b", bot.Group, "b")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if ok, err := db.RetainMessage(ctx, assist.RetainedMessage{ChatID: a.ID, Sender: "x", Text: "before opt-in", At: t0}); ok || err != nil {
		t.Fatalf("retained without opt-in: %v %v", ok, err)
	}
	for _, c := range []int64{a.ID, b.ID} {
		if err := db.UpdateAssist(ctx, t0, func(tx assist.Tx) error {
			return tx.SaveAssistRetention(assist.Retention{ChatID: c, Window: 24 * time.Hour, SetAt: t0})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if r, ok, err := db.AssistRetention(ctx, a.ID); err != nil || !ok || r.Window != 24*time.Hour || !r.SetAt.Equal(t0) {
		t.Fatalf("retention = %+v, %v, %v", r, ok, err)
	}
	for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		for _, c := range []int64{a.ID, b.ID} {
			if ok, err := db.RetainMessage(ctx, assist.RetainedMessage{ChatID: c, Sender: "x", Text: string(rune('A' + i)), At: at}); !ok || err != nil {
				t.Fatalf("retain: %v %v", ok, err)
			}
		}
	}
	got, err := db.RetainedMessages(ctx, a.ID, t0.Add(30*time.Minute), 10)
	if err != nil || len(got) != 2 || got[0].Text != "B" || got[1].Text != "C" {
		t.Fatalf("since 09:30: %+v %v", got, err)
	}
	got, _ = db.RetainedMessages(ctx, a.ID, t0, 1)
	if len(got) != 1 || got[0].Text != "C" {
		t.Fatalf("limit keeps the newest: %+v", got)
	}
	n := 0
	err = db.UpdateAssist(ctx, t0, func(tx assist.Tx) error {
		rs, err := tx.AssistRetentions()
		if err != nil || len(rs) != 2 {
			t.Errorf("retentions = %+v, %v", rs, err)
		}
		for _, r := range rs {
			d, err := tx.DropRetainedMessagesBefore(r.ChatID, t0.Add(90*time.Minute))
			if err != nil {
				return err
			}
			n += d
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("dropped %d, %v; want 4 (two per chat)", n, err)
	}
	var deleted int
	was := false
	err = db.UpdateAssist(ctx, t0, func(tx assist.Tx) error {
		var err error
		if was, err = tx.DeleteAssistRetention(a.ID); err != nil {
			return err
		}
		deleted, err = tx.DropRetainedMessages(a.ID)
		return err
	})
	if err != nil || !was || deleted != 1 {
		t.Fatalf("clear: %d %v %v", deleted, was, err)
	}
	if _, ok, _ := db.AssistRetention(ctx, a.ID); ok {
		t.Fatal("chat a still opted in")
	}
	if ok, _ := db.RetainMessage(ctx, assist.RetainedMessage{ChatID: a.ID, Sender: "x", Text: "after opt-out", At: t0}); ok {
		t.Fatal("retained after opt-out")
	}
	if c, _ := db.CountRetainedMessages(ctx, b.ID); c != 1 {
		t.Fatalf("chat b lost messages: %d", c)
	}
}

func TestPrivacyPeople(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "支部"}}); err != nil {
		t.Fatal(err)
	}
	us, _ := db.Units(ctx)
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "2023001", UnitID: us[0].ID, Phone: "13800000000"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, _ := db.RosterByNumber(ctx, "2023001")
	m1, _ := db.EnsureMember(ctx, "wechat", "w1", "阿三")
	if err := db.LinkMember(ctx, m1.ID, r.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	m2, _ := db.EnsureMember(ctx, "telegram", "t1", "Lucy")
	ps, err := db.PrivacyPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "张三" || ps[0].Number != "2023001" || ps[0].Phone != "13800000000" ||
		len(ps[0].Aliases) != 1 || ps[0].Aliases[0] != "阿三" || ps[1].Name != "Lucy" || ps[1].MemberID != m2.ID {
		t.Fatalf("people = %+v", ps)
	}
	// After renames, the former display names are kept as aliases: they
	// still stand in older messages and tickets.
	if _, err := db.EnsureMember(ctx, "wechat", "w1", "三哥"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureMember(ctx, "telegram", "t1", "Lucy Chen"); err != nil {
		t.Fatal(err)
	}
	ps, err = db.PrivacyPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || !slices.Contains(ps[0].Aliases, "三哥") || !slices.Contains(ps[0].Aliases, "阿三") ||
		ps[1].Name != "Lucy Chen" || !slices.Equal(ps[1].Aliases, []string{"Lucy"}) {
		t.Fatalf("people after renames = %+v", ps)
	}
}
