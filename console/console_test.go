package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/console"
)

func TestHealthz(t *testing.T) {
	d := newDesk(t)
	code, body := d.get(d.client(), "/healthz")
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz = %d %q, want 200 ok", code, body)
	}
}

func TestPasswordHashAcceptsLongChinesePassphrases(t *testing.T) {
	// 30 Chinese characters are 90 bytes: bcrypt would ignore the end.
	long := strings.Repeat("党支部书记", 6)
	h, err := console.HashPassword(long)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string with the configured parameters", h)
	}
	if !console.CheckPassword(h, long) {
		t.Fatal("the right passphrase does not match")
	}
	if console.CheckPassword(h, long[:len(long)-3]+"员") {
		t.Fatal("a passphrase differing in its last character matches")
	}
	if console.CheckPassword("$2a$10$abc", long) || console.CheckPassword("", long) {
		t.Fatal("a malformed hash matches")
	}
}

func TestSetPasswordOnlyForStaffSecretariesAndAdmins(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	if _, err := console.SetPassword(ctx, d.h.Engine, d.h.DB, memberNumber, "一个足够长的密码", d.h.Clock.Now()); err == nil ||
		!strings.Contains(err.Error(), "only staff, secretaries and admins") {
		t.Fatalf("member's password: err = %v, want a refusal", err)
	}
	if _, err := console.SetPassword(ctx, d.h.Engine, d.h.DB, "T0004", "short", d.h.Clock.Now()); err == nil {
		t.Fatal("a 5-character password was accepted")
	}
	if _, err := console.SetPassword(ctx, d.h.Engine, d.h.DB, "T9999", "一个足够长的密码", d.h.Clock.Now()); err == nil {
		t.Fatal("an unknown number was accepted")
	}
}

func TestSignInSessionAndSignOut(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	if code, _ := d.get(c, "/tickets"); code != http.StatusSeeOther {
		t.Fatalf("queue before sign-in = %d, want a redirect to the sign-in page", code)
	}
	resp := d.signIn(c, staffNumber, staffPass)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in = %d, want 303", resp.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "branchbot_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure over plain HTTP", session)
	}
	code, body := d.get(c, "/tickets")
	if code != http.StatusOK || !strings.Contains(body, "刘芳（组织部的组织员）") {
		t.Fatalf("queue after sign-in = %d, want 200 naming 刘芳:\n%s", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/logout", nil)
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out = %v %v", resp, err)
	}
	// The old token no longer works, even if a browser kept it.
	c2 := d.client()
	u, _ := url.Parse(d.srv.URL)
	c2.Jar.SetCookies(u, []*http.Cookie{{Name: "branchbot_session", Value: session.Value}})
	if code, _ := d.get(c2, "/tickets"); code != http.StatusSeeOther {
		t.Fatalf("queue with a signed-out token = %d, want a redirect", code)
	}
}

func TestLockoutPerAccountAndPerAddress(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	for i := 0; i < 5; i++ {
		if resp := d.signIn(c, staffNumber, "wrong password"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d = %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := d.signIn(c, staffNumber, staffPass)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "900" {
		t.Fatalf("right password after 5 failures = %d Retry-After %q, want 429 and 900", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another account from the same address still signs in (the address
	// limit is higher) ...
	if resp := d.signIn(d.client(), secNumber, secPass); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account = %d, want 303", resp.StatusCode)
	}
	// ... until the address itself has failed 20 times.
	for i := 0; i < 15; i++ {
		d.signIn(c, fmt.Sprintf("X%03d", i), "wrong password")
	}
	if resp := d.signIn(d.client(), secNumber, secPass); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from the address = %d, want 429", resp.StatusCode)
	}
	// After the window the account may try again.
	d.h.Clock.Advance(16 * 60 * 1e9)
	if resp := d.signIn(d.client(), staffNumber, staffPass); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the lock window = %d, want 303", resp.StatusCode)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	d := newDesk(t)
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "http://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/tickets/1/answer", strings.NewReader("text=伪造的答复"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with %v = %d, want 403", h, resp.StatusCode)
		}
	}
	if out := d.h.Flush(); len(out) != 0 {
		t.Fatalf("a refused POST sent %q", out)
	}
	if _, body := d.get(c, "/tickets/1"); strings.Contains(body, "伪造的答复") {
		t.Fatal("a refused POST answered the ticket")
	}
}

func TestAnonymousTicketShowsNoFiler(t *testing.T) {
	d := newDesk(t)
	d.h.Group("第一党支部")
	d.h.As("张三")
	d.h.LinkSpeaker(memberNumber)
	d.h.Private()
	d.h.Say("/suggest -a 入党材料的模板能否统一")
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	for _, path := range []string{"/tickets", "/tickets/1", "/tickets/rows"} {
		code, body := d.get(c, path)
		if code != http.StatusOK {
			t.Fatalf("%s = %d", path, code)
		}
		if !strings.Contains(body, "入党材料") && path != "/tickets/rows" {
			t.Fatalf("%s does not show the ticket:\n%s", path, body)
		}
		for _, leak := range []string{"张三", "2023001", "第一党支部"} {
			if strings.Contains(body, leak) {
				t.Fatalf("%s names the anonymous filer (%s):\n%s", path, leak, body)
			}
		}
		if !strings.Contains(body, "匿名") {
			t.Fatalf("%s does not say 匿名", path)
		}
	}
}

func TestStaffOfAnotherDepartmentRefused(t *testing.T) {
	d := newDesk(t)
	d.suggest("/suggest 食堂晚上关门太早") // 学生工作部
	c := d.client()
	d.signIn(c, staffNumber, staffPass) // 组织部
	code, body := d.get(c, "/tickets/1")
	if code != http.StatusForbidden || !strings.Contains(body, "你不是学生工作部的工作人员") {
		t.Fatalf("another department's ticket = %d:\n%s", code, body)
	}
	if _, body := d.get(c, "/tickets"); strings.Contains(body, "食堂") {
		t.Fatal("the queue lists another department's ticket")
	}
	code, _ = d.get(c, fmt.Sprintf("/tickets?department=%d", d.unitID("学生工作部")))
	if code != http.StatusForbidden {
		t.Fatalf("filtering by another department = %d, want 403", code)
	}
}

func TestSecretaryScope(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	d.signIn(c, secNumber, secPass)
	code, body := d.get(c, fmt.Sprintf("/units/%d", d.unitID("第一党支部")))
	if code != http.StatusOK || !strings.Contains(body, "张三") || !strings.Contains(body, "2023001") {
		t.Fatalf("own branch = %d:\n%s", code, body)
	}
	code, body = d.get(c, fmt.Sprintf("/units/%d", d.unitID(otherBranch)))
	if code != http.StatusForbidden || !strings.Contains(body, "你不是第二党支部或其上级单位的书记") || strings.Contains(body, "赵六") {
		t.Fatalf("another branch = %d:\n%s", code, body)
	}
	if code, body := d.get(c, "/tickets"); code != http.StatusForbidden || !strings.Contains(body, "只有工作人员") {
		t.Fatalf("a secretary's ticket queue = %d:\n%s", code, body)
	}
}

func TestChartOptionsAreEscapedJSON(t *testing.T) {
	d := newDesk(t)
	d.checkinsInBranch("</script><script>alert(1)</script>支部大会")
	c := d.client()
	d.signIn(c, secNumber, secPass)
	code, body := d.get(c, fmt.Sprintf("/units/%d/attendance", d.unitID("第一党支部")))
	if code != http.StatusOK {
		t.Fatalf("attendance = %d:\n%s", code, body)
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatalf("the page carries the title's script unescaped:\n%s", body)
	}
	if !strings.Contains(body, `\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e支部大会`) {
		t.Fatalf("the chart options do not carry the title as escaped JSON:\n%s", body)
	}
	if code, _ := d.get(c, fmt.Sprintf("/units/%d/attendance", d.unitID(otherBranch))); code != http.StatusForbidden {
		t.Fatalf("another branch's attendance = %d, want 403", code)
	}
}

// ticketsForReport files three tickets as 张三 and answers the first on
// time as 刘芳 in her private chat: 组织部 1 of 2 on time, 学生工作部 0 of 1.
func (d *desk) ticketsForReport() {
	d.t.Helper()
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	d.h.Say("/suggest 入党积极分子培训的时间请早点通知")
	d.h.Private()
	d.h.Say("/suggest -a 食堂晚上关门太早")
	d.h.As("刘芳")
	d.h.Private()
	d.h.LinkSpeaker(staffNumber)
	d.h.Say("/answer 1 已请各支部提前一天发资料。")
	d.h.Clock.Advance(4 * 24 * time.Hour)
	d.h.Flush()
}

func TestSLAReportAndDownload(t *testing.T) {
	d := newDesk(t)
	d.ticketsForReport()
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	code, body := d.get(c, "/reports/sla?month=2026-11")
	if code != http.StatusOK || !strings.Contains(body, "2026年11月建议答复统计") ||
		!strings.Contains(body, "<tr><td>组织部</td><td>2</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td><td>50%</td>") {
		t.Fatalf("report = %d:\n%s", code, body)
	}
	resp, err := c.Get(d.srv.URL + "/reports/sla.xlsx?month=2026-11")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="sla-2026-11.xlsx"` {
		t.Fatalf("download = %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("明细")
	if err != nil || len(rows) != 4 {
		t.Fatalf("明细 = %v (%v), want a header and 3 tickets", rows, err)
	}
	if rows[3][4] != "匿名" || rows[1][4] == "匿名" {
		t.Fatalf("filers = %q, %q, want 张三's name and 匿名 for the anonymous ticket", rows[1][4], rows[3][4])
	}
	// Secretaries and members' numbers get neither.
	c2 := d.client()
	d.signIn(c2, secNumber, secPass)
	if code, _ := d.get(c2, "/reports/sla.xlsx?month=2026-11"); code != http.StatusForbidden {
		t.Fatalf("a secretary's download = %d, want 403", code)
	}
	if code, body := d.get(c, "/reports/sla?month=2099-01"); code != http.StatusBadRequest || !strings.Contains(body, "还没到") {
		t.Fatalf("a month to come = %d:\n%s", code, body)
	}
}

func TestRosterUploadOnlyForAdmins(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	d.signIn(c, secNumber, secPass)
	if code, body := d.get(c, "/roster/import"); code != http.StatusForbidden || !strings.Contains(body, "只有管理员") {
		t.Fatalf("a secretary's roster upload page = %d:\n%s", code, body)
	}
}
