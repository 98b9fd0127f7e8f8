// Package core holds the commands every deployment has: /help, binding a
// group to a unit, and linking a chat identity to the roster.
package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

// Feature is the core command set.
type Feature struct {
	engine *bot.Engine
	db     Store
}

// New makes the core feature.
func New(e *bot.Engine, db Store) *Feature { return &Feature{engine: e, db: db} }

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
			Help:    "例：/bind 第一党支部\n只有管理员或该单位（及上级单位）的书记可以绑定。绑定后，签到、接龙统计和通知都按该单位的花名册进行。",
			Role:    bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
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
			Usage:   "/iam <学号/工号> <姓名>",
			Help:    "例：/iam 2023001 张三\n学号与姓名须与花名册一致；每个花名册身份在每个平台只能绑定一个账号。绑定错了请联系书记用 /unlink 解除。",
			// "我是 新来的张三" introduces oneself: slash in groups.
			Bare:    bot.BareInPrivate,
			Handler: f.iam,
		},
		{
			Name: "unlink", Aliases: []string{"解除绑定"},
			Summary: "解除某人的花名册绑定（书记）",
			Usage:   "/unlink <学号/工号>",
			Help:    "例：/unlink 2023001\n用于纠正错误的 /iam 绑定，只能解除本单位（含下级单位）成员的绑定。",
			Role:    bot.RoleSecretary, Bare: bot.BareInPrivate,
			Handler: f.unlink,
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
	if !r.Caller.Is(bot.RoleSecretary, u.ID, units) {
		return bot.Errorf("权限不足：只有管理员或「%s」及其上级单位的书记可以绑定。", u.Name)
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

func (f *Feature) iam(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) < 2 {
		return bot.Errorf("用法：/iam <学号/工号> <姓名>，例：/iam 2023001 张三")
	}
	number, name := args[0], strings.Join(args[1:], "")
	if r.Caller.Roster != nil {
		if r.Caller.Roster.Number == number {
			return r.ReplyMention(ctx, fmt.Sprintf("你已绑定为 %s（%s），无需重复绑定。", r.Caller.Roster.Name, number))
		}
		return bot.Errorf("你已绑定为 %s（%s）。如需更改，请联系书记用 /unlink 解除后再绑定。", r.Caller.Roster.Name, r.Caller.Roster.Number)
	}
	entry, err := f.db.RosterByNumber(ctx, number)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("花名册中没有学号/工号 %s，请检查后重试或联系书记。", number)
	}
	if err != nil {
		return err
	}
	if entry.Name != name {
		return bot.Errorf("学号/工号与姓名不符，请检查后重试。")
	}
	err = f.db.LinkMember(ctx, r.Caller.Member.ID, entry.ID, r.Now())
	if errors.Is(err, ErrLinked) {
		return bot.Errorf("该学号/工号已被本平台的另一个账号绑定。如有误，请联系书记用 /unlink %s 解除。", number)
	}
	if err != nil {
		return err
	}
	return r.ReplyMention(ctx, fmt.Sprintf("绑定成功：%s，%s，%s。", entry.Name, r.Units().Name(entry.UnitID), titleOr(entry)))
}

func titleOr(e bot.RosterEntry) string {
	if e.Title != "" {
		return e.Title
	}
	return e.Role.Chinese()
}

func (f *Feature) unlink(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) != 1 {
		return bot.Errorf("用法：/unlink <学号/工号>")
	}
	entry, err := f.db.RosterByNumber(ctx, r.Command.Args[0])
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("花名册中没有学号/工号 %s。", r.Command.Args[0])
	}
	if err != nil {
		return err
	}
	if !r.Caller.Is(bot.RoleSecretary, entry.UnitID, r.Units()) {
		return bot.Errorf("权限不足：%s 不属于你管理的单位。", entry.Number)
	}
	n, err := f.db.UnlinkRoster(ctx, entry.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return r.Reply(ctx, fmt.Sprintf("%s（%s）没有绑定任何账号。", entry.Name, entry.Number))
	}
	return r.Reply(ctx, fmt.Sprintf("已解除 %s（%s）的 %d 个账号绑定。", entry.Name, entry.Number, n))
}

func (f *Feature) whoami(ctx context.Context, r *bot.Request) error {
	c := r.Caller
	var lines []string
	if c.Roster == nil {
		lines = append(lines, fmt.Sprintf("你是 %s，尚未绑定花名册。发送 /iam <学号/工号> <姓名> 绑定。", c.Member.Name))
	} else {
		lines = append(lines, fmt.Sprintf("你是 %s（%s），%s，%s。", c.Roster.Name, c.Roster.Number, r.Units().Name(c.Roster.UnitID), titleOr(*c.Roster)))
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
