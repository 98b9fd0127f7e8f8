package followup_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// TestGroupReminderMentions: the group reminder names each member who has
// not joined as "@姓名" in its text and carries them as mentions (their
// platform ids), which the adapters turn into real mentions; chunks of
// followup.mention_chunk each carry their own.
func TestGroupReminderMentions(t *testing.T) {
	cfg := config(t)
	cfg.Followup.MentionChunk = 2
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: features, Caps: bot.Capabilities{Mentions: true}})
	for _, line := range []string{
		":as 王老师", ":link T0001", ":group 第一党支部", "/bind 第一党支部",
		":as 周书记", ":link T0007", "/relay 党费交纳 until=周五18:00 for=第一党支部", "接龙",
		":as 张三", ":link 2023001", ":as 李四", ":link 2023002", ":as 王五", ":link 2023003",
		":as 周书记",
	} {
		if _, err := h.Do(line); err != nil {
			t.Fatal(err)
		}
	}
	// Said by hand: the harness's Say takes what was sent, and here the
	// Outbound itself is read.
	h.Engine.Receive(context.Background(), bot.Message{Platform: "terminal", ChatID: "第一党支部", ChatKind: bot.Group,
		ChatTitle: "第一党支部", SenderID: "周书记", SenderName: "周书记", Text: "/remind relay #1", Time: h.Clock.Now()})
	h.Engine.Flush(context.Background())
	var got [][]bot.Mention
	for _, s := range h.Chat.Sent() {
		if strings.HasPrefix(s.Text, "提醒：") && s.ChatID == "第一党支部" {
			got = append(got, s.Mentions)
			for _, sp := range bot.MentionSpans(s.Text, s.Mentions) {
				if s.Text[sp.Start:sp.End] != "@"+sp.Name {
					t.Errorf("mention %v does not stand in %q", sp, s.Text)
				}
			}
			if n := len(bot.MentionSpans(s.Text, s.Mentions)); n != len(s.Mentions) {
				t.Errorf("%q names %d of its %d mentions", s.Text, n, len(s.Mentions))
			}
		}
	}
	want := [][]bot.Mention{
		{{UserID: "张三", Name: "张三"}, {UserID: "李四", Name: "李四"}},
		{{UserID: "王五", Name: "王五"}},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("group reminders carry %v, want %v", got, want)
	}
}
