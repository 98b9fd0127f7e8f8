package bot

import (
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
		ok   bool
	}{
		{"/help", Command{Name: "help", Slash: true, Args: nil}, true},
		{"/HELP@BranchBot checkin", Command{Name: "help", Slash: true, Bot: "BranchBot", Args: []string{"checkin"}, ArgText: "checkin"}, true},
		{"帮助", Command{Name: "帮助"}, true},
		{"/帮助", Command{Name: "帮助", Slash: true}, true},
		{"／帮助　签到", Command{Name: "帮助", Slash: true, Args: []string{"签到"}, ArgText: "签到"}, true},
		{"  签到 4827 ", Command{Name: "签到", Args: []string{"4827"}, ArgText: "4827"}, true},
		{"/relay “周六 志愿服务” limit=20", Command{Name: "relay", Slash: true, Args: []string{"周六 志愿服务", "limit=20"}, ArgText: "“周六 志愿服务” limit=20"}, true},
		{"/suggest 「食堂 太挤」『晚上』", Command{Name: "suggest", Slash: true, Args: []string{"食堂 太挤晚上"}, ArgText: "「食堂 太挤」『晚上』"}, true},
		{`/x "a b" 'c d' e\ f`, Command{Name: "x", Slash: true, Args: []string{"a b", "c d", "e f"}, ArgText: `"a b" 'c d' e\ f`}, true},
		{"/x “unterminated rest", Command{Name: "x", Slash: true, Args: []string{"unterminated rest"}, ArgText: "“unterminated rest"}, true},
		{"/checkin＠OtherBot", Command{Name: "checkin", Slash: true, Bot: "OtherBot"}, true},
		{"", Command{}, false},
		{"   \u3000 ", Command{}, false},
		{"/", Command{}, false},
		{"/@bot", Command{}, false},
		{"“引号开头”", Command{}, false},
		{"+1 我来", Command{Name: "+1", Args: []string{"我来"}, ArgText: "我来"}, true},
		{"\xff\xfe", Command{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCommand(%q) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAfterFirstArg(t *testing.T) {
	tests := map[string]string{
		"open 主题党日 30m":      "主题党日 30m",
		"open":               "",
		"open\u3000 x":       "x",
		`"op en" x`:          "x",
		"「op en」『y』 z":       "z",
		`op\ en x`:           "x",
		`"" x`:               "x",
		"“unterminated rest": "",
	}
	for in, want := range tests {
		if got := afterFirstArg(in); got != want {
			t.Errorf("afterFirstArg(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitOptions(t *testing.T) {
	pos, opts := SplitOptions([]string{"主题党日", "30m", "code=4827", "LIMIT＝20", "a=b=c", "中文=x"})
	if !reflect.DeepEqual(pos, []string{"主题党日", "30m", "中文=x"}) {
		t.Errorf("positional = %q", pos)
	}
	if !reflect.DeepEqual(opts, map[string]string{"code": "4827", "limit": "20", "a": "b=c"}) {
		t.Errorf("opts = %q", opts)
	}
}

// FuzzParseCommand checks the parser's invariants on any input: it never
// panics, names are lower-case and non-empty, arguments never contain the
// separators they were split on unless quoted, and the argument text is a
// suffix of the input.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/help", "/help@Bot x", "签到 4827", "／帮助　签到", "/relay “a b” limit=3", "「x」", "\\", "/x 'a", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCommand(s)
		if !ok {
			return
		}
		if c.Name == "" {
			t.Fatalf("empty name for %q", s)
		}
		if !utf8.ValidString(c.Name) {
			t.Fatalf("invalid utf8 name %q", c.Name)
		}
		if len(c.ArgText) > len(s) {
			t.Fatalf("ArgText longer than input: %q", s)
		}
		for _, a := range c.Args {
			if len(a) > len(c.ArgText) {
				t.Fatalf("arg %q longer than ArgText %q", a, c.ArgText)
			}
		}
		// What a sub-command's handler sees is the rest after the word.
		if len(c.Args) > 0 {
			if rest := SplitArgs(afterFirstArg(c.ArgText)); !slices.Equal(rest, c.Args[1:]) {
				t.Fatalf("after the first argument of %q: %q, want %q", s, rest, c.Args[1:])
			}
		}
		again, ok2 := ParseCommand(s)
		if !ok2 || !reflect.DeepEqual(again, c) {
			t.Fatalf("parse not deterministic for %q", s)
		}
	})
}
