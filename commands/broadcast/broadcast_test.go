package broadcast_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/configs"
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
	h := taggedBranches(t)
	ctx := context.Background()
	if err := h.Engine.ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatLeft, Platform: "terminal", ChatID: "第二党支部"}); err != nil {
		t.Fatal(err)
	}
	h.Group("第一党支部")
	h.As("周书记")
	if out := strings.Join(h.Say("/broadcast #支部 支部书记例会改到周四。"), "\n"); !strings.Contains(out, "你不是第二党支部或其上级单位的书记") {
		t.Fatalf("a branch secretary sent to another branch: %s", out)
	}
	h.As("王老师")
	out := strings.Join(h.Say("/broadcast #支部 支部书记例会改到周四。"), "\n")
	if !strings.Contains(out, "共 2 级审核") {
		t.Fatalf("a #tag of two branches should use their common ancestor's chain: %s", out)
	}
	approveBothLevels(h)
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

// A send whose outcome is unknown (it timed out after the platform was
// handed it) is not sent again, and /broadcast status says so.
func TestStatusShowsUnknownOutcome(t *testing.T) {
	h := taggedBranches(t)
	tries := 0
	h.Chat.FailWith(func(o bot.Outbound) error {
		if o.ChatID == "第二党支部" && strings.Contains(o.Text, "例会") {
			tries++
			return fmt.Errorf("%w: timeout after the request was written", bot.ErrOutcomeUnknown)
		}
		return nil
	})
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/broadcast #支部 支部书记例会改到周四。")
	approveBothLevels(h)
	h.Group("第一党支部")
	h.As("王老师")
	status := strings.Join(h.Say("/broadcast status 1"), "\n")
	for _, want := range []string{"已送达 1，排队 0，失败 0，结果未知 1", "第二党支部：结果未知"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	if tries != 1 {
		t.Errorf("the send with an unknown outcome was tried %d times, want once", tries)
	}
}

// taggedBranches is the default organisation with the tag #支部 for both
// branches, each branch's group bound by its secretary.
func taggedBranches(t *testing.T) *commandtest.Harness {
	t.Helper()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Study.Tags = map[string][]string{"支部": {"第一党支部", "第二党支部"}}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{broadcast.New(h.Engine, h.DB, h.Config, nil)}
	}})
	for _, g := range []struct{ group, who, number string }{{"第一党支部", "周书记", "T0007"}, {"第二党支部", "陈书记", "T0008"}} {
		h.Group(g.group)
		h.As(g.who)
		h.LinkSpeaker(g.number)
		h.Say("/bind " + g.group)
	}
	return h
}

// approveBothLevels approves broadcast #1 at both levels of its review
// chain and delivers what that queues.
func approveBothLevels(h *commandtest.Harness) {
	h.Private()
	for _, r := range []struct{ who, number string }{{"黄伟", "T0004"}, {"赵强", "T0005"}} {
		h.As(r.who)
		h.LinkSpeaker(r.number)
		h.Say("/approve 1")
	}
	for range 3 {
		h.Flush()
	}
}

// An author linked on two platforms may not approve their own draft from
// the other one: the author is checked by roster person, not by account.
func TestAuthorCannotApproveFromAnotherPlatform(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Units[0].Children {
		if u := &cfg.Units[0].Children[i]; u.Name == "计算机学院党委" {
			u.Review = []configs.ReviewLevel{{Name: "书记审核", Members: []string{"T0002", "T0007"}}}
		}
	}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		return []bot.Feature{broadcast.New(h.Engine, h.DB, h.Config, nil)}
	}})
	tg := memchat.New("telegram", bot.Capabilities{Private: true})
	if err := h.Engine.AddPlatform(tg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h.Group("第一党支部")
	h.As("李明")
	h.LinkSpeaker("T0002")
	if out := strings.Join(h.Say("/broadcast 计算机学院党委 周五开会"), "\n"); !strings.Contains(out, "等待「书记审核」") {
		t.Fatalf("draft: %s", out)
	}
	// 李明's Telegram account, linked to the same roster entry.
	m, err := h.DB.EnsureMember(ctx, "telegram", "42", "李明")
	if err != nil {
		t.Fatal(err)
	}
	entry, err := h.DB.RosterByNumber(ctx, "T0002")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.DB.LinkMember(ctx, m.ID, entry.ID, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	sayTG := func(text string) string {
		h.Engine.Receive(ctx, bot.Message{Platform: "telegram", ChatID: "42", ChatKind: bot.Private, ChatTitle: "李明",
			SenderID: "42", SenderName: "李明", Text: text, Time: h.Clock.Now()})
		h.Flush()
		var out []string
		for _, s := range tg.Take() {
			out = append(out, s.Text)
		}
		return strings.Join(out, "\n")
	}
	if out := sayTG("/approve 1"); !strings.Contains(out, "不能审核自己提交的通知 #1") {
		t.Fatalf("the author approved from Telegram: %s", out)
	}
	if out := sayTG("/approve"); !strings.Contains(out, "没有等待你审核的通知") {
		t.Errorf("the author's own draft is listed for review: %s", out)
	}
	// Another reviewer of the level may.
	h.As("周书记")
	h.LinkSpeaker("T0007")
	if out := strings.Join(h.Say("/approve 1"), "\n"); !strings.Contains(out, "审核完成") {
		t.Fatalf("another reviewer: %s", out)
	}
}
