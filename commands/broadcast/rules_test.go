package broadcast

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/configs"
)

func TestInitialStatus(t *testing.T) {
	for levels, want := range map[int]string{0: StatusSent, 1: StatusReview, 3: StatusReview} {
		if got := initialStatus(levels); got != want {
			t.Errorf("initialStatus(%d) = %s, want %s", levels, got, want)
		}
	}
}

func TestDecisions(t *testing.T) {
	created := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	draft := Broadcast{ID: 1, Levels: 2, Status: StatusReview, CreatedAt: created, UpdatedAt: created}
	tests := []struct {
		name       string
		got        Broadcast
		wantStatus string
		wantLevel  int
	}{
		{"first of two levels approves: on to the second", approved(draft, 2, now), StatusReview, 1},
		{"last level approves: sent", approved(approved(draft, 2, now), 2, now), StatusSent, 2},
		{"a chain shortened meanwhile: sent once past its end", approved(draft, 1, now), StatusSent, 1},
		{"first level rejects", rejected(draft, now), StatusRejected, 0},
		{"second level rejects", rejected(approved(draft, 2, now), now), StatusRejected, 1},
	}
	for _, tt := range tests {
		if tt.got.Status != tt.wantStatus || tt.got.Level != tt.wantLevel || !tt.got.UpdatedAt.Equal(now) || !tt.got.CreatedAt.Equal(created) {
			t.Errorf("%s: %s at level %d (updated %v), want %s at level %d", tt.name, tt.got.Status, tt.got.Level, tt.got.UpdatedAt, tt.wantStatus, tt.wantLevel)
		}
	}
}

func TestReviewRefusal(t *testing.T) {
	chain := []configs.ReviewLevel{{Name: "组织部审核", Titles: []string{"组织委员"}}, {Members: []string{"T0005"}}}
	author := bot.Member{ID: 1}
	caller := func(id int64, title, number string) bot.Caller {
		c := bot.Caller{Member: bot.Member{ID: id}}
		if title != "" || number != "" {
			c.Roster = &bot.RosterEntry{Title: title, Number: number}
		}
		return c
	}
	waiting := func(level int) Broadcast {
		return Broadcast{ID: 7, AuthorMember: author.ID, AuthorRoster: 40, Levels: 2, Level: level, Status: StatusReview}
	}
	sent, rej := waiting(2), waiting(0)
	sent.Status, rej.Status = StatusSent, StatusRejected
	tests := []struct {
		name string
		b    Broadcast
		c    bot.Caller
		want string // "" for allowed, else part of the refusal
	}{
		{"level 1 reviewer by title", waiting(0), caller(2, "组织委员", "T0004"), ""},
		{"level 2 reviewer by number", waiting(1), caller(3, "", "T0005"), ""},
		{"level 2 reviewer at level 1", waiting(0), caller(3, "", "T0005"), "你不是该级审核人"},
		{"level 1 reviewer at level 2", waiting(1), caller(2, "组织委员", "T0004"), "正在等待「第 2 级审核」"},
		{"no roster identity", waiting(0), caller(4, "", ""), "你不是该级审核人"},
		{"the author, even as a reviewer", waiting(0), bot.Caller{Member: author, Roster: &bot.RosterEntry{Title: "组织委员"}}, "不能审核自己提交的"},
		{"the author from an account on another platform", waiting(0), bot.Caller{Member: bot.Member{ID: 9}, Roster: &bot.RosterEntry{ID: 40, Title: "组织委员"}}, "不能审核自己提交的"},
		{"another person with the author's title", waiting(0), bot.Caller{Member: bot.Member{ID: 9}, Roster: &bot.RosterEntry{ID: 41, Title: "组织委员"}}, ""},
		{"sent already", sent, caller(3, "", "T0005"), "已审核通过并发出"},
		{"rejected already", rej, caller(2, "组织委员", "T0004"), "已被驳回"},
		{"chain shorter than the level reached", Broadcast{ID: 7, Level: 2, Status: StatusReview}, caller(3, "", "T0005"), "审核流程已更改"},
	}
	for _, tt := range tests {
		err := reviewRefusal(tt.b, chain, tt.c)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want a refusal saying %q", tt.name, err, tt.want)
		case err != nil && !errors.As(err, new(*bot.UserError)):
			t.Errorf("%s: %v is not shown to the user", tt.name, err)
		}
	}
}

func TestIsReviewer(t *testing.T) {
	chains := map[string][]configs.ReviewLevel{
		"计算机学院党委": {{Titles: []string{"副部长"}}, {Titles: []string{"部长"}}},
		"第二党支部":   {{Members: []string{"2023009"}}},
	}
	tests := []struct {
		name string
		c    bot.Caller
		want bool
	}{
		{"a title of a first level", bot.Caller{Roster: &bot.RosterEntry{Title: "副部长"}}, true},
		{"a title of a later level", bot.Caller{Roster: &bot.RosterEntry{Title: "部长"}}, true},
		{"a number listed in another unit's chain", bot.Caller{Roster: &bot.RosterEntry{Title: "党员", Number: "2023009"}}, true},
		{"a member of no chain", bot.Caller{Roster: &bot.RosterEntry{Title: "党员", Number: "2023001"}}, false},
		{"a secretary of no chain", bot.Caller{Roster: &bot.RosterEntry{Title: "书记", Role: bot.RoleSecretary}}, false},
		{"an admin is no reviewer by being one", bot.Caller{Admin: true}, false},
		{"not linked to the roster", bot.Caller{}, false},
	}
	for _, tt := range tests {
		if got := isReviewer(tt.c, chains); got != tt.want {
			t.Errorf("%s: isReviewer = %v, want %v", tt.name, got, tt.want)
		}
	}
	if isReviewer(bot.Caller{Roster: &bot.RosterEntry{Title: "副部长"}}, nil) {
		t.Error("a reviewer without any configured chain")
	}
}

func TestReachReviewers(t *testing.T) {
	group := func(id int64, platform, title string) bot.Chat {
		return bot.Chat{ID: id, Platform: platform, Kind: bot.Group, Title: title, Active: true}
	}
	org, college := group(10, "telegram", "组织部"), group(11, "wechat", "学院党委")
	left := group(12, "telegram", "旧群")
	left.Active = false
	dm := bot.Chat{ID: 20, Platform: "telegram", Kind: bot.Private}
	huang := reviewer{entry: bot.RosterEntry{ID: 1, Name: "黄伟"}, members: []bot.Member{{ID: 100, Platform: "telegram"}}, private: []bot.Chat{dm}, groups: []bot.Chat{org}}
	zhao := reviewer{entry: bot.RosterEntry{ID: 2, Name: "赵强"}, members: []bot.Member{{ID: 200, Platform: "telegram"}}, groups: []bot.Chat{org, left}}
	qian := reviewer{entry: bot.RosterEntry{ID: 3, Name: "钱七"}}
	show := func(ns []notice) string {
		var s []string
		for _, n := range ns {
			s = append(s, fmt.Sprintf("%s@%s/%d", n.name, n.chat.Title, n.mention))
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name                     string
		rs                       []reviewer
		unit                     []bot.Chat
		private, groups, nowhere string
		none                     bool
	}{
		{"no reviewer on the roster", nil, []bot.Chat{org}, "", "", "", true},
		{"a private chat: there only", []reviewer{huang}, []bot.Chat{college}, "黄伟@/0", "", "", false},
		{"no private chat: own unit's and the reviewing unit's groups, mentioned where linked, left groups skipped",
			[]reviewer{zhao}, []bot.Chat{college, org}, "", "赵强@组织部/200 赵强@学院党委/0", "", false},
		{"no private chat and no group: nowhere", []reviewer{qian}, nil, "", "", "钱七", false},
		{"each reviewer their own way", []reviewer{huang, zhao, qian}, nil, "黄伟@/0", "赵强@组织部/200", "钱七", false},
	}
	for _, tt := range tests {
		got := reachReviewers(tt.rs, tt.unit)
		if show(got.private) != tt.private || show(got.groups) != tt.groups || strings.Join(got.nowhere, " ") != tt.nowhere || got.none != tt.none {
			t.Errorf("%s: private %q, groups %q, nowhere %q, none %v; want %q, %q, %q, %v", tt.name,
				show(got.private), show(got.groups), got.nowhere, got.none, tt.private, tt.groups, tt.nowhere, tt.none)
		}
	}
	told := reachReviewers([]reviewer{huang, zhao, qian}, nil).told("部长审批")
	want := "已私信通知审核人：黄伟。\n赵强 没有私聊过机器人，已在群「组织部」提醒。\n无法通知 钱七（没有私聊过机器人，所在单位也没有绑定的群），请直接联系。"
	if told != want {
		t.Errorf("told the author %q, want %q", told, want)
	}
	if got := reachReviewers(nil, nil).told("部长审批"); !strings.Contains(got, "没有找到「部长审批」的审核人") {
		t.Errorf("with no reviewer the author is told %q", got)
	}
}

func TestCancelRefusal(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	author := bot.Caller{Member: bot.Member{ID: 1}}
	other := bot.Caller{Member: bot.Member{ID: 2}}
	admin := bot.Caller{Member: bot.Member{ID: 3}, Admin: true}
	b := func(status string, sendAt time.Time) Broadcast {
		return Broadcast{ID: 5, AuthorMember: 1, Status: status, SendAt: sendAt, UpdatedAt: now.Add(-time.Hour)}
	}
	tests := []struct {
		name   string
		b      Broadcast
		caller bot.Caller
		want   string // "" allowed
	}{
		{"the author withdraws a draft", b(StatusReview, time.Time{}), author, ""},
		{"an admin withdraws anyone's draft", b(StatusReview, time.Time{}), admin, ""},
		{"another secretary may not", b(StatusReview, time.Time{}), other, "只有通知 #5 的提交人或管理员"},
		{"a scheduled notice before its time", b(StatusSent, now.Add(time.Minute)), author, ""},
		{"a scheduled notice whose time has come", b(StatusSent, now), author, "已于 2026年11月23日 09:00 发出"},
		{"a notice sent at once", b(StatusSent, time.Time{}), author, "已于 2026年11月23日 08:00 发出"},
		{"a rejected draft", b(StatusRejected, time.Time{}), author, "已被驳回"},
		{"twice", b(StatusCancelled, time.Time{}), author, "已经撤回"},
	}
	for _, tt := range tests {
		err := cancelRefusal(tt.b, tt.caller, now, loc)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
