package broadcast_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/configs"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/commandtest"
)

func TestTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{
		Features: func(h *commandtest.Harness) []bot.Feature {
			return []bot.Feature{broadcast.New(h.Engine, h.DB, h.Config, nil)}
		},
	})
}

// A #tag broadcast reaches the tagged units' groups; a group the bot has
// left is reported as failed at once and never retried.
func TestTagAndLeftGroup(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Study.Tags = map[string][]string{"支部": {"第一党支部", "第二党支部"}}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{broadcast.New(h.Engine, h.DB, h.Config, nil)}
	}})
	ctx := context.Background()
	for _, g := range []struct{ group, who, number string }{{"第一党支部", "周书记", "T0007"}, {"第二党支部", "陈书记", "T0008"}} {
		h.Group(g.group)
		h.As(g.who)
		h.Say("/iam " + g.number + " " + g.who)
		h.Say("/bind " + g.group)
	}
	if err := h.Engine.ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatLeft, Platform: "terminal", ChatID: "第二党支部"}); err != nil {
		t.Fatal(err)
	}
	h.Group("第一党支部")
	h.As("周书记")
	if out := strings.Join(h.Say("/broadcast #支部 支部书记例会改到周四。"), "\n"); !strings.Contains(out, "权限不足") {
		t.Fatalf("a branch secretary sent to another branch: %s", out)
	}
	h.As("王老师")
	out := strings.Join(h.Say("/broadcast #支部 支部书记例会改到周四。"), "\n")
	if !strings.Contains(out, "共 2 级审核") {
		t.Fatalf("a #tag of two branches should use their common ancestor's chain: %s", out)
	}
	h.Private()
	for _, r := range []struct{ who, number string }{{"黄伟", "T0004"}, {"赵强", "T0005"}} {
		h.As(r.who)
		h.Say("/iam " + r.number + " " + r.who)
		h.Say("/approve 1")
	}
	for range 3 {
		h.Flush()
	}
	h.Group("第一党支部")
	h.As("王老师")
	status := strings.Join(h.Say("/broadcast status 1"), "\n")
	for _, want := range []string{"共 2 个群，已送达 1，排队 0，失败 1", "第二党支部：失败：机器人已不在该群", "第一党支部：已送达"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	msgs, err := h.DB.OutboxByIdemPrefix(ctx, "bc:1:")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ChatExternalID == "第二党支部" && (m.State != bot.OutboxFailed || m.Attempts != 0) {
			t.Errorf("left group: state %s after %d attempts, want failed without attempts", m.State, m.Attempts)
		}
	}
	for _, s := range h.Chat.Sent() {
		if s.ChatID == "第二党支部" {
			t.Errorf("sent to a group the bot has left: %s", s)
		}
	}

	// Once its messages are pruned (retention.outbox), the status of the
	// broadcast reads the same from the record kept of each delivery.
	h.Clock.Advance(31 * 24 * time.Hour)
	if _, _, err := h.DB.PruneOutbox(ctx, h.Clock.Now().AddDate(0, 0, -30), 0, 1000, 0); err != nil {
		t.Fatal(err)
	}
	if msgs, err := h.DB.OutboxByIdemPrefix(ctx, "bc:1:"); err != nil || len(msgs) != 0 {
		t.Fatalf("the broadcast's messages were not pruned: %d left, %v", len(msgs), err)
	}
	if again := strings.Join(h.Say("/broadcast status 1"), "\n"); again != status {
		t.Fatalf("status after pruning:\n%s\nbefore:\n%s", again, status)
	}
}
