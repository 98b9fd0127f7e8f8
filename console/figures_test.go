package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/branchbot/branchbot/console"
)

// A notice sent with confirm=yes is a task of the follow-up page for a
// secretary of its units, and 发送提醒 reminds its readers who have not
// confirmed, as /remind broadcast does.
func TestFollowupOfANoticeAskingForConfirmation(t *testing.T) {
	d := newDesk(t)
	h := d.h
	d.bindBranch(map[string]string{"周书记": secNumber, "张三": memberNumber, "李四": "2023002"})
	h.As("周书记")
	h.Say("/broadcast 第一党支部 明晚7点开支部大会 confirm=yes")
	// The two review levels in order: 黄伟 first, then 赵强.
	for _, r := range [][2]string{{"黄伟", viceNumber}, {"赵强", headNumber}} {
		h.As(r[0])
		h.Private()
		h.LinkSpeaker(r[1])
		h.Say("/approve 1")
	}
	h.Group("第一党支部")
	h.As("张三")
	h.Say("收到")
	h.Flush()

	c := d.client()
	d.signIn(c, secNumber, secPass)
	code, body := d.get(c, fmt.Sprintf("/units/%d/followup", d.unitID("第一党支部")))
	if code != http.StatusOK || !strings.Contains(body, `<a href="/followup/broadcast/1">通知 #1「明晚7点开支部大会」</a>`) {
		t.Fatalf("follow-up page = %d:\n%s", code, body)
	}
	code, body = d.get(c, "/followup/broadcast/1")
	if code != http.StatusOK || !strings.Contains(body, `<tr id="done"><th>已完成</th><td>1</td><td>张三</td></tr>`) {
		t.Fatalf("notice's page = %d:\n%s", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/followup/broadcast/1/remind", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, _ := d.do(c, req); code != http.StatusSeeOther {
		t.Fatalf("remind = %d", code)
	}
	out := strings.Join(h.Flush(), "\n")
	if !strings.Contains(out, "提醒：通知 #1「明晚7点开支部大会」以下同志还没有确认：") || !strings.Contains(out, "@李四") || strings.Contains(out, "@张三") {
		t.Fatalf("reminders:\n%s", out)
	}
	code, body = d.get(c, "/followup/broadcast/1")
	if code != http.StatusOK || !strings.Contains(body, "已在其单位的群里点名提醒") {
		t.Fatalf("the answer is not shown = %d:\n%s", code, body)
	}
	if code, _ := d.get(c, "/followup/broadcast/2"); code != http.StatusBadRequest {
		t.Fatalf("a notice that does not exist = %d", code)
	}
	// 陈书记 of 第二党支部 may neither see it nor remind for it.
	if _, err := console.SetPassword(context.Background(), h.Engine, h.DB, "T0008", "第二党支部书记密码", h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	other := d.client()
	d.signIn(other, "T0008", "第二党支部书记密码")
	if code, body := d.get(other, "/followup/broadcast/1"); code != http.StatusForbidden || !strings.Contains(body, "你不是第一党支部或其上级单位的书记。") {
		t.Fatalf("another branch's secretary = %d:\n%s", code, body)
	}
	if code, body := d.get(other, fmt.Sprintf("/units/%d/followup", d.unitID(otherBranch))); code != http.StatusOK || strings.Contains(body, "明晚7点开支部大会") {
		t.Fatalf("another branch's follow-up page lists the notice = %d:\n%s", code, body)
	}
	req, _ = http.NewRequest(http.MethodPost, d.srv.URL+"/followup/broadcast/1/remind", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if code, _ := d.do(other, req); code != http.StatusForbidden || len(h.Flush()) != 0 {
		t.Fatalf("another branch's secretary reminding = %d", code)
	}
}

func TestStudyPeriodAsTyped(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	d.signIn(c, secNumber, secPass)
	unit := d.unitID("第一党支部")
	for typed, want := range map[string]string{
		"from=2026-10-01&to=2026-10-31": "2026-10-01 至 2026-10-31",
		"from=２０２６－１０－０１&to=2026/10/31": "2026-10-01 至 2026-10-31",
		"from=2026.10.1&to=2026-10-31":  "2026-10-01 至 2026-10-31",
		"":                              "2026-11-01 至 2026-11-30",
	} {
		code, body := d.get(c, fmt.Sprintf("/units/%d/study?%s", unit, typed))
		if code != http.StatusOK || !strings.Contains(body, `<p id="summary">`+want) {
			t.Fatalf("%q = %d:\n%s", typed, code, body)
		}
	}
	for typed, want := range map[string]string{
		"from=十月一日":                     "日期应写成 2026-11-01 这样的格式。",
		"from=2026-11-30&to=2026-11-01": "结束日期不能早于开始日期。",
	} {
		code, body := d.get(c, fmt.Sprintf("/units/%d/study?%s", unit, typed))
		if code != http.StatusBadRequest || !strings.Contains(body, want) || !strings.Contains(body, `id="period"`) {
			t.Fatalf("%q = %d, want 400 with the form and %q:\n%s", typed, code, want, body)
		}
	}
}
