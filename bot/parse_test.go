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
		{"/help", Command{Name: "help", Word: "help", Slash: true, Args: nil}, true},
		{"/HELP@BranchBot checkin", Command{Name: "help", Word: "HELP", Slash: true, Bot: "BranchBot", Args: []string{"checkin"}, ArgText: "checkin"}, true},
		{"帮助", Command{Name: "帮助", Word: "帮助"}, true},
		{"/帮助", Command{Name: "帮助", Word: "帮助", Slash: true}, true},
		{"  签到 4827 ", Command{Name: "签到", Word: "签到", Args: []string{"4827"}, ArgText: "4827"}, true},
		// Phones put a Chinese mark where a space belongs.
		{"签到：4827", Command{Name: "签到", Word: "签到", Args: []string{"4827"}, ArgText: "4827"}, true},
		{"签到，4827", Command{Name: "签到", Word: "签到", Args: []string{"4827"}, ArgText: "4827"}, true},
		{"签到、 4827", Command{Name: "签到", Word: "签到", Args: []string{"4827"}, ArgText: "4827"}, true},
		{"签到:", Command{Name: "签到", Word: "签到"}, true},
		{"/checkin@Bot：4827", Command{Name: "checkin", Word: "checkin", Slash: true, Bot: "Bot", Args: []string{"4827"}, ArgText: "4827"}, true},
		{"/relay “周六 志愿服务” limit=20", Command{Name: "relay", Word: "relay", Slash: true, Args: []string{"周六 志愿服务", "limit=20"}, ArgText: "“周六 志愿服务” limit=20"}, true},
		{`/x "a b" 'c d' e`, Command{Name: "x", Word: "x", Slash: true, Args: []string{"a b", "c d", "e"}, ArgText: `"a b" 'c d' e`}, true},
		// Only balanced quotes group words: one that does not open a word,
		// or whose closing quote does not end one, is text.
		{"/x “unterminated rest", Command{Name: "x", Word: "x", Slash: true, Args: []string{"“unterminated", "rest"}, ArgText: "“unterminated rest"}, true},
		{"/relay Tom's 生日会 limit=2", Command{Name: "relay", Word: "relay", Slash: true, Args: []string{"Tom's", "生日会", "limit=2"}, ArgText: "Tom's 生日会 limit=2"}, true},
		{"/checkin open 支部'大会 30m code=1234", Command{Name: "checkin", Word: "checkin", Slash: true, Args: []string{"open", "支部'大会", "30m", "code=1234"}, ArgText: "open 支部'大会 30m code=1234"}, true},
		{"/join I'm late", Command{Name: "join", Word: "join", Slash: true, Args: []string{"I'm", "late"}, ArgText: "I'm late"}, true},
		{"/relay 'Tom's party' limit=2", Command{Name: "relay", Word: "relay", Slash: true, Args: []string{"Tom's party", "limit=2"}, ArgText: "'Tom's party' limit=2"}, true},
		{"/suggest 「食堂 太挤」 『晚上』", Command{Name: "suggest", Word: "suggest", Slash: true, Args: []string{"食堂 太挤", "晚上"}, ArgText: "「食堂 太挤」 『晚上』"}, true},
		{"/join 我带“相机”", Command{Name: "join", Word: "join", Slash: true, Args: []string{"我带“相机”"}, ArgText: "我带“相机”"}, true},
		{`/x a\ b`, Command{Name: "x", Word: "x", Slash: true, Args: []string{`a\`, "b"}, ArgText: `a\ b`}, true},
		{"", Command{}, false},
		{"   \u3000 ", Command{}, false},
		{"/", Command{}, false},
		{"/@bot", Command{}, false},
		{"：4827", Command{}, false},
		{"“引号开头”", Command{}, false},
		{"+1 我来", Command{Name: "+1", Word: "+1", Args: []string{"我来"}, ArgText: "我来"}, true},
		{"+1，我来", Command{Name: "+1", Word: "+1", Args: []string{"我来"}, ArgText: "我来"}, true},
		{"\xff\xfe", Command{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseCommand(tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCommand(%q) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"签到 ４８２７": "签到 4827",
		"＋１":      "+1",
		"／ｃｈｅｃｋｉｎ　ＯＰＥＮ":        "/checkin OPEN",
		"limit＝２ ＃１ ＠Ｂｏｔ －５ｍ":  "limit=2 #1 @Bot -5m",
		"＂a b＂ ＇c＇":            `"a b" 'c'`,
		"好的，明天见！（会议室）：三楼；对吗？～": "好的，明天见！（会议室）：三楼；对吗？～",
		"全角１２：３０":              "全角12：30",
		"plain text 没有全角":      "plain text 没有全角",
	}
	for in, want := range tests {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAfterFirstArg(t *testing.T) {
	tests := map[string]string{
		"open 主题党日 30m":      "主题党日 30m",
		"open":               "",
		"open\u3000 x":       "x",
		`"op en" x`:          "x",
		"「op en」 『y』 z":      "『y』 z",
		`"" x`:               "x",
		"“unterminated rest": "rest",
		"Tom's x":            "x",
	}
	for in, want := range tests {
		if got := afterFirstArg(in); got != want {
			t.Errorf("afterFirstArg(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitOptions(t *testing.T) {
	pos, opts := SplitOptions([]string{"主题党日", "30m", "code=4827", "LIMIT=20", "a=b=c", "中文=x"})
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
	for _, s := range []string{"/help", "/help@Bot x", "签到 4827", "签到：4827", "/relay “a b” limit=3", "「x」", "\\", "/x 'a", "+1", "/relay Tom's 'a b' c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := Normalize(s); Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q is not normal", s, n)
		}
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
