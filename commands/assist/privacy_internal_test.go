package assist

import (
	"strings"
	"testing"
)

func TestRedactorEdgeCases(t *testing.T) {
	people := []PrivacyPerson{
		{RosterID: 1, Name: "王五", Number: "2023003"},
		{RosterID: 2, Name: "王五一", Number: "2023013", Aliases: []string{"五一"}},
		{MemberID: 9, Name: "a"}, // too short to redact
	}
	tests := []struct{ in, want string }{
		// Longest name wins; a person's alias shares their placeholder.
		{"王五一和王五，还有五一", "[成员1]和[成员2]，还有[成员1]"},
		{"学号2023003、2023013", "学号[编号1]、[编号2]"},
		// An ID number is not read as a phone; digits inside longer runs are left.
		{"证件 11010519491231002x", "证件 [证件1]"},
		{"单号 13812345678901 不是手机", "单号 13812345678901 不是手机"},
		{"电话 (+86)13812345678、138-1234-5678", "电话 (+86)[电话1]、[电话1]"},
		// Sentinels typed by a user are dropped; placeholder-like text is defused.
		{"\uE0000\uE001 【成员1】 [编号 2]", "0 ［成员1］ ［编号 2］"},
		{"a cat", "a cat"},
		// Typed with a Chinese keyboard in full-width mode; Chinese
		// punctuation stays.
		{"电话１３７１２３４５６７８，学号２０２３００３。", "电话[电话1]，学号[编号1]。"},
		{"身份证１１０１０５１９４９１２３１００２Ｘ", "身份证[证件1]"},
		{"手机 １３８　１２３４　５６７８", "手机 [电话1]"},
		// Numbers written with dots or spaces.
		{"138.1234.5678 或 138 1234 5678", "[电话1] 或 [电话1]"},
		{"110105 19491231 002X", "[证件1]"},
		{"1101 0519 4912 3100 2x", "[证件1]"},
		// A 15-digit ID number of the old kind; not any 15 digits.
		{"旧身份证 110105491231002", "旧身份证 [证件1]"},
		{"订单 123456789012345", "订单 123456789012345"},
		{"流水 110105 99999999 0021", "流水 110105 99999999 0021"},
	}
	for _, tt := range tests {
		r := newRedactor(people, nil)
		if got := r.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	r := newRedactor(people, []string{"旧昵称"})
	red := r.Redact("旧昵称问王五")
	if red != "[成员1]问[成员2]" {
		t.Fatalf("extra names: %q", red)
	}
	if got := r.Restore("【成员2】回复了 [ 成员1 ]，[成员7] 不存在"); got != "王五回复了 旧昵称，[成员7] 不存在" {
		t.Fatalf("Restore = %q", got)
	}
	if p := r.Person("鹏"); p != "[成员3]" || r.Person("王五") != "[成员2]" || r.Person(" 王五 ") != "[成员2]" {
		t.Fatalf("Person = %q", p)
	}
	if got := r.Restore("[成员3]说"); got != "鹏说" {
		t.Fatalf("Restore = %q", got)
	}
	if strings.Contains(red, "王五") {
		t.Fatal("name leaked")
	}
}
