package core_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
)

// A new link is told to the entry's accounts on other platforms, in their
// private chat with the bot.
func TestNewLinkIsToldOnOtherPlatforms(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Caps: bot.Capabilities{Private: true}})
	tg := memchat.New("telegram", bot.Capabilities{Private: true})
	if err := h.Engine.AddPlatform(tg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// 张三 linked on Telegram and talked to the bot there.
	h.Engine.Receive(ctx, bot.Message{Platform: "telegram", ChatID: "42", ChatKind: bot.Private, ChatTitle: "张三",
		SenderID: "42", SenderName: "张三", Text: "/whoami", Time: h.Clock.Now()})
	m, err := h.DB.EnsureMember(ctx, "telegram", "42", "张三")
	if err != nil {
		t.Fatal(err)
	}
	e, err := h.DB.RosterByNumber(ctx, "2023001")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.DB.LinkMember(ctx, m.ID, e.ID, h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.Flush()
	tg.Take()
	h.Private()
	h.As("周书记")
	h.LinkSpeaker("T0007")
	out := strings.Join(h.Say("/linkcode 2023001"), "\n")
	cmd := regexp.MustCompile(`/iam 2023001 张三 [0-9A-Z]{4}-[0-9A-Z]{4}`).FindString(out)
	if cmd == "" {
		t.Fatalf("no code: %s", out)
	}
	h.As("某人")
	out = strings.Join(h.Say(cmd), "\n")
	if !strings.Contains(out, "绑定成功：张三") || strings.Contains(out, "已解除绑定") {
		t.Fatalf("link on a second platform: %s", out)
	}
	got := tg.Take()
	if len(got) != 1 || got[0].ChatID != "42" || !strings.Contains(got[0].Text, "刚刚凭绑定码绑定了新的账号「某人」") {
		t.Fatalf("the Telegram account was told: %+v", got)
	}
	// Both links stand; the secretary was told too.
	if !strings.Contains(out, "[私聊 周书记] branchbot: 绑定通知：张三（2023001") {
		t.Errorf("no notice to the secretary:\n%s", out)
	}
}

// With roster.link.approval off, members need a code too.
func TestApprovalOff(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	off := false
	cfg.Roster.Link.Approval = &off
	h := commandtest.New(t, commandtest.Options{Config: cfg})
	h.Script(`:group 第一党支部
:as 张三
/iam 2023001 张三
> [第一党支部] branchbot: 绑定须凭绑定码：请向第一党支部的书记索取绑定码，然后发送 /iam 2023001 张三 <绑定码>。
/whoami
> [第一党支部] branchbot: 你是 张三，尚未绑定花名册。绑定方法：/iam <学号/工号> <姓名> <绑定码>（绑定码向书记索取；普通成员也可不带绑定码，由书记确认）。
> 本群尚未绑定单位。
`)
}

// The demo config's presets link its terminal speakers at start, once: a
// preset identity whose entry another terminal identity holds is left
// alone, and a number not on the roster is skipped.
func TestPresetLinks(t *testing.T) {
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Roster.Link.Preset) == 0 {
		t.Fatal("the demo config presets no links")
	}
	cfg.Roster.Link.Preset = append(cfg.Roster.Link.Preset, "terminal:周书记分身=T0007")
	h := commandtest.New(t, commandtest.Options{Config: cfg})
	h.Script(`:group 第一党支部
:as 周书记
/whoami
> [第一党支部] branchbot: 你是 周书记（T0007），第一党支部，书记（由配置绑定）。
> 本群尚未绑定单位。
:as 周书记分身
/whoami
> [第一党支部] branchbot: 你是 周书记分身，尚未绑定花名册。绑定方法：/iam <学号/工号> <姓名> <绑定码>（绑定码向书记索取；普通成员也可不带绑定码，由书记确认）。
> 本群尚未绑定单位。
:restart
:as 周书记
/whoami
> [第一党支部] branchbot: 你是 周书记（T0007），第一党支部，书记（由配置绑定）。
> 本群尚未绑定单位。
`)
	// A number not on the roster (a typo, or someone who left) links
	// nothing and stops nothing.
	cfg.Roster.Link.Preset = []string{"terminal:某人=T9999"}
	if _, err := core.Setup(context.Background(), h.DB, cfg); err != nil {
		t.Errorf("an unknown preset number: %v", err)
	}
}
