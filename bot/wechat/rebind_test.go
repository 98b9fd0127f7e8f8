package wechat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// adapterCommands registers the adapter's own commands the way
// Engine.AddPlatform does for the real adapter, so that they run on the
// in-memory platform of a transcript harness.
type adapterCommands []bot.CommandSpec

func (adapterCommands) Name() string                  { return "wechat commands" }
func (c adapterCommands) Commands() []bot.CommandSpec { return c }

func harness(t *testing.T, platform string) *commandtest.Harness {
	return commandtest.New(t, commandtest.Options{
		Platform: platform, Caps: bot.Capabilities{Mentions: true},
		Features: func(h *commandtest.Harness) []bot.Feature {
			return []bot.Feature{adapterCommands(wechat.Commands(h.DB))}
		},
	})
}

// say speaks in a WeChat group the way the adapter reports it: members are
// "<group>/<display name>".
func say(h *commandtest.Harness, group, name, text string) string {
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: wechat.Name, ChatID: group, ChatKind: bot.Group, ChatTitle: group,
		SenderID: wechat.MemberID(group, name), SenderName: name, Text: text, Time: h.Clock.Now(),
	})
	return strings.Join(h.Flush(), "\n")
}

func TestRebindRenamedGroup(t *testing.T) {
	h := harness(t, wechat.Name)
	ctx := context.Background()
	for _, l := range [][2]string{{"周书记", "T0007"}, {"张三", "2023001"}} {
		if err := h.Link(wechat.MemberID("一支部群", l[0]), l[1]); err != nil {
			t.Fatal(err)
		}
	}
	if out := say(h, "一支部群", "周书记", "/bind 第一党支部"); !strings.Contains(out, "已将本群绑定到「第一党支部」") {
		t.Fatalf("bind: %s", out)
	}
	say(h, "一支部群", "张三", "/whoami")
	old, err := h.DB.ChatByExternalID(ctx, wechat.Name, "一支部群")
	if err != nil {
		t.Fatal(err)
	}

	// The group is renamed; to the bot it is a new, unbound group where
	// nobody is linked. 张三 speaks first, then cannot rebind.
	if out := say(h, "第一党支部委员会", "张三", "/whoami"); !strings.Contains(out, "尚未绑定花名册") || !strings.Contains(out, "本群尚未绑定单位") {
		t.Fatalf("renamed group before rebind: %s", out)
	}
	if out := say(h, "第一党支部委员会", "张三", "/rebind 一支部群"); !strings.Contains(out, "你不是第一党支部或其上级单位的书记") {
		t.Fatalf("member rebind: %s", out)
	}
	if out := say(h, "第一党支部委员会", "周书记", "/rebind 不存在的群"); !strings.Contains(out, "找不到名为「不存在的群」") {
		t.Fatalf("unknown old name: %s", out)
	}
	if out := say(h, "第一党支部委员会", "周书记", "/rebind"); !strings.Contains(out, "用法") {
		t.Fatalf("no argument: %s", out)
	}
	// The secretary is recognised by who they were in the old group.
	out := say(h, "第一党支部委员会", "周书记", "/rebind 一支部群")
	if !strings.Contains(out, "[第一党支部委员会]") || !strings.Contains(out, "本群绑定在「第一党支部」") || !strings.Contains(out, "2 位成员") {
		t.Fatalf("rebind: %s", out)
	}
	c, err := h.DB.ChatByExternalID(ctx, wechat.Name, "第一党支部委员会")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != old.ID || c.UnitID != old.UnitID || c.Title != "第一党支部委员会" {
		t.Errorf("renamed chat %+v, want the old chat %+v under the new name", c, old)
	}
	// 张三's /iam link came along although they spoke in the renamed group
	// before the rebind.
	if out := say(h, "第一党支部委员会", "张三", "/whoami"); !strings.Contains(out, "你是 张三（2023001）") || !strings.Contains(out, "本群绑定在「第一党支部」") {
		t.Errorf("after rebind: %s", out)
	}
	if out := say(h, "第一党支部委员会", "周书记", "/rebind 一支部群"); !strings.Contains(out, "找不到") {
		t.Errorf("second rebind: %s", out)
	}
}

// TestRebindOnlyOnWeChat: elsewhere /rebind is unknown, as any command that
// does not exist, and /help neither lists nor describes it.
func TestRebindOnlyOnWeChat(t *testing.T) {
	h := harness(t, "terminal")
	if out := h.Say("/rebind 旧群"); len(out) != 0 {
		t.Errorf("terminal group: %q", out)
	}
	if out := h.Say("群改名 旧群"); len(out) != 0 {
		t.Errorf("terminal group, Chinese alias: %q", out)
	}
	if out := strings.Join(h.Say("/help"), "\n"); strings.Contains(out, "rebind") || !strings.Contains(out, "/whoami") {
		t.Errorf("terminal /help: %s", out)
	}
	if out := strings.Join(h.Say("/help rebind"), "\n"); !strings.Contains(out, "没有「rebind」这个命令") {
		t.Errorf("terminal /help rebind: %s", out)
	}
	h.Private()
	if out := strings.Join(h.Say("/rebind 旧群"), "\n"); !strings.Contains(out, "没有「/rebind」这个命令") {
		t.Errorf("terminal private chat: %s", out)
	}

	w := harness(t, wechat.Name)
	if out := say(w, "一支部群", "张三", "/help"); !strings.Contains(out, "/rebind（群改名、重新绑定） — 微信群改名后，沿用旧群名的绑定") {
		t.Errorf("wechat /help: %s", out)
	}
	if out := say(w, "一支部群", "张三", "/help 群改名"); !strings.Contains(out, "用法：/rebind <旧群名>") {
		t.Errorf("wechat /help 群改名: %s", out)
	}
}
