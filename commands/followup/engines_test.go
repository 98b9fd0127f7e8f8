package followup_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/storage"
)

var caps = bot.Capabilities{Private: true, Mentions: true}

// taskFixture is a relay for 第一党支部 due on Friday 18:00 that 周书记 and
// 张三 joined; 李四 talks to the bot privately, 王五 does not, and the six
// others never linked.
func taskFixture(t *testing.T) *commandtest.Harness {
	h := commandtest.New(t, commandtest.Options{Config: config(t), Features: features, Caps: caps})
	for _, l := range []string{":as 王老师", ":link T0001", ":group 第一党支部", "/bind 第一党支部",
		":as 周书记", ":link T0007", "/relay 党费交纳 until=周五18:00 for=第一党支部", "接龙",
		":as 张三", ":link 2023001", "接龙", ":as 李四", ":link 2023002", ":private", "/whoami",
		":group 第一党支部", ":as 王五", ":link 2023003"} {
		if _, err := h.Do(l); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// second opens another database handle and engine with the follow-up
// feature on the harness's SQLite file, as a second process would.
func second(t *testing.T, h *commandtest.Harness, wrap func(*storage.DB) followup.Store) (*bot.Engine, *storage.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(h.Dir, "branchbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, err := bot.New(bot.Options{Store: db, Now: h.Clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddPlatform(memchat.New("terminal", caps)); err != nil {
		t.Fatal(err)
	}
	var st followup.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	if err := e.Register(followup.New(e, st, commands.FollowupOptions(h.Config))); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	return e, db
}

func reminders(t *testing.T, db *storage.DB) []string {
	t.Helper()
	ms, err := db.OutboxByIdemPrefix(context.Background(), "fu:")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range ms {
		keys = append(keys, m.IdemKey)
	}
	return keys
}

// TestTwoEnginesOneRound: two engines on one SQLite file tick at the same
// instants, over and over; each round is sent once: 李四 privately and one
// group message for 王五, per offset.
func TestTwoEnginesOneRound(t *testing.T) {
	h := taskFixture(t)
	other, _ := second(t, h, nil)
	tickBoth := func() {
		var wg sync.WaitGroup
		for range 3 {
			for _, e := range []*bot.Engine{h.Engine, other} {
				wg.Go(func() { e.Tick(context.Background()) })
			}
		}
		wg.Wait()
	}
	h.Clock.Set(time.Date(2026, 11, 26, 18, 0, 0, 0, commandtest.Shanghai))
	tickBoth()
	got := reminders(t, h.DB)
	want := []string{"fu:relay:1:-86400:p4", "fu:relay:1:-86400:g1"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("after the day-before round: %q, want %q", got, want)
	}
	h.Clock.Set(time.Date(2026, 11, 27, 17, 0, 0, 0, commandtest.Shanghai))
	tickBoth()
	if got := reminders(t, h.DB); len(got) != 4 || got[2] != "fu:relay:1:-3600:p4" || got[3] != "fu:relay:1:-3600:g1" {
		t.Fatalf("after the hour-before round: %q", got)
	}
}

// failingCommit is the real database whose follow-up transactions run and
// then fail, as if the process died before the commit.
type failingCommit struct{ *storage.DB }

func (f failingCommit) UpdateFollowup(ctx context.Context, now time.Time, fn func(followup.Tx) error) error {
	return f.DB.UpdateFollowup(ctx, now, func(tx followup.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errors.New("killed before the commit")
	})
}

// TestRoundSurvivesACrash: a round whose transaction never commits (the
// process killed in the middle) leaves nothing behind, and the next tick
// of another process sends it whole, once.
func TestRoundSurvivesACrash(t *testing.T) {
	h := taskFixture(t)
	crashing, _ := second(t, h, func(db *storage.DB) followup.Store { return failingCommit{db} })
	h.Clock.Set(time.Date(2026, 11, 26, 18, 0, 0, 0, commandtest.Shanghai))
	crashing.Tick(context.Background())
	if got := reminders(t, h.DB); len(got) != 0 {
		t.Fatalf("a round that did not commit left %q", got)
	}
	h.Clock.Advance(time.Minute)
	out := h.Tick()
	if got := reminders(t, h.DB); len(got) != 2 {
		t.Fatalf("the next tick queued %q, want the round's two reminders", got)
	}
	if len(out) != 2 {
		t.Errorf("delivered %q", out)
	}
	if out := h.Tick(); len(out) != 0 {
		t.Errorf("a second tick delivered %q", out)
	}
}
