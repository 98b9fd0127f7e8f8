package checkin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// TestCheckinsSentWhileTheBotWasDown: a 40 s session is opened, the bot
// stops, six members check in 5 s into the session, and the bot is back
// 55 s in. The check-ins count as sent (they were, before the end), and the
// session's result, posted once the bot is back, lists them present (and
// the secretary, checked in by opening it): the
// engine hands over what waited at the platform before its first timed run,
// and judges each check-in at the message's own time.
func TestCheckinsSentWhileTheBotWasDown(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	for _, line := range []string{
		":as 周书记", ":link T0007", "/bind 第一党支部",
		":as 张三", ":link 2023001", ":as 李四", ":link 2023002", ":as 王五", ":link 2023003",
		":as 周书记", "/checkin open 短会 40s",
	} {
		if _, err := h.Do(line); err != nil {
			t.Fatal(err)
		}
	}
	opened := h.Clock.Now()
	// The bot is down: what members say waits at the platform.
	h.Clock.Advance(5 * time.Second)
	members := []string{"张三", "李四", "王五", "小刘", "小陈", "小杨"}
	for _, name := range members {
		h.Chat.Deliver(bot.Message{ChatID: "第一党支部", ChatKind: bot.Group, ChatTitle: "第一党支部",
			SenderID: name, SenderName: name, Text: "签到", Time: h.Clock.Now()})
	}
	h.Clock.Set(opened.Add(55 * time.Second))
	h.Restart() // the bot is back: a new process on the same database
	h.Chat.Take()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Engine.Run(ctx) }()
	var out []string
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(strings.Join(out, "\n"), "签到结束") {
		if time.Now().After(deadline) {
			t.Fatalf("no result within 15s; the bot said:\n%s", strings.Join(out, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
		for _, s := range h.Chat.Take() {
			out = append(out, commandtest.RenderSent(s))
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	said := strings.Join(out, "\n")
	if strings.Contains(said, "已结束，未记录") {
		t.Errorf("check-ins sent before the end were refused:\n%s", said)
	}
	for _, want := range []string{"实到 4 人", "已签到：周书记、张三、李四、王五", "缺席：无", "名单外签到 3 人：小刘（未绑定花名册）、小陈（未绑定花名册）、小杨（未绑定花名册）"} {
		if !strings.Contains(said, want) {
			t.Errorf("the result does not say %q:\n%s", want, said)
		}
	}
}
