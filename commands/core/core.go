// Package core holds the commands every deployment has: /help, binding a
// group to a unit, and linking a chat identity to the roster with proof
// that the roster's person is the one typing (link codes, a secretary's
// approval), with notices and rate limits.
package core

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/configs"
)

// Options configure the core feature.
type Options struct {
	// Link is roster.link: code lifetime, approvals, attempt limits.
	Link configs.LinkConfig
	// Rand draws link codes and their salts; default crypto/rand.
	Rand io.Reader
}

// Feature is the core command set.
type Feature struct {
	engine *bot.Engine
	db     Store
	link   configs.LinkConfig
	rand   io.Reader
	log    *slog.Logger
}

// New makes the core feature. Zero options take the defaults of
// roster.link.
func New(e *bot.Engine, db Store, o Options) *Feature {
	l := o.Link
	if l.CodeTTL <= 0 {
		l.CodeTTL = 7 * 24 * time.Hour
	}
	if l.MaxFailures <= 0 {
		l.MaxFailures = 5
	}
	if l.MaxFailuresPerEntry <= 0 {
		l.MaxFailuresPerEntry = 10
	}
	if l.FailureWindow <= 0 {
		l.FailureWindow = time.Hour
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return &Feature{engine: e, db: db, link: l, rand: o.Rand, log: e.Logger().With("feature", "core")}
}

func (f *Feature) Name() string { return "core" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{
			Name: "help", Aliases: []string{"帮助", "菜单"},
			Summary: "查看可用命令",
			Usage:   "/help [命令]",
			Help:    "不带参数列出你可以使用的命令；/help 签到 查看某个命令的详细用法。",
			Bare:    bot.BareWhenExpected,
			Expecting: &bot.Expecting{When: "单独发送或后面跟命令名时", Now: func(_ context.Context, r *bot.Request) (bool, error) {
				return len(r.Command.Args) == 0 || f.names(r.Command.ArgText), nil
			}},
			Handler: f.help,
		},
		{
			Name: "bind", Aliases: []string{"绑定"},
			Summary: "把本群绑定到一个单位（支部、班级等）",
			Usage:   "/bind <单位名称>",
			Help: "例：/bind 第一党支部\n只有管理员或该单位（及上级单位）的书记可以绑定；改绑已绑定的群还须是原单位（及上级单位）的书记。" +
				"绑定后，签到、接龙统计和通知都按该单位的花名册进行。",
			// The handler checks the unit named and the unit the group is
			// bound to now: a group bound to no unit is where a secretary
			// binds it.
			Role: bot.RoleSecretary, Scope: bot.AnyUnit, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Handler: f.bind,
		},
		{
			Name: "unbind", Aliases: []string{"解绑"},
			Summary: "解除本群与单位的绑定",
			Usage:   "/unbind",
			Role:    bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Handler: f.unbind,
		},
		{
			Name: "iam", Aliases: []string{"我是"},
			Summary: "绑定花名册身份",
			Usage:   "/iam <学号/工号> <姓名> [绑定码]",
			Help: "例：/iam 2023001 张三 K7QM-4XPA\n学号、姓名须与花名册一致，绑定码由本单位书记发放（只能用一次，过期作废），最好私聊机器人发送。" +
				"普通成员没有绑定码时可只发送 /iam 2023001 张三，由本单位书记确认；书记、工作人员和管理员必须凭绑定码绑定。" +
				"每个花名册身份在每个平台只能绑定一个账号；凭绑定码绑定会替换该平台上原来绑定的账号。每次新绑定都会通知该身份已绑定的账号和本单位书记。",
			// "我是 新来的张三" introduces oneself: slash in groups.
			Bare:    bot.BareInPrivate,
			Handler: f.iam,
		},
		{
			Name: "unlink", Aliases: []string{"解除绑定"},
			Summary: "解除某人的花名册绑定（书记）",
			Usage:   "/unlink <学号/工号>",
			Help:    "例：/unlink 2023001\n用于纠正错误的绑定，只能解除本单位（含下级单位）成员的绑定；被解除的账号会收到私信通知。",
			Role:    bot.RoleSecretary, Scope: bot.AnyUnit, Bare: bot.BareInPrivate,
			Handler: f.unlink,
		},
		{
			Name: "links", Aliases: []string{"绑定管理"},
			Summary: "查看本单位的绑定情况和待确认的绑定申请（书记）",
			Usage:   "/links",
			Help: "列出你管理的单位有多少人已绑定、哪些是升级前仅凭学号姓名绑定（未经核实）的，以及等待确认的绑定申请。\n" +
				"确认：/links approve 3　拒绝：/links reject 3 不是本人　发绑定码：/linkcode 2023001（私聊）",
			Role: bot.RoleSecretary, Scope: bot.AnyUnit,
			Handler: f.links,
			Subs: []bot.CommandSpec{
				{
					Name: "approve", Aliases: []string{"同意", "确认"}, Flat: []string{"approve_link", "同意绑定"},
					Summary: "确认一条绑定申请",
					Usage:   "/links approve <编号>",
					Help:    "例：/links approve 3（或 /approve_link 3）\n只能确认本单位（含下级单位）普通成员的申请；请先核实申请人确是本人。",
					Role:    bot.RoleSecretary, Scope: bot.AnyUnit,
					Handler: f.approveLink,
				},
				{
					Name: "reject", Aliases: []string{"拒绝"}, Flat: []string{"reject_link", "拒绝绑定"},
					Summary: "拒绝一条绑定申请",
					Usage:   "/links reject <编号> [理由]",
					Help:    "例：/links reject 3 不是本人",
					Role:    bot.RoleSecretary, Scope: bot.AnyUnit,
					Handler: f.rejectLink,
				},
				{
					Name: "code", Aliases: []string{"绑定码"}, Flat: []string{"linkcode", "发绑定码"},
					Summary: "发放一次性绑定码（私聊）",
					Usage:   "/links code <学号/工号|单位>",
					Help: "例：/linkcode 2023001，或 /linkcode 第一党支部（该单位所有尚未绑定的人）\n" +
						"绑定码只发给你本人（私聊），只能使用一次，新码发出后旧码作废。请当面或私下交给本人，由本人发送 /iam <学号> <姓名> <绑定码>。" +
						"书记可为本单位（含下级单位）的普通成员和下级单位的书记、工作人员发码；管理员的绑定码只有管理员能发。" +
						"整个单位的绑定码单也可以在服务器上用 branchbot roster codes --unit <单位> 生成。",
					Role: bot.RoleSecretary, Scope: bot.AnyUnit, Where: bot.PrivateOnly,
					Handler: f.issueCodes,
				},
			},
		},
		{
			Name: "unlinked", Aliases: []string{"未绑定"},
			Summary: "列出本群中没有绑定花名册的群成员（书记）",
			Usage:   "/unlinked",
			Help: "按平台的群成员列表（QQ 群）列出本群中尚未绑定花名册的人，便于提醒他们绑定。" +
				"只在能列出群成员的平台上可用；其他平台请用 /links 查看花名册的绑定情况。",
			// "未绑定的同学请……" is a sentence: slash in groups.
			Role: bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Handler: f.unlinked,
		},
		{
			Name: "whoami", Aliases: []string{"我是谁"},
			Summary: "查看自己的身份和权限",
			Usage:   "/whoami",
			Handler: f.whoami,
		},
	}
}

// names reports whether text names a command (/help 签到).
func (f *Feature) names(text string) bool {
	cmd, ok := bot.ParseCommand(text)
	if ok {
		_, _, ok = f.engine.Resolve(cmd)
	}
	return ok
}

func (f *Feature) help(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) > 0 {
		name := r.Command.Args[0]
		cmd, ok := bot.ParseCommand(r.Command.ArgText)
		var spec *bot.CommandSpec
		if ok {
			spec, _, ok = f.engine.Resolve(cmd)
		}
		if !ok || !spec.AppliesTo(r.Chat.Platform) {
			return bot.Errorf("没有「%s」这个命令。发送 /help 查看可用命令。", name)
		}
		return r.Reply(ctx, Describe(r, spec))
	}
	var lines []string
	lines = append(lines, "你可以使用的命令：")
	for _, s := range f.engine.Runnables() {
		if r.May(&s) {
			lines = append(lines, fmt.Sprintf("%s%s — %s", s.Invocation(), nameText(&s, false), s.Summary))
		}
	}
	lines = append(lines, "发送 /help <命令> 查看详细用法和示例。")
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

// nameText is the other names of a form in brackets: a command's aliases;
// a sub-command's flat names that need no slash, and with all, its other
// words after the command.
func nameText(s *bot.CommandSpec, all bool) string {
	names := s.Aliases
	if p := s.Parent(); p != nil {
		names = nil
		for _, n := range s.Flat {
			if !menuName(n) {
				names = append(names, n)
			}
		}
		if all {
			for _, a := range s.Aliases {
				names = append(names, "/"+p.Name+" "+a)
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "（" + strings.Join(names, "、") + "）"
}

// menuName reports a name made for menus that take [a-z0-9_] only
// ("checkin_open"): /help leaves it out, it is what the menu shows.
func menuName(n string) bool {
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return n != ""
}

// Describe is the full help of a command or sub-command for the caller of
// r: what it does, its usage, who may use it and where, its examples, and,
// for a command, the sub-commands the caller may run here.
func Describe(r *bot.Request, s *bot.CommandSpec) string {
	lines := []string{fmt.Sprintf("%s%s — %s", s.Invocation(), nameText(s, true), s.Summary)}
	if s.Usage != "" {
		lines = append(lines, "用法："+s.Usage)
	}
	if s.Handler != nil {
		var who []string
		if s.Role != bot.RoleMember {
			who = append(who, s.Role.Chinese())
		}
		if s.Audience != nil {
			who = append(who, s.Audience.Name)
		}
		if len(who) > 0 {
			lines = append(lines, "权限："+strings.Join(who, "，"))
		}
	}
	switch s.Where {
	case bot.GroupOnly:
		lines = append(lines, "只能在群里使用。")
	case bot.PrivateOnly:
		lines = append(lines, "只能在私聊中使用。")
	}
	if b := bareText(s); b != "" {
		lines = append(lines, b)
	}
	if s.Help != "" {
		lines = append(lines, s.Help)
	}
	var subs []string
	for i := range s.Subs {
		sub := &s.Subs[i]
		if r.May(sub) {
			subs = append(subs, fmt.Sprintf("%s%s — %s", sub.Usage, nameText(sub, false), sub.Summary))
		}
	}
	if len(subs) > 0 {
		lines = append(lines, "子命令：")
		lines = append(lines, subs...)
		lines = append(lines, fmt.Sprintf("发送 /help %s <子命令> 查看子命令的详细用法。", s.Name))
	}
	return strings.Join(lines, "\n")
}

// bareText says when the form's Chinese names work without a slash in a
// group (its Bare rule), or "" when always.
func bareText(s *bot.CommandSpec) string {
	names := s.Aliases
	if s.Parent() != nil {
		names = nil
		for _, n := range s.Flat {
			if !menuName(n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 || s.Where == bot.PrivateOnly {
		return ""
	}
	quoted := "「" + strings.Join(names, "」「") + "」"
	switch s.Bare {
	case bot.BareInPrivate:
		if s.Where == bot.GroupOnly {
			return fmt.Sprintf("发送时须带斜杠：/%s …", names[0])
		}
		return fmt.Sprintf("在群里须带斜杠，如「/%s …」，以免把日常聊天当成命令；私聊中可以直接发送%s。", names[0], quoted)
	case bot.BareWhenExpected:
		return fmt.Sprintf("在群里，不带斜杠的%s只在%s有效；其他时候请带斜杠，如「/%s」。", quoted, s.Expecting.When, names[0])
	}
	return ""
}

func (f *Feature) bind(ctx context.Context, r *bot.Request) error {
	name := strings.TrimSpace(r.Command.ArgText)
	if name == "" {
		return bot.Errorf("用法：/bind <单位名称>，例：/bind 第一党支部")
	}
	units := r.Units()
	u, ok := units.ByName(strings.Join(r.Command.Args, " "))
	if !ok {
		u, ok = units.ByName(name)
	}
	if !ok {
		var names []string
		for _, u := range units.All() {
			names = append(names, u.Name)
		}
		return bot.Errorf("找不到单位「%s」。现有单位：%s", name, strings.Join(names, "、"))
	}
	if err := r.Require(bot.RoleSecretary, u.ID); err != nil {
		return err
	}
	if r.Chat.UnitID != 0 {
		// Moving a group away from its unit is that unit's decision too.
		if err := r.Require(bot.RoleSecretary, r.Chat.UnitID); err != nil {
			return err
		}
	}
	if r.Chat.UnitID == u.ID {
		return r.Reply(ctx, fmt.Sprintf("本群已经绑定到「%s」。", u.Name))
	}
	if err := f.db.BindChat(ctx, r.Chat.ID, u.ID); err != nil {
		return err
	}
	msg := fmt.Sprintf("已将本群绑定到「%s」。", u.Name)
	if r.Chat.UnitID != 0 {
		msg = fmt.Sprintf("已将本群从「%s」改绑到「%s」。", units.Name(r.Chat.UnitID), u.Name)
	}
	return r.Reply(ctx, msg)
}

func (f *Feature) unbind(ctx context.Context, r *bot.Request) error {
	if r.Chat.UnitID == 0 {
		return r.Reply(ctx, "本群尚未绑定单位。")
	}
	name := r.Units().Name(r.Chat.UnitID)
	if err := f.db.BindChat(ctx, r.Chat.ID, 0); err != nil {
		return err
	}
	return r.Reply(ctx, fmt.Sprintf("已解除本群与「%s」的绑定。", name))
}

func titleOr(e bot.RosterEntry) string { return roleTitle(e) }

func (f *Feature) whoami(ctx context.Context, r *bot.Request) error {
	c := r.Caller
	var lines []string
	if c.Roster == nil {
		pending, err := f.db.PendingLinkRequestOf(ctx, c.Member.ID)
		switch {
		case err == nil:
			line := fmt.Sprintf("你是 %s，尚未绑定花名册：你的绑定申请 #%d 正在等待书记确认。", c.Member.Name, pending.ID)
			if e, err := f.db.RosterEntry(ctx, pending.RosterID); err == nil {
				line = fmt.Sprintf("你是 %s，尚未绑定花名册：绑定申请 #%d（%s，%s）正在等待书记确认；也可以向书记索取绑定码，发送 /iam %s %s <绑定码> 立即绑定。",
					c.Member.Name, pending.ID, e.Name, e.Number, e.Number, e.Name)
			}
			lines = append(lines, line)
		case errors.Is(err, bot.ErrNotFound):
			lines = append(lines, fmt.Sprintf("你是 %s，尚未绑定花名册。%s", c.Member.Name, bot.LinkHowTo))
		default:
			return err
		}
	} else {
		lines = append(lines, fmt.Sprintf("你是 %s（%s），%s，%s%s。", c.Roster.Name, c.Roster.Number, r.Units().Name(c.Roster.UnitID), titleOr(*c.Roster), f.howLinked(ctx, c)))
	}
	if c.Admin {
		lines = append(lines, "你是管理员。")
	}
	if r.Chat.Kind == bot.Group {
		if r.Chat.UnitID == 0 {
			lines = append(lines, "本群尚未绑定单位。")
		} else {
			lines = append(lines, fmt.Sprintf("本群绑定在「%s」。", r.Units().Name(r.Chat.UnitID)))
		}
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}
