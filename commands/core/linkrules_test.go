package core

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

func TestNormalizeCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"K7QM-4XPA", "K7QM4XPA"},
		{"k7qm4xpa", "K7QM4XPA"},
		{"Ｋ７ＱＭ－４ＸＰＡ", "K7QM4XPA"}, // typed with a Chinese keyboard in full-width mode
		{"K7QM 4XPA", "K7QM4XPA"},
		{"K7QM\u30004XPA", "K7QM4XPA"},
		{"K7QM—4XPA", "K7QM4XPA"},
		{"K7QM-4XP", ""},   // too short
		{"K7QM-4XPAA", ""}, // too long
		{"K0QM-4XPA", ""},  // 0 is not in the alphabet
		{"K7QM-4XPI", ""},  // nor I
		{"张三", ""},         // a name
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeCode(tt.in); got != tt.want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseIAm(t *testing.T) {
	tests := []struct {
		args []string
		want IAm
		ok   bool
	}{
		{[]string{"2023001", "张三"}, IAm{"2023001", "张三", ""}, true},
		{[]string{"2023001", "张三", "K7QM-4XPA"}, IAm{"2023001", "张三", "K7QM4XPA"}, true},
		{[]string{"2023001", "张三", "k7qm", "4xpa"}, IAm{"2023001", "张三", "K7QM4XPA"}, true},
		{[]string{"2023001", "欧阳", "娜娜"}, IAm{"2023001", "欧阳娜娜", ""}, true},
		{[]string{"2023001", "欧阳", "娜娜", "K7QM4XPA"}, IAm{"2023001", "欧阳娜娜", "K7QM4XPA"}, true},
		{[]string{"2023001", "K7QM4XPA"}, IAm{"2023001", "K7QM4XPA", ""}, true}, // a code alone is read as the name
		{[]string{"张三", "2023001"}, IAm{"2023001", "张三", ""}, true},             // name first, as people also type it
		{[]string{"欧阳", "娜娜", "2023001", "K7QM4XPA"}, IAm{"2023001", "欧阳娜娜", "K7QM4XPA"}, true},
		{[]string{"T0007", "周书记"}, IAm{"T0007", "周书记", ""}, true},
		{[]string{"张三", "李四"}, IAm{"张三", "李四", ""}, true}, // no number: left to the roster to refuse
		{[]string{"2023001"}, IAm{}, false},
		{nil, IAm{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseIAm(tt.args)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseIAm(%q) = %+v, %v; want %+v, %v", tt.args, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCodesAreHashedSingleAndExpiring(t *testing.T) {
	rnd := bytes.NewReader(bytes.Repeat([]byte{7, 200, 31, 64, 5, 99, 18, 250}, 10))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	code, lc, err := NewLinkCode(rnd, 3, "周书记", now, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != codeLen || NormalizeCode(code) != code || ShowCode(code)[4] != '-' {
		t.Fatalf("code %q", code)
	}
	if bytes.Contains(lc.Hash, []byte(code)) || bytes.Contains(lc.Salt, []byte(code)) || len(lc.Hash) != 32 {
		t.Fatalf("the stored code is not a hash: %+v", lc)
	}
	if !lc.ExpiresAt.Equal(now.Add(48*time.Hour)) || lc.RosterID != 3 || lc.IssuedBy != "周书记" {
		t.Fatalf("link code %+v", lc)
	}
	if !CodeMatches(lc, strings.ToLower(ShowCode(code))) {
		t.Error("the code typed in lower case with its dash does not match")
	}
	for _, wrong := range []string{"", "AAAA-AAAA", code[:7] + "2", "不是码"} {
		if CodeMatches(lc, wrong) {
			t.Errorf("%q matches %q", wrong, code)
		}
	}
	// Same code, other salt: another hash.
	_, other, _ := NewLinkCode(bytes.NewReader(append([]byte(code), bytes.Repeat([]byte{1}, saltLen)...)), 3, "x", now, time.Hour)
	if bytes.Equal(other.Hash, lc.Hash) {
		t.Error("two codes share a hash")
	}
}

func TestIssueRefusal(t *testing.T) {
	units := bot.NewUnitTree([]bot.Unit{{ID: 1, Name: "校党委"}, {ID: 2, Name: "学院党委", ParentID: 1}, {ID: 3, Name: "一支部", ParentID: 2}, {ID: 4, Name: "二支部", ParentID: 2}})
	caller := func(role bot.Role, unit int64) bot.Caller {
		return bot.Caller{Roster: &bot.RosterEntry{ID: 99, Role: role, UnitID: unit}}
	}
	member := bot.RosterEntry{ID: 1, Name: "张三", Number: "1", UnitID: 3, Role: bot.RoleMember}
	secretary := bot.RosterEntry{ID: 2, Name: "周书记", Number: "2", UnitID: 3, Role: bot.RoleSecretary, Title: "书记"}
	staff := bot.RosterEntry{ID: 3, Name: "刘芳", Number: "3", UnitID: 3, Role: bot.RoleStaff, Title: "组织员"}
	admin := bot.RosterEntry{ID: 4, Name: "王老师", Number: "4", UnitID: 1, Role: bot.RoleAdmin}
	tests := []struct {
		name  string
		c     bot.Caller
		e     bot.RosterEntry
		allow bool
	}{
		{"a secretary for a member of the unit", caller(bot.RoleSecretary, 3), member, true},
		{"a secretary above for a member below", caller(bot.RoleSecretary, 2), member, true},
		{"a secretary of another unit", caller(bot.RoleSecretary, 4), member, false},
		{"a secretary for a fellow secretary of the unit", caller(bot.RoleSecretary, 3), secretary, false},
		{"a secretary for staff of the unit", caller(bot.RoleSecretary, 3), staff, false},
		{"a secretary above for a secretary below", caller(bot.RoleSecretary, 2), secretary, true},
		{"the top secretary for an admin entry", caller(bot.RoleSecretary, 1), admin, false},
		{"an admin for an admin entry", bot.Caller{Admin: true}, admin, true},
		{"a member", caller(bot.RoleMember, 3), member, false},
		{"staff", caller(bot.RoleStaff, 3), member, false},
		{"no link", bot.Caller{}, member, false},
	}
	for _, tt := range tests {
		if got := IssueRefusal(tt.c, tt.e, units); (got == "") != tt.allow {
			t.Errorf("%s: refusal %q, want allowed %v", tt.name, got, tt.allow)
		}
	}
}

func TestSameNameAndLimits(t *testing.T) {
	if !SameName("欧阳 娜娜", "欧阳娜娜") || !SameName("Li Ming", "liming") || SameName("张三", "张三丰") || SameName("", "") {
		t.Error("SameName")
	}
	if limited(4, 5) || !limited(5, 5) {
		t.Error("limited")
	}
	if !Privileged(bot.RosterEntry{Role: bot.RoleStaff}) || Privileged(bot.RosterEntry{Role: bot.RoleMember}) {
		t.Error("Privileged")
	}
}
