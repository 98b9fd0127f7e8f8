package assist

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
)

// The retention notice's warning for a bot that sees only commands, in the
// platform's words where it gives them.
func TestCommandsOnlyNote(t *testing.T) {
	cases := []struct {
		caps bot.Capabilities
		want string
	}{
		{bot.Capabilities{CommandsOnly: true, CommandsOnlyWhy: "某平台默认只转发命令", SeeAllHow: "在后台打开“接收全部消息”"},
			"注意：某平台默认只转发命令。如需保存普通消息，请在后台打开“接收全部消息”。"},
		{bot.Capabilities{CommandsOnly: true, CommandsOnlyWhy: "某平台只转发命令"},
			"注意：某平台只转发命令，普通消息无法保存。"},
		{bot.Capabilities{CommandsOnly: true},
			"注意：本平台的机器人在群里只能看到命令和 @机器人 的消息，普通消息无法保存。"},
	}
	for _, c := range cases {
		if got := commandsOnlyNote(c.caps); got != c.want {
			t.Errorf("commandsOnlyNote(%+v) = %q, want %q", c.caps, got, c.want)
		}
	}
}
