package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

// meeting is a test feature with sub-commands. Every handler answers with
// what it was given: the form's invocation, its command, the sub-command
// word the engine took off, the arguments and the argument text.
type meeting struct{}

func (meeting) Name() string { return "meeting" }

func echoForm(ctx context.Context, r *bot.Request) error {
	parent := "-"
	if p := r.Spec.Parent(); p != nil {
		parent = p.Name
	}
	return r.Reply(ctx, fmt.Sprintf("%s parent=%s sub=%q args=%q text=%q", r.Spec.Invocation(), parent, r.Command.Sub, r.Command.Args, r.Command.ArgText))
}

func (meeting) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{
			Name: "meet", Aliases: []string{"会议"}, Summary: "会议", Usage: "/meet [内容]", Handler: echoForm,
			Subs: []bot.CommandSpec{
				{Name: "open", Aliases: []string{"发起"}, Flat: []string{"meet_open", "开会"}, Usage: "/meet open <主题>",
					Role: bot.RoleSecretary, Where: bot.GroupOnly, Handler: echoForm},
				{Name: "note", Usage: "/meet note <内容>", Handler: echoForm},
				{Name: "plan", Usage: "/meet plan <单位>", Role: bot.RoleSecretary, Scope: bot.AnyUnit, Handler: echoForm},
				{Name: "vip", Usage: "/meet vip", Handler: echoForm, Audience: &bot.Audience{
					Name: "贵宾", Admits: func(c bot.Caller) bool { return c.Member.Name == "贵宾" }, Denial: "只有贵宾可以。"}},
			},
		},
		{
			Name: "kit", Summary: "只有子命令",
			Subs: []bot.CommandSpec{
				{Name: "a", Usage: "/kit a <x>", Role: bot.RoleSecretary, Handler: echoForm},
				{Name: "b", Usage: "/kit b", Role: bot.RoleAdmin, Handler: echoForm},
			},
		},
	}
}

// subEnv is an engine with the meeting feature, two units, a group bound
// to the first, and callers: a stranger (路人), a secretary of each unit
// (周书记 of 一支部, 陈书记 of 二支部), a configured admin (王老师) and 贵宾.
type subEnv struct {
	e *bot.Engine
	p *memchat.Platform
}

func newSubEnv(t *testing.T) *subEnv {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "一支部"}, {Name: "二支部"}}); err != nil {
		t.Fatal(err)
	}
	units, err := db.Units(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string]int64{}
	for _, u := range units {
		unit[u.Name] = u.ID
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, bot.ShanghaiLocation())
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{
		{Name: "周书记", Number: "T1", UnitID: unit["一支部"], Title: "书记", Role: bot.RoleSecretary},
		{Name: "陈书记", Number: "T2", UnitID: unit["二支部"], Title: "书记", Role: bot.RoleSecretary},
	}, now); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"T1", "T2"} {
		entry, err := db.RosterByNumber(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.EnsureMember(ctx, "mem", entry.Name, entry.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.LinkMember(ctx, m.ID, entry.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	chat, err := db.EnsureChat(ctx, "mem", "一支部群", bot.Group, "一支部群")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.BindChat(ctx, chat.ID, unit["一支部"]); err != nil {
		t.Fatal(err)
	}
	e, err := bot.New(bot.Options{Store: db, Admins: []string{"mem:王老师"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	p := memchat.New("mem", bot.Capabilities{})
	if err := e.AddPlatform(p); err != nil {
		t.Fatal(err)
	}
	if err := e.Register(meeting{}); err != nil {
		t.Fatal(err)
	}
	if err := e.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	return &subEnv{e: e, p: p}
}

// say sends text from who, in the bound group or (private) in who's private
// chat, and returns the one answer ("" for none).
func (v *subEnv) say(t *testing.T, who string, private bool, text string) string {
	t.Helper()
	m := bot.Message{Platform: "mem", ChatID: "一支部群", ChatKind: bot.Group, ChatTitle: "一支部群", SenderID: who, SenderName: who, Text: text}
	if private {
		m.ChatID, m.ChatKind, m.ChatTitle = "private:"+who, bot.Private, who
	}
	ctx := context.Background()
	v.e.Receive(ctx, m)
	v.e.Flush(ctx)
	got := v.p.Take()
	switch len(got) {
	case 0:
		return ""
	case 1:
		return got[0].Text
	}
	t.Fatalf("%s: %q: %d answers: %+v", who, text, len(got), got)
	return ""
}

const (
	needSecretary       = "你不是一支部或其上级单位的书记。"
	needSecretaryUnlink = "你还没有绑定花名册身份。" + bot.LinkHowTo
)

// TestSubCommandDispatch: the engine finds a sub-command by its word (any
// case, full-width letters, Chinese words, after a Chinese alias without a
// slash) or by a flat name, checks its own place, role, scope and audience
// with the same answers as for commands, and calls its handler with the
// remaining arguments.
func TestSubCommandDispatch(t *testing.T) {
	v := newSubEnv(t)
	tests := []struct {
		who     string
		private bool
		text    string
		want    string
	}{
		// The command's own form: no sub-command word.
		{"路人", false, "/meet hello world", `/meet parent=- sub="" args=["hello" "world"] text="hello world"`},
		{"路人", false, "/meet opener", `/meet parent=- sub="" args=["opener"] text="opener"`},
		{"路人", false, "/meet", `/meet parent=- sub="" args=[] text=""`},
		// A sub-command's own role, with the engine's answer.
		{"路人", false, "/meet open 主题党日 30m", needSecretaryUnlink},
		{"周书记", false, "/meet open 主题党日 30m", `/meet open parent=meet sub="open" args=["主题党日" "30m"] text="主题党日 30m"`},
		{"周书记", false, "/meet OPEN x", `/meet open parent=meet sub="open" args=["x"] text="x"`},
		{"周书记", false, "/meet ｏｐｅｎ x", `/meet open parent=meet sub="open" args=["x"] text="x"`},
		{"周书记", false, "会议 发起 x", `/meet open parent=meet sub="发起" args=["x"] text="x"`},
		{"周书记", false, "/meet \u3000open\u3000「第 一」 \"b c\"", `/meet open parent=meet sub="open" args=["第 一" "b c"] text="「第 一」 \"b c\""`},
		{"周书记", false, `/meet "open" x`, `/meet open parent=meet sub="open" args=["x"] text="x"`},
		// Flat names reach the sub-command with every argument.
		{"周书记", false, "/meet_open 主题党日", `/meet open parent=meet sub="" args=["主题党日"] text="主题党日"`},
		{"周书记", false, "开会 主题党日", `/meet open parent=meet sub="" args=["主题党日"] text="主题党日"`},
		{"路人", false, "开会 主题党日", needSecretaryUnlink},
		{"周书记", false, "meet_open 主题党日", ""}, // an English name needs its slash
		// Place: the sub-command's own, checked before the role.
		{"周书记", true, "/meet open x", "/meet open 只能在群里使用，请在相应的群里发送。"},
		{"路人", true, "/meet_open x", "/meet open 只能在群里使用，请在相应的群里发送。"},
		{"周书记", true, "/meet note x", `/meet note parent=meet sub="note" args=["x"] text="x"`},
		// Scope: the chat's unit by default, any unit where declared.
		{"陈书记", false, "/meet open x", needSecretary},
		{"陈书记", false, "/meet plan 二支部", `/meet plan parent=meet sub="plan" args=["二支部"] text="二支部"`},
		{"陈书记", true, "/meet plan 二支部", `/meet plan parent=meet sub="plan" args=["二支部"] text="二支部"`},
		{"路人", false, "/meet plan 二支部", needSecretaryUnlink},
		{"王老师", false, "/meet open x", `/meet open parent=meet sub="open" args=["x"] text="x"`},
		// An audience narrows the role; an admin is not in it by being one.
		{"贵宾", false, "/meet vip", `/meet vip parent=meet sub="vip" args=[] text=""`},
		{"路人", false, "/meet vip", "只有贵宾可以。如果你有该身份，请先绑定花名册。" + bot.LinkHowTo},
		{"周书记", false, "/meet vip", "只有贵宾可以。"},
		// A command that is only its sub-commands answers with the usage
		// of those the caller may run, or why it may run none.
		{"路人", false, "/kit", needSecretaryUnlink},
		{"周书记", false, "/kit", "用法：/kit a <x>"},
		{"周书记", false, "/kit zzz 1", "用法：/kit a <x>"},
		{"王老师", true, "/kit", "用法：/kit a <x> | /kit b"},
		{"周书记", false, "/kit a 1", `/kit a parent=kit sub="a" args=["1"] text="1"`},
		{"周书记", false, "/kit b", "只有管理员可以使用该命令。"},
	}
	for _, tt := range tests {
		if got := v.say(t, tt.who, tt.private, tt.text); got != tt.want {
			t.Errorf("%s (private %v): %q\n got %s\nwant %s", tt.who, tt.private, tt.text, got, tt.want)
		}
	}
}

// TestUnboundGroupOnlyAdmins: in a group bound to no unit a secretary of
// any unit holds no role there (a class monitor is no secretary of a
// stranger's group); only an admin does, and a command scoped to AnyUnit
// is checked by its handler as anywhere else.
func TestUnboundGroupOnlyAdmins(t *testing.T) {
	v := newSubEnv(t)
	say := func(who, text string) string {
		t.Helper()
		ctx := context.Background()
		v.e.Receive(ctx, bot.Message{Platform: "mem", ChatID: "散群", ChatKind: bot.Group, ChatTitle: "散群", SenderID: who, SenderName: who, Text: text})
		v.e.Flush(ctx)
		got := v.p.Take()
		if len(got) != 1 {
			t.Fatalf("%s: %q: %d answers", who, text, len(got))
		}
		return got[0].Text
	}
	unbound := bot.UnboundText(bot.RoleSecretary)
	for _, tt := range []struct{ who, text, want string }{
		{"周书记", "/meet open x", unbound},
		{"陈书记", "/kit a 1", unbound},
		{"路人", "/meet open x", unbound},
		{"王老师", "/meet open x", `/meet open parent=meet sub="open" args=["x"] text="x"`},
		{"周书记", "/meet plan 二支部", `/meet plan parent=meet sub="plan" args=["二支部"] text="二支部"`},
		{"周书记", "/meet note x", `/meet note parent=meet sub="note" args=["x"] text="x"`},
	} {
		if got := say(tt.who, tt.text); got != tt.want {
			t.Errorf("%s: %q\n got %s\nwant %s", tt.who, tt.text, got, tt.want)
		}
	}
}

// TestRunnablesAreTheMatrix: every form a caller can run, with its
// invocation and effective place; a command that is only its sub-commands
// is not one.
func TestRunnablesAreTheMatrix(t *testing.T) {
	v := newSubEnv(t)
	var got []string
	for _, s := range v.e.Runnables() {
		got = append(got, fmt.Sprintf("%s %s %d %d", s.Invocation(), s.Role, s.Scope, s.Where))
	}
	want := []string{
		"/meet member 0 0", "/meet open secretary 0 1", "/meet note member 0 0",
		"/meet plan secretary 1 0", "/meet vip member 0 0", "/kit a secretary 0 0", "/kit b admin 0 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("runnables:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	spec, _, ok := v.e.Resolve(bot.Command{Name: "开会"})
	if !ok || spec.Invocation() != "/meet open" || spec.Parent().Name != "meet" {
		t.Errorf("resolve 开会: %v %v", spec, ok)
	}
}

// A sub-command inherits its command's place where it names none, and its
// platform always.
func TestSubCommandsInheritPlaceAndPlatform(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	own := withCommands{memchat.New("side", bot.Capabilities{}), []bot.CommandSpec{{
		Name: "own", Where: bot.GroupOnly, Handler: ownCommand("").Handler,
		Subs: []bot.CommandSpec{{Name: "x", Flat: []string{"own_x"}, Handler: ownCommand("").Handler}},
	}}}
	if err := v.e.AddPlatform(own); err != nil {
		t.Fatal(err)
	}
	sub, ok := v.e.Lookup("own_x")
	if !ok || sub.Where != bot.GroupOnly || sub.Platform != "side" || sub.AppliesTo("mem") {
		t.Fatalf("sub-command %+v: want group-only on side", sub)
	}
}

func TestRegisterRejectsBadSubCommands(t *testing.T) {
	h := func(context.Context, *bot.Request) error { return nil }
	tests := []struct {
		name string
		spec bot.CommandSpec
		want string
	}{
		{"no handler at all", bot.CommandSpec{Name: "x"}, "no name or handler"},
		{"sub without handler", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a"}}}, "/x a has no handler"},
		{"sub of two words", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a b", Handler: h}}}, "not one word"},
		{"same word twice", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{
			{Name: "open", Handler: h}, {Name: "start", Aliases: []string{"ＯＰＥＮ"}, Handler: h}}}, "names both open and start"},
		{"nested", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a", Handler: h, Subs: []bot.CommandSpec{{Name: "b", Handler: h}}}}}, "only one level"},
		{"other place", bot.CommandSpec{Name: "x", Where: bot.GroupOnly, Subs: []bot.CommandSpec{{Name: "a", Where: bot.PrivateOnly, Handler: h}}}, "another kind of chat"},
		{"other platform", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a", Platform: "side", Handler: h}}}, "is for platform"},
		{"flat on a command", bot.CommandSpec{Name: "x", Flat: []string{"y"}, Handler: h}, "flat names are for sub-commands"},
		{"flat taken", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a", Flat: []string{"回声"}, Handler: h}}}, `"回声" already names /echo`},
		{"flat twice", bot.CommandSpec{Name: "x", Subs: []bot.CommandSpec{{Name: "a", Flat: []string{"x_a"}, Handler: h}, {Name: "b", Flat: []string{"x_a"}, Handler: h}}}, `"x_a" already names /x a`},
	}
	for _, tt := range tests {
		v := newEnv(t, "", bot.Limits{}, nil)
		err := v.e.Register(specs{tt.spec})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if _, ok := v.e.Lookup("x"); ok {
			t.Errorf("%s: a refused command was registered", tt.name)
		}
	}
}

// specs is a feature of given commands.
type specs []bot.CommandSpec

func (specs) Name() string                  { return "specs" }
func (s specs) Commands() []bot.CommandSpec { return s }
