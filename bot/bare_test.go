package bot_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/branchbot/branchbot/bot"
)

// speaking is a test feature with one command per Bare rule; the roll call
// (点名, 到, +1) is expected while open is set.
type speaking struct{ open *atomic.Bool }

func (speaking) Name() string { return "speaking" }

func (f speaking) Commands() []bot.CommandSpec {
	expected := &bot.Expecting{When: "点名进行中时", Now: func(context.Context, *bot.Request) (bool, error) { return f.open.Load(), nil }}
	return []bot.CommandSpec{
		{Name: "roll", Aliases: []string{"点名", "到", "+1"}, Summary: "点名", Bare: bot.BareWhenExpected, Expecting: expected, Handler: echoForm,
			Subs: []bot.CommandSpec{{Name: "start", Aliases: []string{"发起"}, Flat: []string{"发起点名"}, Handler: echoForm}}},
		{Name: "idea", Aliases: []string{"建议"}, Summary: "建议", Bare: bot.BareInPrivate, Handler: echoForm},
		{Name: "who", Aliases: []string{"我是谁"}, Summary: "我是谁", Handler: echoForm},
	}
}

// TestBareNames: a Chinese name without its slash runs its command in a
// group only as its Bare rule allows; in a private chat, with the slash, or
// addressed to the bot it always does. Full-width forms are read as ASCII
// and a separator or a change of script may stand for the space.
func TestBareNames(t *testing.T) {
	v := newSubEnv(t)
	open := new(atomic.Bool)
	if err := v.e.Register(speaking{open}); err != nil {
		t.Fatal(err)
	}
	const (
		roll  = `/roll parent=- sub="" args=[] text=""`
		roll7 = `/roll parent=- sub="" args=["4827"] text="4827"`
	)
	tests := []struct {
		open    bool
		private bool
		text    string
		want    string
	}{
		{false, false, "到", ""},
		{false, false, "点名 4827", ""},
		{false, false, "/到", roll},
		{false, true, "到", roll},
		{true, false, "到", roll},
		{true, false, "点名 4827", roll7},
		{true, false, "点名4827", roll7},
		{true, false, "点名：4827", roll7},
		{true, false, "点名，4827", roll7},
		{true, false, "点名、4827", roll7},
		{true, false, "点名 ４８２７", roll7},
		{true, false, "点名😀", `/roll parent=- sub="" args=[] text="😀"`}, // marks ending a line are no argument (ArgText keeps them)
		{true, false, "＋１", roll},
		{true, false, "+1带相机", `/roll parent=- sub="" args=["带相机"] text="带相机"`},
		{true, false, "+1 带相机", `/roll parent=- sub="" args=["带相机"] text="带相机"`},
		{true, false, "+12", ""},   // a number, not +1 and 2
		{true, false, "到底谁负责", ""}, // one word of Chinese: speech
		{true, false, "点名册在哪", ""}, // ditto
		// A sub-command's flat name has its own rule; reached by its word
		// after the command's alias, the command's rule applies too.
		{false, false, "发起点名 早会", `/roll start parent=roll sub="" args=["早会"] text="早会"`},
		{false, false, "点名 发起 早会", ""},
		{false, false, "/点名 发起 早会", `/roll start parent=roll sub="发起" args=["早会"] text="早会"`},
		{true, false, "点名 发起！", `/roll start parent=roll sub="发起" args=[] text=""`}, // marks after the word
		{true, false, "点名 发起 早会", `/roll start parent=roll sub="发起" args=["早会"] text="早会"`},
		{false, false, "建议 大家明天早点到会场", ""},
		{false, false, "建议：大家明天早点到会场", ""},
		{false, false, "/建议 大家明天早点到会场", `/idea parent=- sub="" args=["大家明天早点到会场"] text="大家明天早点到会场"`},
		{false, true, "建议 大家明天早点到会场", `/idea parent=- sub="" args=["大家明天早点到会场"] text="大家明天早点到会场"`},
		{false, false, "我是谁", `/who parent=- sub="" args=[] text=""`},
		{false, false, "／我是谁", `/who parent=- sub="" args=[] text=""`},
		{false, false, "/ＷＨＯ", `/who parent=- sub="" args=[] text=""`},
		{false, false, "whoami", ""}, // English names need their slash
		{false, false, "who4827", ""},
	}
	for _, tt := range tests {
		open.Store(tt.open)
		if got := v.say(t, "路人", tt.private, tt.text); got != tt.want {
			t.Errorf("open %v private %v: %q\n got %s\nwant %s", tt.open, tt.private, tt.text, got, tt.want)
		}
	}
	// Addressed to the bot (an @mention or a reply to it), a bare name is
	// meant for it.
	ctx := context.Background()
	open.Store(false)
	v.e.Receive(ctx, bot.Message{Platform: "mem", ChatID: "一支部群", ChatKind: bot.Group, ChatTitle: "一支部群",
		SenderID: "路人", SenderName: "路人", Text: "建议 食堂太挤", MentionsBot: true})
	v.e.Flush(ctx)
	if got := v.p.Take(); len(got) != 1 || got[0].Text != `/idea parent=- sub="" args=["食堂太挤"] text="食堂太挤"` {
		t.Errorf("建议 addressed to the bot: %+v", got)
	}
}

func TestRegisterRejectsExpectedWithoutHook(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	h := func(context.Context, *bot.Request) error { return nil }
	err := v.e.Register(specs{{Name: "x", Aliases: []string{"叉"}, Bare: bot.BareWhenExpected, Handler: h}})
	if err == nil {
		t.Fatal("a bare-when-expected command without its hook was registered")
	}
}
