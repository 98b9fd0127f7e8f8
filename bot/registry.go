package bot

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Where says in which kind of chat a command may be used.
type Where int

const (
	Anywhere Where = iota
	GroupOnly
	PrivateOnly
)

// Scope says for which unit the engine checks a command's Role.
type Scope int

const (
	// ChatUnit: the role for the chat's unit (a secretary of it or of a unit
	// above it). In a group bound to no unit only admins hold a role; in a
	// private chat the role for any unit, and the handler checks the units
	// it acts on (Request.Require), as for AnyUnit.
	ChatUnit Scope = iota
	// AnyUnit: the role for any unit. The handler checks the units it acts
	// on, which the command names (a broadcast's targets, a unit's
	// statistics), not the chat it is sent in.
	AnyUnit
)

// Audience narrows who may run a command beyond its Role, by a rule of the
// feature about the caller (the reviewers of a review chain). The engine
// checks it after Role, /help lists the command only to callers it admits,
// and a permission matrix asks it as it asks Role.
type Audience struct {
	Name   string            // who they are, in Chinese: "通知审核人"
	Admits func(Caller) bool // whether the caller is one of them
	Denial string            // the answer to anyone else, in Chinese
}

// Bare says when a command's Chinese names work without their slash in a
// group chat: the aliases of a command and the flat names of a sub-command;
// a sub-command reached by its word after a bare alias (签到 发起 …) needs
// both its command's rule and its own to allow it. In a
// private chat, in a message that mentions or answers the bot, and with the
// slash they always work. A message a rule keeps from running is ordinary
// chat: the bot says nothing and features that observe chat see it.
type Bare int

const (
	// BareAnywhere: the name cannot be ordinary speech (发起签到, 我是谁).
	BareAnywhere Bare = iota
	// BareInPrivate: sentences start with the word (建议, 学习, 通知), so in
	// a group it needs its slash (/建议 …); in a private chat it works bare.
	BareInPrivate
	// BareWhenExpected: bare in a group only when the feature expects it
	// (Spec.Expecting): 签到 while a check-in is open, 接龙 while a relay is.
	BareWhenExpected
)

// Expecting is a feature's hook for BareWhenExpected.
type Expecting struct {
	// When says in Chinese when the bare name works, for /help:
	// "本群有进行中的签到时".
	When string
	// Now reports whether the bare command line of r is expected now.
	Now func(ctx context.Context, r *Request) (bool, error)
}

// Handler runs one command. An error of type *UserError is shown to the
// caller as it is; any other error is logged and the caller is told that
// something went wrong.
type Handler func(ctx context.Context, r *Request) error

// CommandSpec describes one command, or one sub-command of a command, for
// dispatch, /help, platform menus and the permission matrix.
//
// A command's sub-commands are named by the first word after it
// (/checkin open, 签到 结束); each declares its own role, place, usage and
// handler, and the engine checks them as it checks a command's before it
// calls the sub-command's handler with the remaining arguments. The
// command's own Role, Usage and Handler are those of its form without a
// sub-command word (/checkin 4827).
type CommandSpec struct {
	// Name is the English slash name, lower case: "checkin"; of a
	// sub-command, its word: "open".
	Name string
	// Aliases of a command are Chinese names usable with or without a slash
	// ("签到", "到"); of a sub-command, other words for it after the command
	// ("发起").
	Aliases []string
	Summary string // one Chinese line for /help and menus
	Usage   string // Chinese usage line of this form alone, e.g. "/checkin open <主题> [时长] [code=口令]"
	Help    string // longer Chinese help with examples, for /help <command>
	// Instead is what a caller the command refuses may want instead, in
	// Chinese, added to the refusal: /ticket is for staff, a member looking
	// at their own suggestion wants /mytickets.
	Instead string
	// Role is the least role the caller must hold, for the unit Scope
	// names. A sub-command's Role is its own: it is not taken from the
	// command (/broadcast status is open to reviewers, drafting is not).
	Role     Role
	Scope    Scope
	Audience *Audience
	// Where: a sub-command left at Anywhere takes its command's.
	Where Where
	// Bare says when the form's Chinese names work without a slash in a
	// group, and Expecting when the feature expects them (for
	// BareWhenExpected). Each form decides for its own names (a command
	// for its aliases, a sub-command for its flat names).
	Bare      Bare
	Expecting *Expecting
	// Platform, if set, is the only platform whose chats have the command
	// (an adapter's own command, such as WeChat's /rebind); in any other
	// chat it is unknown, like a command that does not exist. Empty: every
	// platform. A sub-command always has its command's.
	Platform string
	// Handler runs the form. A command whose sub-commands are all it does
	// (/export checkin|relay) has none: without a sub-command word the
	// engine answers with the usage of the sub-commands the caller may run.
	Handler Handler
	// Subs are the sub-commands (one level: a sub-command has none).
	Subs []CommandSpec
	// Flat names reach a sub-command directly, as a command of its own with
	// all the arguments: "checkin_open" (for menus of platforms that take
	// [a-z0-9_] names only; needs its slash), "发起签到" (with or without).
	// They share the namespace of commands' names and aliases.
	Flat []string

	parent *CommandSpec // set at registration for a sub-command
}

// AppliesTo reports whether the command exists in chats of platform.
func (s CommandSpec) AppliesTo(platform string) bool {
	return s.Platform == "" || s.Platform == platform
}

// Parent is the command a registered sub-command belongs to; nil for a
// command.
func (s *CommandSpec) Parent() *CommandSpec { return s.parent }

// Invocation is how the form is called: "/checkin" or "/checkin open".
func (s *CommandSpec) Invocation() string {
	if s.parent != nil {
		return "/" + s.parent.Name + " " + s.Name
	}
	return "/" + s.Name
}

// Sub finds a sub-command by the word typed after the command, in any case
// and with full-width letters read as ASCII ("OPEN", "ｏｐｅｎ", "发起").
func (s *CommandSpec) Sub(word string) (*CommandSpec, bool) {
	w := foldWord(word)
	for i := range s.Subs {
		sub := &s.Subs[i]
		if foldWord(sub.Name) == w {
			return sub, true
		}
		for _, a := range sub.Aliases {
			if foldWord(a) == w {
				return sub, true
			}
		}
	}
	return nil, false
}

// FullUsage is the usage of the command's own form and of each of its
// sub-commands, separated by " | ".
func (s *CommandSpec) FullUsage() string {
	var us []string
	if s.Usage != "" {
		us = append(us, s.Usage)
	}
	for _, sub := range s.Subs {
		us = append(us, sub.Usage)
	}
	return strings.Join(us, " | ")
}

// foldWord reads a typed word for matching: full-width ASCII forms as ASCII,
// lower case.
func foldWord(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' {
			return r - '！' + '!'
		}
		return r
	}, s))
}

// Refusal is the answer to a caller who may not run s in chat: the wrong
// kind of chat, a missing role for the unit s's Scope names, or not in its
// Audience. It is "" when the caller may. Dispatch and /help both decide by
// it, for commands and sub-commands alike; the platform (AppliesTo) is
// checked before, as a command of another platform does not exist.
func Refusal(s *CommandSpec, chat Chat, c Caller, units *UnitTree) string {
	switch {
	case s.Where == GroupOnly && chat.Kind != Group:
		return s.Invocation() + " 只能在群里使用，请在相应的群里发送。"
	case s.Where == PrivateOnly && chat.Kind != Private:
		return s.Invocation() + " 只能在与机器人的私聊中使用，请私聊机器人发送。"
	}
	unit := chat.UnitID
	if s.Scope == AnyUnit {
		unit = 0
	}
	if s.Role != RoleMember && s.Scope == ChatUnit && chat.Kind == Group && chat.UnitID == 0 && !c.Admin {
		return UnboundText(s.Role)
	}
	if !c.Is(s.Role, unit, units) {
		return DenyText(s.Role, unit, c, units)
	}
	if s.Audience != nil && !s.Audience.Admits(c) {
		return s.Audience.Denial + linkHint(c)
	}
	return ""
}

// linkHint tells a caller without a roster link how to be recognised.
func linkHint(c Caller) string {
	if c.Roster == nil {
		return "如果你有该身份，请先绑定花名册。" + LinkHowTo
	}
	return ""
}

// Register adds a feature's commands. Names and aliases must be unique.
func (e *Engine) Register(f Feature) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.addCommands(f.Name(), f.Commands()); err != nil {
		return err
	}
	e.features = append(e.features, f)
	return nil
}

// addCommands adds commands to the registry, for /help in registration
// order and for dispatch by name, alias and sub-commands' flat names: all
// of them, or none if one is refused. Sub-commands get their parent, its
// platform, and its place unless they name their own. The caller holds
// e.mu.
func (e *Engine) addCommands(owner string, specs []CommandSpec) error {
	byName := map[string]*CommandSpec{}
	claim := func(n string, s *CommandSpec) error {
		key := strings.ToLower(n)
		prev, ok := e.byName[key]
		if !ok {
			prev, ok = byName[key]
		}
		if ok {
			return fmt.Errorf("register %s: %q already names %s", owner, n, prev.Invocation())
		}
		byName[key] = s
		return nil
	}
	longest := e.longestName
	added := make([]*CommandSpec, 0, len(specs))
	for _, c := range specs {
		spec := new(CommandSpec)
		*spec = c
		spec.parent = nil
		if spec.Name == "" || spec.Handler == nil && len(spec.Subs) == 0 {
			return fmt.Errorf("register %s: command %q has no name or handler", owner, spec.Name)
		}
		if len(spec.Flat) > 0 {
			return fmt.Errorf("register %s: /%s: flat names are for sub-commands; give a command aliases", owner, spec.Name)
		}
		if err := checkBare(spec); err != nil {
			return fmt.Errorf("register %s: %w", owner, err)
		}
		for _, n := range append([]string{spec.Name}, spec.Aliases...) {
			if err := claim(n, spec); err != nil {
				return err
			}
		}
		spec.Subs = append([]CommandSpec(nil), c.Subs...)
		words := map[string]string{}
		for i := range spec.Subs {
			sub := &spec.Subs[i]
			if err := adopt(spec, sub, words); err != nil {
				return fmt.Errorf("register %s: %w", owner, err)
			}
			for _, n := range sub.Flat {
				if err := claim(n, sub); err != nil {
					return err
				}
			}
		}
		added = append(added, spec)
	}
	for n := range byName {
		longest = max(longest, len(n))
	}
	maps.Copy(e.byName, byName)
	e.longestName = longest
	e.specs = append(e.specs, added...)
	return nil
}

// adopt makes sub a sub-command of parent, checking that it can be told
// apart from its siblings (words: folded word → sibling's name) and that its
// place and platform agree with its parent's.
func adopt(parent, sub *CommandSpec, words map[string]string) error {
	inv := "/" + parent.Name + " " + sub.Name
	switch {
	case sub.Name == "" || strings.IndexFunc(sub.Name, isSpace) >= 0:
		return fmt.Errorf("/%s has a sub-command %q that is not one word", parent.Name, sub.Name)
	case sub.Handler == nil:
		return fmt.Errorf("%s has no handler", inv)
	case len(sub.Subs) > 0:
		return fmt.Errorf("%s has sub-commands of its own; only one level is supported", inv)
	case sub.Platform != "" && sub.Platform != parent.Platform:
		return fmt.Errorf("%s is for platform %q, its command for %q", inv, sub.Platform, parent.Platform)
	case sub.Where != Anywhere && parent.Where != Anywhere && sub.Where != parent.Where:
		return fmt.Errorf("%s may be used in another kind of chat than /%s", inv, parent.Name)
	}
	if err := checkBare(sub); err != nil {
		return fmt.Errorf("%s: %w", inv, err)
	}
	for _, w := range append([]string{sub.Name}, sub.Aliases...) {
		k := foldWord(w)
		if prev, ok := words[k]; ok {
			return fmt.Errorf("/%s: the word %q names both %s and %s", parent.Name, w, prev, sub.Name)
		}
		words[k] = sub.Name
	}
	sub.Aliases = append([]string(nil), sub.Aliases...)
	sub.Flat = append([]string(nil), sub.Flat...)
	sub.Platform = parent.Platform
	if sub.Where == Anywhere {
		sub.Where = parent.Where
	}
	sub.parent = parent
	return nil
}

// checkBare refuses a BareWhenExpected form without its hook.
func checkBare(s *CommandSpec) error {
	if s.Bare == BareWhenExpected && (s.Expecting == nil || s.Expecting.Now == nil || s.Expecting.When == "") {
		return fmt.Errorf("%q is bare only when expected, but says neither when nor how to tell", s.Name)
	}
	return nil
}

// Commands lists every registered command in registration order, each with
// its sub-commands.
func (e *Engine) Commands() []CommandSpec {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]CommandSpec, len(e.specs))
	for i, s := range e.specs {
		out[i] = *s
	}
	return out
}

// Runnables lists everything a caller can run, in /help order: each
// command's own form (if it has a handler), then its sub-commands, each with
// its effective place, platform, role, scope and audience, and its
// Invocation. It is the registry's permission matrix.
func (e *Engine) Runnables() []CommandSpec {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []CommandSpec
	for _, s := range e.specs {
		if s.Handler != nil {
			out = append(out, *s)
		}
		out = append(out, s.Subs...)
	}
	return out
}

// Lookup finds a command by name or alias (with or without slash), or a
// sub-command by one of its flat names.
func (e *Engine) Lookup(name string) (*CommandSpec, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.byName[strings.ToLower(strings.TrimLeft(name, "/／"))]
	return s, ok
}

// Resolve finds what a parsed command line runs: the command its word names
// (or the sub-command a flat name names), then, for a command with
// sub-commands, the sub-command its first argument names. It returns the
// command line as the handler sees it: without the sub-command word in Args
// and ArgText, which is kept in Sub.
//
// A word that names no command but starts with a name and goes on in
// another kind of character (签到4827, 签到😀, +1带相机) is that name followed
// by an argument: phones often leave out the space. A name of ASCII letters
// takes a glued argument only after its slash (/suggest食堂太贵, /help签到):
// bare, an English word glued to Chinese is speech. A Chinese name
// glued to more Chinese text (发起接龙周日植树) is read so only where the line
// is said to the bot (see ResolveSaidToBot): in a group, 结束接龙了吗 or
// 我的建议是… is speech.
func (e *Engine) Resolve(cmd Command) (*CommandSpec, Command, bool) {
	return e.resolve(cmd, false)
}

// ResolveSaidToBot is Resolve for a line that is certainly meant for the bot
// (a slash command, a private chat, a message that mentions the bot): a
// Chinese name may be glued to Chinese text as well (/发起接龙周日植树).
func (e *Engine) ResolveSaidToBot(cmd Command) (*CommandSpec, Command, bool) {
	return e.resolve(cmd, true)
}

func (e *Engine) resolve(cmd Command, saidToBot bool) (*CommandSpec, Command, bool) {
	spec, ok := e.Lookup(cmd.Name)
	if !ok {
		if spec, ok = e.unglue(&cmd, saidToBot); !ok {
			return nil, cmd, false
		}
	}
	cmd.Args = trimMarks(cmd.Args) // 结束接龙。, 请假名单！
	if len(spec.Subs) > 0 && len(cmd.Args) > 0 {
		if sub, ok := spec.Sub(cmd.Args[0]); ok {
			cmd.Sub = foldWord(cmd.Args[0])
			cmd.Args = cmd.Args[1:]
			cmd.ArgText = afterFirstArg(cmd.ArgText)
			return sub, cmd, true
		}
		// A phone's separator after the sub-command word (匿名：内容,
		// open，主题党日) ends the word as a space would.
		first := cmd.Args[0]
		if i := strings.IndexFunc(first, isNameSeparator); i > 0 && strings.HasPrefix(cmd.ArgText, first) {
			if sub, ok := spec.Sub(first[:i]); ok {
				cmd.Sub = foldWord(first[:i])
				cmd.ArgText = strings.TrimFunc(strings.TrimLeftFunc(cmd.ArgText[i:], func(r rune) bool { return isSpace(r) || isNameSeparator(r) }), isSpace)
				cmd.Args = SplitArgs(cmd.ArgText)
				return sub, cmd, true
			}
		}
		// Marks ending the line after the sub-command word (/relay list！).
		if w := strings.TrimRightFunc(first, notWordRune); len(cmd.Args) == 1 && w != "" && w != first {
			if sub, ok := spec.Sub(w); ok {
				cmd.Sub, cmd.Args, cmd.ArgText = foldWord(w), nil, ""
				return sub, cmd, true
			}
		}
	}
	return spec, cmd, true
}

// unglue finds the longest name that starts cmd's word where the rest of
// the word begins with another kind of character, and makes that rest the
// first argument.
//
// With hanToHan, a Chinese name may be followed by Chinese text as well.
func (e *Engine) unglue(cmd *Command, hanToHan bool) (*CommandSpec, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	word := cmd.Word
	for i := min(len(word)-1, e.longestName); i > 0; i-- {
		if !utf8.RuneStart(word[i]) {
			continue
		}
		name, rest := word[:i], word[i:]
		spec, ok := e.byName[strings.ToLower(name)]
		if !ok || asciiLetters(name) && !cmd.Slash {
			continue
		}
		last, _ := utf8.DecodeLastRuneInString(name)
		first, _ := utf8.DecodeRuneInString(rest)
		if k := charKind(last); k == charKind(first) && !(hanToHan && k == kindHan) {
			continue
		}
		cmd.Name, cmd.Word = strings.ToLower(name), name
		cmd.ArgText = strings.TrimFunc(rest+" "+cmd.ArgText, isSpace)
		cmd.Args = SplitArgs(cmd.ArgText)
		return spec, true
	}
	return nil, false
}

// charKind tells Chinese characters, ASCII letters and digits, and anything
// else (emoji, punctuation) apart, for unglue.
func charKind(r rune) int {
	switch {
	case unicode.Is(unicode.Han, r):
		return kindHan
	case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		return kindASCII
	}
	return kindOther
}

// The kinds of character charKind tells apart.
const (
	kindHan = iota + 1
	kindASCII
	kindOther
)

func asciiLetters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}
