package qq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

// TestGroupCheckInAnsweredWithAt: a bare 签到 in a QQ group is handled like
// on WeChat (the bot sees every message), and the answer to a member names
// them with an at segment (reply segments are built when a feature sets
// Outgoing.ReplyTo: TestBuildSendsArraysOnly).
func TestGroupCheckInAnsweredWithAt(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	r.sayText(secQQ, "发起签到 主题党日 30m")
	r.await(0, "签到开始：主题党日", 0)
	r.sayText(memberQQ(1), "签到")
	r.await(0, "刚签到：党员01", 0)
	n := r.delivered(0)
	id := r.sayText(memberQQ(1), "签到")
	again := r.await(0, "已签到", n)
	if again.AtQQ() != strconv.FormatInt(memberQQ(1), 10) {
		t.Errorf("the repeated check-in's answer names %q, want an at segment for %d; %s", again.AtQQ(), memberQQ(1), r.dump(0))
	}
	if again.ReplyID() != strconv.FormatInt(id, 10) {
		t.Errorf("the repeated check-in's answer replies to %q, want a reply segment for message %d; %s", again.ReplyID(), id, r.dump(0))
	}
	for _, s := range r.world.Sent() {
		if s.Action != "send_group_msg" && s.Action != "send_private_msg" {
			t.Errorf("the bot sent with %s", s.Action)
		}
		var p struct {
			Message json.RawMessage `json:"message"`
		}
		if err := json.Unmarshal(s.Raw, &p); err != nil || !strings.HasPrefix(string(p.Message), "[") {
			t.Errorf("a send's message is not an array of segments: %s", s.Raw)
		}
	}
}

// TestRelayWithoutSlash: 接龙 and +1 without a slash join a relay.
func TestRelayWithoutSlash(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	r.sayText(secQQ, "/relay 周六志愿服务")
	r.await(0, "接龙 #1：周六志愿服务", 0)
	r.sayText(memberQQ(1), "接龙 带相机")
	r.await(0, "1. 党员01（带相机）", 0)
	r.sayText(memberQQ(2), "+1")
	r.await(0, "2. 党员02", 0)
}

// TestPrivateSuggest: a /suggest in a private chat files a ticket and is
// answered there, with send_private_msg.
func TestPrivateSuggest(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	if _, err := r.bridge.SayPrivate(memberQQ(3), qqtest.Text("/suggest 希望党课资料提前一天发到群里")); err != nil {
		t.Fatal(err)
	}
	got := r.await(memberQQ(3), "", 0)
	if got.Action != "send_private_msg" || !strings.Contains(got.Text(), "#1") {
		t.Errorf("the private answer is %s %q", got.Action, got.Text())
	}
	if got.AtQQ() != "" {
		t.Errorf("a private answer carries an at segment for %s", got.AtQQ())
	}
}

// TestCQInjectionSentAsText: a member's text that looks like CQ codes comes
// back as text, in a text segment, never as a code.
func TestCQInjectionSentAsText(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	evil := "[CQ:at,qq=all] 全体注意 &#91;CQ:face,id=1&#93;"
	r.sayText(secQQ, "/relay "+evil)
	got := r.await(0, "接龙 #1", 0)
	if !strings.Contains(got.Text(), evil) {
		t.Errorf("the relay's title came back as %q, want it to contain %q", got.Text(), evil)
	}
	for _, s := range r.world.Sent() {
		for _, seg := range s.Message {
			if seg.Type != "text" && seg.Type != "at" && seg.Type != "reply" {
				t.Errorf("a send carries a %s segment: %s", seg.Type, s.Raw)
			}
			if seg.Type == "at" && seg.Data["qq"] == "all" {
				t.Errorf("a send mentions everybody: %s", s.Raw)
			}
		}
	}
}

// TestStringFormatAndStringIDs: a bridge that posts CQ strings with ids as
// strings (and no group_name) works the same; escaped brackets are text.
func TestStringFormatAndStringIDs(t *testing.T) {
	r := newRig(t, rigOptions{bridge: qqtest.Options{StringFormat: true, StringIDs: true, NoGroupName: true}})
	r.setUpBranch()
	r.say(secQQ, qqtest.At(selfQQ), qqtest.Text(" /relay 周六[志愿]服务 & 交流"))
	r.await(0, "接龙 #1：周六[志愿]服务 & 交流", 0)
	c := r.chat(t)
	if c.Title != "第一党支部群" {
		t.Errorf("the group's title is %q, want the name from get_group_info", c.Title)
	}
}

// TestWrongTokenRefusedBeforeUpgrade: a wrong token gets 403 and a missing
// one 401, before any upgrade; a connection never reaches the adapter.
func TestWrongTokenRefusedBeforeUpgrade(t *testing.T) {
	r := newRig(t, rigOptions{noStart: true})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for _, c := range []struct {
		token string
		want  int
	}{{"wrong", http.StatusForbidden}, {"", http.StatusUnauthorized}, {token + "x", http.StatusForbidden}} {
		ws, status, err := qqtest.Dial(ctx, r.url, c.token, selfQQ, "Universal")
		if err == nil {
			ws.CloseNow()
			t.Fatalf("token %q: connected", c.token)
		}
		if status != c.want {
			t.Errorf("token %q: status %d, want %d (%v)", c.token, status, c.want, err)
		}
	}
	if r.p.Connected() {
		t.Error("the adapter counts a refused bridge as connected")
	}
	// The right token connects.
	b := qqtest.Start(r.world, qqtest.Options{URL: r.url, Token: token})
	t.Cleanup(b.Close)
	if !waitFor(r.p.Connected) {
		t.Fatal("the right token did not connect")
	}
	if got := r.world.Calls(); len(got) == 0 || got[0] != "get_login_info" {
		t.Errorf("the bridge's first action was %v, want get_login_info", got)
	}
}

// TestLoginInfoMismatchClosed: a bridge whose get_login_info names another
// account than its X-Self-ID is not taken.
func TestLoginInfoMismatchClosed(t *testing.T) {
	r := newRig(t, rigOptions{noStart: true})
	b := qqtest.Start(r.world, qqtest.Options{URL: r.url, Token: token, LoginUserID: 99999})
	t.Cleanup(b.Close)
	if !waitFor(func() bool { return b.Connections() >= 2 }) {
		t.Fatal("the bridge did not try twice")
	}
	if r.p.Connected() {
		t.Error("a bridge logged into another account was taken")
	}
}

// chat is the bot's record of the branch group.
func (r *rig) chat(t *testing.T) chatRecord {
	t.Helper()
	c, err := r.db.ChatByExternalID(context.Background(), "qq", strconv.Itoa(branchQQ))
	if err != nil {
		t.Fatal(err)
	}
	return chatRecord{Title: c.Title, Active: c.Active}
}

type chatRecord struct {
	Title  string
	Active bool
}

// TestUnlinked: /unlinked lists the group's members (get_group_member_list)
// who are not linked to the roster, however large the group: a 500-member
// answer (about 70 KB) needs the raised read limit.
func TestUnlinked(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	r.sayText(secQQ, "/unlinked")
	r.await(0, "本群 5 人都已绑定花名册", 0)

	var crowd []qqtest.Member
	for i := range 500 {
		crowd = append(crowd, qqtest.Member{UserID: int64(50000 + i), Nickname: fmt.Sprintf("新同学%03d", i), Card: strings.Repeat("很长的群名片", 3)})
	}
	r.world.AddMembers(branchQQ, crowd...)
	n := r.delivered(0)
	r.sayText(secQQ, "/未绑定")
	got := r.await(0, "未绑定花名册的有 500 人", n)
	if !strings.Contains(got.Text(), "（50000）") || !strings.Contains(got.Text(), "等 500 人") {
		t.Errorf("the answer is %q", got.Text())
	}
	if strings.Contains(got.Text(), "周书记（") {
		t.Errorf("a linked member is listed: %q", got.Text())
	}
}

// TestCheckinResultNamesTheGroupsUnlinked: where the platform lists a
// group's members, a check-in's result also names the group's members who
// never linked to the roster and did not check in (the secretary cannot tell
// whether they were expected); one who checked in is among the others.
func TestCheckinResultNamesTheGroupsUnlinked(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.setUpBranch()
	r.world.AddMembers(branchQQ,
		qqtest.Member{UserID: 60001, Nickname: "旁听甲", Card: "旁听甲"},
		qqtest.Member{UserID: 60002, Nickname: "旁听乙", Card: "旁听乙"})
	r.sayText(secQQ, "发起签到 支部大会 30m")
	r.await(0, "签到开始：支部大会", 0)
	r.sayText(60002, "签到")
	r.await(0, "旁听乙（未绑定花名册）", 0)
	n := r.delivered(0)
	r.sayText(secQQ, "/checkin close")
	got := r.await(0, "签到结束", n).Text()
	if !strings.Contains(got, "群里未绑定花名册、没有签到的成员：旁听甲（") {
		t.Errorf("the result does not name the group's unlinked member who did not check in:\n%s", got)
	}
	if i := strings.Index(got, "群里未绑定花名册"); i >= 0 && strings.Contains(got[i:], "旁听乙") {
		t.Errorf("a member who checked in is named as not checked in:\n%s", got)
	}
	if !strings.Contains(got, "名单外签到 1 人：旁听乙") {
		t.Errorf("the unlinked member who checked in is not among the others:\n%s", got)
	}
}
