package commands_test

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// allFeatures builds every feature as the program does, for a harness
// (which registers core itself).
func allFeatures(t testing.TB) func(h *commandtest.Harness) []bot.Feature {
	return func(h *commandtest.Harness) []bot.Feature {
		cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := commands.Features(commands.Deps{Engine: h.Engine, DB: h.DB, Config: h.Config, Calendar: cal, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(fs, func(f bot.Feature) bool { return f.Name() == "core" })
	}
}

// TestHelpTranscripts: /help, with every feature registered, lists what
// the caller may run here, sub-commands included.
func TestHelpTranscripts(t *testing.T) {
	commandtest.RunFiles(t, "testdata/*.txtar", commandtest.Options{Features: allFeatures(t)})
}

// TestSubCommandsAreInTheRegistry fails when a feature dispatches a
// sub-command word itself instead of declaring a sub-command: the usage of
// every form the registry can run must reach that form, and a literal word
// right after the command in a usage ("/study list") must be a sub-command
// the engine resolves, not an argument a handler reads. Every other name of
// a sub-command reaches it too, and no command is a flat copy of another's
// sub-command (/checkin_open beside /checkin).
func TestSubCommandsAreInTheRegistry(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: allFeatures(t)})
	e := h.Engine
	reaches := func(line string, want *bot.CommandSpec) {
		t.Helper()
		cmd, ok := bot.ParseCommand(line)
		if !ok {
			t.Errorf("%s: %q is no command line", want.Invocation(), line)
			return
		}
		got, rest, ok := e.Resolve(cmd)
		switch {
		case !ok:
			t.Errorf("%s: %q names no command", want.Invocation(), line)
		case got.Invocation() != want.Invocation():
			t.Errorf("%q reaches %s, not %s", line, got.Invocation(), want.Invocation())
		case len(rest.Args) > 0 && literal(rest.Args[0]):
			t.Errorf("%s: in %q the word %q is an argument of its handler: declare a sub-command for it", want.Invocation(), line, rest.Args[0])
		}
	}
	for _, s := range e.Runnables() {
		if s.Usage == "" || s.Summary == "" {
			t.Errorf("%s has no usage or summary", s.Invocation())
			continue
		}
		reaches(s.Usage, &s)
		// English words after a command in the help's examples are
		// sub-commands too (/broadcast status 3).
		for _, m := range exampleRE.FindAllStringSubmatch(s.Help, -1) {
			if c, ok := bot.ParseCommand(m[0]); ok {
				if _, rest, ok := e.Resolve(c); ok && len(rest.Args) > 0 && rest.Args[0] == m[1] {
					t.Errorf("%s: the help's %q uses %q as a sub-command, which the registry does not have", s.Invocation(), m[0], m[1])
				}
			}
		}
		if p := s.Parent(); p != nil {
			for _, a := range s.Aliases {
				reaches("/"+p.Name+" "+a, &s)
			}
			for _, n := range s.Flat {
				reaches("/"+n, &s)
			}
		}
	}
	for _, c := range e.Commands() {
		if before, _, ok := strings.Cut(c.Name, "_"); ok {
			if p, found := e.Lookup(before); found && p.Parent() == nil {
				t.Errorf("/%s is a command of its own beside /%s: make it a flat name of a sub-command of /%s", c.Name, before, before)
			}
		}
	}
}

// exampleRE finds a command followed by an English word in a help text.
var exampleRE = regexp.MustCompile(`/[a-z_]+[ \x{3000}]+([A-Za-z][A-Za-z_-]*)`)

// literal reports a word of a usage line that is typed as it stands (a
// sub-command word), not a placeholder such as <编号>, [口令] or key=value.
func literal(w string) bool {
	for _, r := range w {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return false
		}
	}
	return w != ""
}

// TestCommandMatrix keeps the registry's permission matrix in
// testdata/commands.golden: every form a caller can run, with its other
// names, role, the unit the role is checked for, audience, place, platform,
// and when its Chinese names work without a slash in a group (bare). A
// change to who may run what, or to what ordinary chat may set off, shows up
// there for review.
func TestCommandMatrix(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: allFeatures(t)})
	var b strings.Builder
	b.WriteString("# form\tother names\trole\tunit\taudience\tplace\tplatform\tbare in groups\n")
	for _, s := range h.Engine.Runnables() {
		names := slices.Clone(s.Aliases)
		if p := s.Parent(); p != nil {
			names = slices.Clone(s.Flat)
			for _, a := range s.Aliases {
				names = append(names, "/"+p.Name+" "+a)
			}
		}
		scope := map[bot.Scope]string{bot.ChatUnit: "chat's", bot.AnyUnit: "any"}[s.Scope]
		if s.Role == bot.RoleMember {
			scope = "-"
		}
		audience := "-"
		if s.Audience != nil {
			audience = s.Audience.Name
		}
		place := map[bot.Where]string{bot.Anywhere: "anywhere", bot.GroupOnly: "group", bot.PrivateOnly: "private"}[s.Where]
		platform := s.Platform
		if platform == "" {
			platform = "all"
		}
		bare := map[bot.Bare]string{bot.BareAnywhere: "yes", bot.BareInPrivate: "no (slash)"}[s.Bare]
		if s.Bare == bot.BareWhenExpected {
			bare = "when " + s.Expecting.When
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Invocation(), strings.Join(names, "、"), s.Role, scope, audience, place, platform, bare)
	}
	commandtest.Golden(t, "testdata/commands.golden", b.String())
}
