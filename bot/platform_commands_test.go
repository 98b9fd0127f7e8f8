package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
)

// withCommands is an in-memory platform that brings commands of its own.
type withCommands struct {
	*memchat.Platform
	specs []bot.CommandSpec
}

func (p withCommands) Commands() []bot.CommandSpec { return p.specs }

func ownCommand(platform string) bot.CommandSpec {
	return bot.CommandSpec{Name: "own", Aliases: []string{"自有"}, Summary: "平台自己的命令", Platform: platform,
		Handler: func(ctx context.Context, r *bot.Request) error {
			return r.Reply(ctx, "自有命令："+r.Command.ArgText)
		}}
}

// TestPlatformCommandsOnlyInTheirChats: a platform's own command is
// registered with the platform and dispatched only in its chats; in another
// platform's chats it is unknown, like a command that does not exist.
func TestPlatformCommandsOnlyInTheirChats(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil) // platform "mem", no commands of its own
	side := withCommands{memchat.New("side", bot.Capabilities{}), []bot.CommandSpec{ownCommand("")}}
	if err := v.e.AddPlatform(side); err != nil {
		t.Fatal(err)
	}
	spec, ok := v.e.Lookup("自有")
	if !ok || spec.Platform != "side" || !spec.AppliesTo("side") || spec.AppliesTo("mem") {
		t.Fatalf("registered spec %+v, %v: want it scoped to side", spec, ok)
	}
	ctx := context.Background()
	say := func(platform string, kind bot.ChatKind, text string) {
		m := msg("一支部", text)
		m.Platform, m.ChatKind = platform, kind
		if kind == bot.Private {
			m.ChatID = "private:u1"
		}
		v.e.Receive(ctx, m)
		v.e.Flush(ctx)
	}
	say("side", bot.Group, "/own 一")
	say("side", bot.Group, "自有 二")
	if got := texts(side.Take()); strings.Join(got, "|") != "一支部:自有命令：一|一支部:自有命令：二" {
		t.Errorf("on its platform: %q", got)
	}
	say("mem", bot.Group, "/own 三")
	say("mem", bot.Group, "自有 四")
	say("mem", bot.Group, "/echo 五") // the engine still answers there
	if got := texts(v.p.Take()); strings.Join(got, "|") != "一支部:回声：五" {
		t.Errorf("elsewhere in a group: %q", got)
	}
	say("mem", bot.Private, "/own 六")
	if got := texts(v.p.Take()); len(got) != 1 || !strings.Contains(got[0], "没有「/own」这个命令") {
		t.Errorf("elsewhere in a private chat: %q", got)
	}
}

func TestAddPlatformRejectsForeignOrDuplicateCommands(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	foreign := withCommands{memchat.New("side", bot.Capabilities{}), []bot.CommandSpec{ownCommand("other")}}
	if err := v.e.AddPlatform(foreign); err == nil || !strings.Contains(err.Error(), "is for platform other") {
		t.Errorf("a command for another platform: %v", err)
	}
	dup := withCommands{memchat.New("side", bot.Capabilities{}), []bot.CommandSpec{ownCommand(""), {Name: "echo", Handler: ownCommand("").Handler}}}
	if err := v.e.AddPlatform(dup); err == nil || !strings.Contains(err.Error(), "already names") {
		t.Errorf("a command named like a feature's: %v", err)
	}
	if _, ok := v.e.Platform("side"); ok {
		t.Error("a platform whose commands were refused was attached")
	}
	if _, ok := v.e.Lookup("own"); ok {
		t.Error("a refused platform's other command was registered")
	}
}
