package qq_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

// TestMeetingTranscript: a whole branch meeting through the fake bridge.
// The secretary opens a check-in, forty members check in at once (half of
// them @-mentioning the bot), the secretary closes it and exports the list in a private chat. Every
// check-in counts once, nobody is absent, and the export holds everyone.
func TestMeetingTranscript(t *testing.T) {
	const n = 40
	r := newRig(t, rigOptions{members: n})
	r.setUpBranch()
	r.sayText(secQQ, "发起签到 支部党员大会 30m")
	open := r.await(0, "签到开始：支部党员大会（#1）", 0)
	if !strings.Contains(open.Text(), fmt.Sprintf("应到 %d 人", n+1)) {
		t.Errorf("the announcement is %q, want %d expected", open.Text(), n+1)
	}
	for i := 1; i <= n; i++ {
		if i%2 == 0 {
			r.say(memberQQ(i), qqtest.At(selfQQ), qqtest.Text(" 签到"))
		} else {
			r.sayText(memberQQ(i), "签到")
		}
	}
	r.await(0, fmt.Sprintf("已签到 %d/%d", n+1, n+1), 0)
	r.sayText(secQQ, "结束签到")
	closed := r.await(0, "签到结束：支部党员大会（#1）", 0)
	want := fmt.Sprintf("应到 %d 人，实到 %d 人（其中迟到 0 人），缺席 0 人", n+1, n+1)
	if !strings.Contains(closed.Text(), want) {
		t.Errorf("the summary is\n%s\nwant it to say %s", closed.Text(), want)
	}
	if _, err := r.bridge.SayPrivate(secQQ, qqtest.Text("/export checkin 1")); err != nil {
		t.Fatal(err)
	}
	export := r.await(secQQ, "已导出", 0)
	if !strings.Contains(export.Text(), fmt.Sprintf("共 %d 人", n+1)) {
		t.Errorf("the export answer is %q, want %d people", export.Text(), n+1)
	}
	files, _ := filepath.Glob(filepath.Join(r.dir, "exports", "checkin-1-*"))
	if len(files) != 1 {
		t.Errorf("export files %v, want one", files)
	} else if fi, err := os.Stat(files[0]); err != nil || fi.Size() == 0 {
		t.Errorf("the export file %s: %v", files[0], err)
	}
	// Nobody was answered twice for one check-in, and no answer mentions
	// everybody.
	for _, s := range r.world.Sent() {
		if s.AtQQ() == "all" {
			t.Errorf("a send mentions everybody: %s", s.Raw)
		}
	}
	t.Logf("the meeting as the group saw it:%s", r.transcript())
}

// TestExportFileUploaded: where the bridge reads the bot's files, an
// export asked for in a private chat arrives as a file
// (upload_private_file), after its caption.
func TestExportFileUploaded(t *testing.T) {
	r := newRig(t, rigOptions{qq: qq.Options{Files: true}})
	r.setUpBranch()
	r.sayText(secQQ, "/relay 周六志愿服务")
	r.await(0, "接龙 #1", 0)
	if _, err := r.bridge.SayPrivate(secQQ, qqtest.Text("/export relay 1")); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool {
		for _, s := range r.world.Delivered() {
			if s.File != nil {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no file arrived; %s", r.dump(secQQ))
	}
	var got []qqtest.Sent
	for _, s := range r.world.Delivered() {
		if s.User == secQQ {
			got = append(got, s)
		}
	}
	if len(got) != 2 || got[1].File == nil || got[1].Action != "upload_private_file" ||
		!strings.HasPrefix(got[1].File.Name, "relay-1-") || !strings.HasPrefix(string(got[1].File.Data), "PK") {
		t.Fatalf("the secretary got %+v, want the caption and then the xlsx", got)
	}
	if !strings.Contains(got[0].Text(), "已导出") {
		t.Errorf("the caption is %q", got[0].Text())
	}
}

// transcript is every message of the branch group and of the secretary's
// private chat, the members' and the bot's, in order.
func (r *rig) transcript() string {
	names := map[int64]string{selfQQ: "机器人", secQQ: "周书记"}
	for i := 1; i <= 40; i++ {
		names[memberQQ(i)] = memberName(i)
	}
	type line struct {
		id   int64
		text string
	}
	var lines []line
	for _, chat := range []struct {
		where       string
		group, user int64
	}{{"群", branchQQ, 0}, {"私聊", 0, secQQ}} {
		for _, m := range r.world.History(chat.group, chat.user) {
			var b strings.Builder
			for _, seg := range m.Message {
				switch seg.Type {
				case "text":
					b.WriteString(seg.Data["text"])
				case "at":
					b.WriteString("[@" + seg.Data["qq"] + "]")
				case "reply":
					b.WriteString("[回复" + seg.Data["id"] + "]")
				}
			}
			lines = append(lines, line{m.ID, fmt.Sprintf("\n#%d [%s] %s: %s", m.ID, chat.where, names[m.UserID], strings.ReplaceAll(b.String(), "\n", "\n    "))})
		}
	}
	slices.SortFunc(lines, func(a, b line) int { return int(a.id - b.id) })
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
	}
	return b.String()
}
