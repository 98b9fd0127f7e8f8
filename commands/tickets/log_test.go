package tickets_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/configs"
)

type failingAssistant struct{}

func (failingAssistant) Classify(context.Context, string, []string) (string, error) {
	return "", errors.New("model down")
}
func (failingAssistant) Draft(context.Context, string, []string) (string, error) {
	return "", errors.New("model down")
}

// TestAnonymousFilerNeverLogged drives an anonymous ticket through every path
// that logs (routing failures, a department without a chat, an escalation
// with nowhere to go, a failed draft) and checks that no log line names the
// filer or their chats.
func TestAnonymousFilerNeverLogged(t *testing.T) {
	var logs commandtest.SyncBuffer
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.SLA.SupervisorChat = "没有这个群"
	h := commandtest.New(t, commandtest.Options{Config: cfg, Caps: bot.Capabilities{Private: true},
		Features: func(h *commandtest.Harness) []bot.Feature {
			cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai})
			if err != nil {
				t.Fatal(err)
			}
			f := tickets.New(h.Engine, h.DB, cal, h.Config.SLA, failingAssistant{})
			tickets.SetLogger(f, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			return []bot.Feature{f}
		}})
	h.Group("组织部")
	h.As("王老师")
	h.Say("/bind 组织部")
	h.Group("第一党支部")
	h.As("李四")
	h.LinkSpeaker("2023002")
	h.Say("/suggest -a 党费收缴标准不清楚")
	h.Private()
	h.Say("/匿名建议 宿舍热水经常中断") // 学生工作部 has no chat
	h.Say("/followup 2 三楼也是")
	h.Clock.Advance(2 * time.Minute)
	h.Tick()
	h.Clock.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, commandtest.Shanghai))
	h.Tick()
	h.Clock.Set(time.Date(2026, 11, 26, 9, 0, 0, 0, commandtest.Shanghai))
	h.Tick()
	h.Group("组织部")
	h.As("刘芳")
	h.LinkSpeaker("T0003")
	h.Private()
	h.Say("/draft 1")
	h.Say("/answer 1 见公告")
	h.Say("/close 1")
	h.Say("/reopen 1")

	out := logs.String()
	if !strings.Contains(out, "ticket=1") || !strings.Contains(out, "nowhere to be escalated") || !strings.Contains(out, "could not draft") {
		t.Fatalf("the paths under test did not log:\n%s", out)
	}
	for _, bad := range []string{"李四", "2023002", "第一党支部", "private:", "member=", "chat="} {
		if strings.Contains(out, bad) {
			t.Errorf("log names the filer (%q):\n%s", bad, out)
		}
	}
	// Nothing the staff chats received names the filer either.
	ctx := context.Background()
	for _, title := range []string{"组织部"} {
		chat, err := h.DB.ChatByExternalID(ctx, "terminal", title)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := h.DB.OutboxOfChat(ctx, chat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) < 3 {
			t.Fatalf("staff chat got %d messages", len(msgs))
		}
		for _, m := range msgs {
			if strings.Contains(m.Text, "李四") || strings.Contains(m.Text, "第一党支部") || m.MentionMember != 0 && m.Mention.Name == "李四" {
				t.Errorf("staff chat %s got %q", title, m.Text)
			}
		}
	}
}
