package commands_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// A message a feature queues in its own transaction reaches the running
// sender at once: the commit tells the engine, which wakes that platform's
// sender (no feature pokes it). Every feature is registered as in the
// program and the engine runs (Engine.Run) on the in-memory platform; the
// idle sender would otherwise sleep for up to 30 s, far beyond the wait
// allowed here.
func TestFeatureTransactionsWakeTheSender(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Roster.SeedFile = commandtest.RepoPath(t, "configs/demo_roster.csv")
	cfg.Roster.Link.Preset = []string{"memchat:张三=2023001", "memchat:王老师=T0001"}
	cfg.Exports.Dir = t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	units, err := core.Setup(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	items, err := study.LoadDir(commandtest.RepoPath(t, "configs/content"), commandtest.Shanghai, units)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, commandtest.Shanghai)
	if _, _, err := db.UpsertContent(ctx, items, now); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := bot.New(bot.Options{Store: db, Admins: cfg.Admins, Now: func() time.Time { return now },
		TickEvery: time.Hour, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := memchat.New("memchat", bot.Capabilities{Private: true})
	e.AddPlatform(p)
	cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := commands.Register(commands.Deps{Engine: e, DB: db, Config: cfg, Calendar: cal, Log: log}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Error(err)
		}
	}()

	say := func(who, text string) {
		p.Deliver(bot.Message{ChatID: "private:" + who, ChatKind: bot.Private, ChatTitle: who, SenderID: who, SenderName: who, Text: text})
	}
	await := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			for _, s := range p.Take() {
				if strings.Contains(s.Text, want) {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no message saying %q within 10 s", want)
	}
	say("李四", "/iam 2023002 李四") // core: a link request, stored and acknowledged
	await("已提交绑定申请 #1")
	say("张三", "/suggest 党课资料希望提前发") // tickets: filed, acknowledged, announced
	await("已收到建议 #1")
	say("张三", "/studied") // study: marked and acknowledged
	await("已记录：你已学完")
	say("王老师", "/broadcast 组织部 周五前报送党员信息统计表") // broadcast: stored, sent at once
	await("通知 #1 已发出（无需审核）")
}
