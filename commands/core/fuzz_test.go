package core

import (
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot"
)

// FuzzParseIAm: whatever follows /iam is read as number, name and code or
// refused; a code read is always a well-formed code.
func FuzzParseIAm(f *testing.F) {
	for _, s := range []string{"2023001 张三", "2023001 张三 K7QM-4XPA", "T0007 周书记 ｋ７ｑｍ－４ｘｐａ", "1 欧阳 娜娜", "x", "", "a b c d e", "1 2 ABCD EFGH"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in, ok := ParseIAm(bot.SplitArgs(s))
		if !ok {
			return
		}
		if in.Number == "" || in.Name == "" {
			t.Fatalf("ParseIAm(%q) = %+v", s, in)
		}
		if in.Code != "" && (len(in.Code) != codeLen || strings.Trim(in.Code, codeAlphabet) != "" || NormalizeCode(in.Code) != in.Code) {
			t.Fatalf("ParseIAm(%q): code %q", s, in.Code)
		}
	})
}
