package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/console"
)

// evilName is a name typed with script in it: every page must show it as
// text (the dialog listener of browser fails a test where it runs).
const evilName = "</script><script>alert(1)</script>"

// addRoster adds roster entries as an upload would.
func (d *desk) addRoster(entries ...bot.RosterEntry) {
	d.t.Helper()
	if _, _, _, _, err := d.h.DB.UploadRoster(context.Background(), entries, d.h.Clock.Now()); err != nil {
		d.t.Fatal(err)
	}
}

func TestBrowserAssignTicket(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	org := d.unitID("组织部")
	d.addRoster(bot.RosterEntry{Name: evilName, Number: "T0099", UnitID: org, Role: bot.RoleStaff, Title: "干事"})
	// 组织部's group, where 黄伟 is linked: he hears of it there, by name.
	d.h.Group("组织部工作群")
	d.h.As("王老师")
	d.h.Say("/bind 组织部")
	d.h.As("黄伟")
	d.h.LinkSpeaker(viceNumber)
	d.h.As("张三")
	d.h.LinkSpeaker(memberNumber)
	d.h.Private()
	d.h.Say("/suggest -a 希望组织关系转接的流程写成一页纸")
	d.h.Flush()

	d.browserSignIn(t, ctx, staffNumber, staffPass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets/1"), chromedp.WaitVisible(chromedp.ID("assign-form")))
	options, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#assign-number option")].map(o => o.value + " " + o.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{" 选择本部门的工作人员", "T0001 王老师（校党委的管理员）", "T0003 刘芳（组织部的组织员）", "T0004 黄伟（组织部的副部长）", "T0005 赵强（组织部的部长）", "T0099 " + evilName + "（组织部的干事）"}
	if strings.Join(options, "|") != strings.Join(want, "|") {
		t.Fatalf("assignees = %q, want %q", options, want)
	}
	if f := text(t, ctx, "#filer"); f != "匿名" {
		t.Fatalf("the anonymous ticket's filer reads %q", f)
	}
	do(t, ctx, chromedp.SetValue(chromedp.ID("assign-number"), viceNumber))
	submit(t, ctx, "assign-send")
	if f := text(t, ctx, "#flash"); f != "已把建议 #1 指派给 黄伟。" {
		t.Fatalf("flash = %q", f)
	}
	if h := text(t, ctx, "#history"); !strings.Contains(h, "刘芳指派给 黄伟") {
		t.Fatalf("history = %q", h)
	}
	if f := text(t, ctx, "#filer"); f != "匿名" {
		t.Fatalf("after assigning, the filer reads %q", f)
	}
	out := strings.Join(d.h.Flush(), "\n")
	if !strings.Contains(out, "[组织部工作群] branchbot: @黄伟 建议 #1 已指派给你，答复期限") {
		t.Fatalf("the assignee was not told:\n%s", out)
	}
	if strings.Contains(out, "张三") {
		t.Fatalf("the assignment names the anonymous filer:\n%s", out)
	}
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets"), chromedp.WaitVisible(chromedp.ID("t1")))
	if a := text(t, ctx, "#t1 td:nth-child(8)"); a != "黄伟" {
		t.Fatalf("the queue's assignee = %q", a)
	}
	if f := text(t, ctx, "#t1 td:nth-child(7)"); f != "匿名" {
		t.Fatalf("the queue's filer = %q", f)
	}

	// Someone outside the department cannot be assigned, even by a forged
	// form; staff of another department cannot assign at all.
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets/1"), chromedp.WaitVisible(chromedp.ID("assign-form")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#assign-number").innerHTML = '<option value="T0006">孙丽</option>'`))
	submit(t, ctx, "assign-send")
	if e := text(t, ctx, "#error"); e != "T0006 不是组织部的工作人员，不能指派。" {
		t.Fatalf("assigning 孙丽 of 学生工作部: %q", e)
	}
	do(t, ctx, chromedp.Sleep(100*time.Millisecond))
}

func TestAssignRefusedOutsideTheDepartment(t *testing.T) {
	d := newDesk(t)
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	d.h.Flush()
	c := d.client()
	if _, err := console.SetPassword(context.Background(), d.h.Engine, d.h.DB, "T0006", "学生工作部孙丽的密码", d.h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	d.signIn(c, "T0006", "学生工作部孙丽的密码")
	if code, body := d.post(c, "/tickets/1/assign", url.Values{"number": {viceNumber}}); code != http.StatusForbidden || !strings.Contains(body, "你不是组织部的工作人员。") {
		t.Fatalf("staff of another department assigning = %d:\n%s", code, body)
	}
	if out := d.h.Flush(); len(out) != 0 {
		t.Fatalf("a refused assignment said: %q", out)
	}
}

// post posts a form and returns the status and body.
func (d *desk) post(c *http.Client, path string, form url.Values) (int, string) {
	d.t.Helper()
	return d.read(c.PostForm(d.srv.URL+path, form))
}

// With no department group, the assignee hears of it in their private chat
// with the bot.
func TestAssignTellsAssigneePrivatelyWithoutADepartmentGroup(t *testing.T) {
	d := newDesk(t)
	d.h.As("黄伟")
	d.h.Private()
	d.h.LinkSpeaker(viceNumber)
	d.h.Say("/whoami")
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	d.h.Flush()
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	if code, body := d.post(c, "/tickets/1/assign", url.Values{"number": {viceNumber}}); code != http.StatusSeeOther {
		t.Fatalf("assign = %d:\n%s", code, body)
	}
	out := strings.Join(d.h.Flush(), "\n")
	if !strings.Contains(out, "[私聊 黄伟] branchbot: 建议 #1（组织部）已指派给你，答复期限") {
		t.Fatalf("the assignee's private chat got:\n%s", out)
	}
}

// sentBroadcast has 李明 send a notice asking for receipts to 计算机学院党委
// through both review levels: the 第一党支部 group gets it (张三 confirms),
// the 第二党支部 group, titled with script, fails for good.
func (d *desk) sentBroadcast(text string) {
	d.t.Helper()
	h := d.h
	h.As("王老师")
	h.Group("第一党支部")
	h.Say("/bind 第一党支部")
	h.Group(evilName)
	h.Say("/bind 第二党支部")
	if _, err := h.Do(":fail " + evilName); err != nil {
		d.t.Fatal(err)
	}
	h.As("李明")
	h.Private()
	h.LinkSpeaker("T0002")
	h.Say("/broadcast 计算机学院党委 " + text + " confirm=yes")
	for name, number := range map[string]string{"黄伟": viceNumber, "赵强": headNumber} {
		h.As(name)
		h.Private()
		h.LinkSpeaker(number)
	}
	h.As("黄伟")
	h.Say("/approve 1")
	h.As("赵强")
	h.Say("/approve 1")
	h.Group("第一党支部")
	h.As("张三")
	h.LinkSpeaker(memberNumber)
	h.Say("收到")
	h.Flush()
}

func TestBrowserBroadcastStatusAndLog(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.sentBroadcast(evilName + "周五下午三点开支部大会")
	for number, pass := range map[string]string{"T0002": "计算机学院党委李明的密码", "T0008": "第二党支部陈书记的密码"} {
		if _, err := console.SetPassword(context.Background(), d.h.Engine, d.h.DB, number, pass, d.h.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	d.browserSignIn(t, ctx, "T0002", "计算机学院党委李明的密码")
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/broadcasts/log"), chromedp.WaitVisible(chromedp.ID("b1")))
	row := text(t, ctx, "#b1")
	for _, want := range []string{"李明", "计算机学院党委", "已发出", evilName + "周五下午三点", "黄伟 通过（分管副部长审核）", "赵强 通过（部长审批）", "发出到 2 个群"} {
		if !strings.Contains(row, want) {
			t.Fatalf("the log's row lacks %q:\n%s", want, row)
		}
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`#b1 a`)))); err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, "#head"); h != "通知 #1 → 计算机学院党委：共 2 个群，已送达 1，排队 0，失败 1。" {
		t.Fatalf("head = %q", h)
	}
	groups, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#deliveries tbody tr")].map(r => r.className + " " + r.cells[0].textContent + " " + r.cells[1].textContent)`))
	if err != nil || len(groups) != 2 || !strings.HasPrefix(groups[0], "delivered 第一党支部 已送达 ") || groups[1] != "failed "+evilName+" 失败：chat not found" {
		t.Fatalf("deliveries = %q (%v)", groups, err)
	}
	if s := text(t, ctx, "#text"); s != evilName+"周五下午三点开支部大会" {
		t.Fatalf("text = %q", s)
	}
	receipts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#receipts tbody tr")].map(r => [...r.cells].map(c => c.textContent).join("|"))`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"计算机学院党委|0/1||李明", "第一党支部|1/4|张三|李四、王五、周书记", "第二党支部|0/2||赵六、陈书记"}
	if strings.Join(receipts, "\n") != strings.Join(want, "\n") {
		t.Fatalf("receipts:\n%s\nwant:\n%s", strings.Join(receipts, "\n"), strings.Join(want, "\n"))
	}
	screenshot(t, ctx, "console-broadcast-status.png")
	submit(t, ctx, "logout")

	// 陈书记 is secretary of 第二党支部 only: the notice went to all of
	// 计算机学院党委, so it is not theirs to see.
	d.browserSignIn(t, ctx, "T0008", "第二党支部陈书记的密码")
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(d.srv.URL+"/broadcasts/1"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || text(t, ctx, "#error") != "只有通知 #1 的提交人、审核人、相关单位书记或管理员可以查看。" {
		t.Fatalf("another unit's broadcast by URL = %d %q", resp.Status, text(t, ctx, "#error"))
	}
	if body := text(t, ctx, "main"); strings.Contains(body, "周五下午三点") {
		t.Fatal("the refusal shows the notice")
	}
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/broadcasts/log"), chromedp.WaitVisible(chromedp.ID("broadcast-log")))
	if s := text(t, ctx, "#broadcast-log tbody"); s != "没有你可以查看的通知。" {
		t.Fatalf("陈书记's log = %q", s)
	}
}

// Staff who are neither secretaries nor reviewers have no log.
func TestBroadcastLogRefusedToPlainStaff(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	d.signIn(c, staffNumber, staffPass)
	if code, body := d.get(c, "/broadcasts/log"); code != http.StatusForbidden || !strings.Contains(body, "只有通知的提交人、审核人、相关单位书记或管理员可以查看。") {
		t.Fatalf("log for 刘芳 = %d:\n%s", code, body)
	}
	if _, body := d.get(c, "/tickets"); strings.Contains(body, "/broadcasts/log") {
		t.Fatal("the navigation links to a log 刘芳 may not see")
	}
}

func TestBrowserLinkCodesAndApprovals(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	first, second := d.unitID("第一党支部"), d.unitID(otherBranch)
	d.addRoster(bot.RosterEntry{Name: evilName, Number: "2023098", UnitID: first, Role: bot.RoleMember})
	// Requests without a code: 王五 in the branch's group, 小号 for 张三
	// (to be refused), 赵六 in the other branch.
	d.h.Group("第一党支部")
	d.h.As("王五")
	d.h.Say("/iam 2023003 王五")
	d.h.As("小号")
	d.h.Say("/iam 2023001 张三")
	d.h.Group(otherBranch)
	d.h.As("赵六")
	d.h.Say("/iam 2023004 赵六")
	d.h.Flush()

	d.browserSignIn(t, ctx, secNumber, secPass)
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("links")))); err != nil {
		t.Fatal(err)
	}
	requests, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#requests tbody tr")].map(r => r.id + " " + r.cells[1].textContent + " " + r.cells[2].textContent)`))
	if err != nil || strings.Join(requests, "|") != "r1 「王五」 王五（2023003）|r2 「小号」 张三（2023001）" {
		t.Fatalf("requests = %q (%v): want 第一党支部's two, not 赵六's", requests, err)
	}
	unlinked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#unlinked tbody tr")].map(r => r.cells[0].textContent + " " + r.cells[4].textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"张三 发绑定码", "李四 发绑定码", "王五 发绑定码", evilName + " 发绑定码", "周书记 周书记（T0007）是书记身份，其绑定码须由上级单位的书记或管理员发放。"}
	if strings.Join(unlinked, "\n") != strings.Join(want, "\n") {
		t.Fatalf("unlinked:\n%s\nwant:\n%s", strings.Join(unlinked, "\n"), strings.Join(want, "\n"))
	}

	// A code for 李四, handed over and used in the chat.
	submit(t, ctx, "code-2023002")
	code := text(t, ctx, "#code")
	if h := text(t, ctx, "#issued h2"); h != "绑定码：李四（2023002）" || len(code) != 9 {
		t.Fatalf("issued %q: %q", h, code)
	}
	screenshot(t, ctx, "console-links.png")
	d.h.As("李四")
	d.h.Private()
	if out := strings.Join(d.h.Say("/iam 2023002 李四 "+code), "\n"); !strings.Contains(out, "绑定成功") {
		t.Fatalf("李四 with the code from the web:\n%s", out)
	}

	// Approve 王五's request, refuse 小号's with a reason.
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/units/%d/links", d.srv.URL, first)), chromedp.WaitVisible(chromedp.ID("r1")))
	submit(t, ctx, "approve-link-1")
	if f := text(t, ctx, "#flash"); f != "已确认绑定申请 #1：账号「王五」绑定为 王五（2023003）。" {
		t.Fatalf("flash = %q", f)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("link-reason-2"), "不是本人"))
	submit(t, ctx, "reject-link-2")
	if f := text(t, ctx, "#flash"); f != "已拒绝绑定申请 #2（账号「小号」→ 张三）。" {
		t.Fatalf("flash = %q", f)
	}
	out := strings.Join(d.h.Flush(), "\n")
	for _, w := range []string{"@王五 你的绑定申请 #1 已由 周书记 确认，绑定成功：王五", "@小号 你的绑定申请 #2（张三，2023001）未通过。理由：不是本人。"} {
		if !strings.Contains(out, w) {
			t.Fatalf("the chat lacks %q:\n%s", w, out)
		}
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#requests tbody tr").length`)); n != 0 {
		t.Fatalf("%d requests still listed", n)
	}

	// The other branch, by URL or by a forged form: 403, nothing issued
	// or decided.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(fmt.Sprintf("%s/units/%d/links", d.srv.URL, second)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || text(t, ctx, "#error") != "你不是第二党支部或其上级单位的书记。" {
		t.Fatalf("another branch's links by URL = %d %q", resp.Status, text(t, ctx, "#error"))
	}
	c := d.client()
	d.signIn(c, secNumber, secPass)
	if code, body := d.post(c, fmt.Sprintf("/units/%d/linkcode", first), url.Values{"number": {"2023004"}}); code != http.StatusForbidden || strings.Contains(body, `id="code"`) {
		t.Fatalf("a code for 赵六 of 第二党支部 = %d:\n%s", code, body)
	}
	if code, _ := d.post(c, fmt.Sprintf("/units/%d/links/3/approve", first), nil); code != http.StatusForbidden {
		t.Fatalf("approving 赵六's request = %d", code)
	}
	if out := d.h.Flush(); len(out) != 0 {
		t.Fatalf("refused actions said: %q", out)
	}
}

var passwordLinkRE = regexp.MustCompile(`http://[0-9.:]+/set-password\?token=[A-Z0-9]+`)

// passwordLinkIn finds the one password link in chat output.
func passwordLinkIn(t *testing.T, out []string) string {
	t.Helper()
	links := passwordLinkRE.FindAllString(strings.Join(out, "\n"), -1)
	if len(links) != 1 {
		t.Fatalf("want one password link in:\n%s", strings.Join(out, "\n"))
	}
	return links[0]
}

func TestBrowserPasswordLinkFromPrivateChat(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	// 孙丽 of 学生工作部 has no password yet; she asks in her private chat,
	// phone style: the bare Chinese name.
	d.h.As("孙丽")
	d.h.Private()
	d.h.LinkSpeaker("T0006")
	out := d.h.Say("控制台")
	link := passwordLinkIn(t, out)
	if !strings.HasPrefix(out[0], "[私聊 孙丽] branchbot: 孙丽，这是设置网页控制台密码的链接（09:30 前有效，只能使用一次，请勿转发）：") {
		t.Fatalf("the chat got:\n%s", strings.Join(out, "\n"))
	}

	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("set-password")))
	if w := text(t, ctx, "#for"); w != "孙丽（T0006）" {
		t.Fatalf("the page is for %q", w)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("new-password"), "学生工作部孙丽的新密码"), chromedp.SendKeys(chromedp.ID("new-password-again"), "学生工作部孙丽的新密"))
	submit(t, ctx, "set-password-send")
	if e := text(t, ctx, "#error"); e != "两次输入的密码不一致。" {
		t.Fatalf("mismatched passwords: %q", e)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("new-password"), "短密码"), chromedp.SendKeys(chromedp.ID("new-password-again"), "短密码"))
	submit(t, ctx, "set-password-send")
	if e := text(t, ctx, "#error"); e != "密码至少需要 8 个字符（可以用中文）。" {
		t.Fatalf("a short password: %q", e)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("new-password"), "学生工作部孙丽的新密码"), chromedp.SendKeys(chromedp.ID("new-password-again"), "学生工作部孙丽的新密码"))
	submit(t, ctx, "set-password-send")
	if f := text(t, ctx, "#flash"); f != "密码已设置。请用工号 T0006 和新密码登录。" {
		t.Fatalf("flash = %q", f)
	}
	d.browserSignIn(t, ctx, "T0006", "学生工作部孙丽的新密码")
	if w := text(t, ctx, "#who"); w != "孙丽（学生工作部的工作人员）" {
		t.Fatalf("signed in as %q", w)
	}
	screenshot(t, ctx, "console-password-link.png")

	// Used once: the link is dead now.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(link))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusGone || !strings.Contains(text(t, ctx, "#error"), "这个链接无效、已过期或已经用过") {
		t.Fatalf("a used link = %d %q", resp.Status, text(t, ctx, "#error"))
	}
}

func TestPasswordLinkRules(t *testing.T) {
	d := newDesk(t)
	c := d.client()
	// Members may not; nor may anyone in a group.
	d.h.As("张三")
	d.h.Private()
	d.h.LinkSpeaker(memberNumber)
	if out := strings.Join(d.h.Say("/console"), "\n"); !strings.Contains(out, "只有工作人员、书记和管理员可以登录控制台。") || passwordLinkRE.MatchString(out) {
		t.Fatalf("a member asking:\n%s", out)
	}
	d.h.As("周书记")
	d.h.Group("第一党支部")
	d.h.LinkSpeaker(secNumber)
	if out := strings.Join(d.h.Say("/console"), "\n"); passwordLinkRE.MatchString(out) {
		t.Fatalf("a link sent in a group:\n%s", out)
	}
	// Expired after 30 minutes.
	d.h.Private()
	link := passwordLinkIn(t, d.h.Say("/console"))
	path := strings.TrimPrefix(link, d.srv.URL)
	if code, _ := d.get(c, path); code != http.StatusOK {
		t.Fatalf("a fresh link = %d", code)
	}
	d.h.Clock.Advance(31 * time.Minute)
	if code, _ := d.get(c, path); code != http.StatusGone {
		t.Fatalf("a link after 31 minutes = %d, want 410", code)
	}
	token := strings.TrimPrefix(path, "/set-password?token=")
	if code, _ := d.post(c, "/set-password", url.Values{"token": {token}, "password": {"新的足够长的密码"}, "again": {"新的足够长的密码"}}); code != http.StatusGone {
		t.Fatalf("setting a password with an expired link = %d", code)
	}
	// At most three an hour.
	d.h.Say("/console")
	d.h.Say("/console")
	if out := strings.Join(d.h.Say("/console"), "\n"); !strings.Contains(out, "一小时内最多获取 3 次链接") {
		t.Fatalf("the fourth link in an hour:\n%s", out)
	}

	// The forgot form says the same whatever the 工号, and sends only to a
	// console user with a private chat.
	d.h.Flush()
	for _, number := range []string{"T9999", memberNumber, "T0002", "T0006"} {
		resp, err := c.PostForm(d.srv.URL+"/password/forgot", url.Values{"number": {number}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("forgot %s = %d %s", number, resp.StatusCode, resp.Header.Get("Location"))
		}
		if out := d.h.Flush(); len(out) != 0 {
			t.Fatalf("forgot %s (no private chat, or not a console user) sent:\n%s", number, strings.Join(out, "\n"))
		}
	}
	d.h.As("孙丽")
	d.h.LinkSpeaker("T0006")
	d.h.Say("/whoami")
	if resp, err := c.PostForm(d.srv.URL+"/password/forgot", url.Values{"number": {"T0006"}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("forgot T0006: %v", err)
	}
	if out := d.h.Flush(); !strings.HasPrefix(strings.Join(out, "\n"), "[私聊 孙丽] branchbot: 孙丽，这是设置网页控制台密码的链接") {
		t.Fatalf("forgot T0006 with a private chat sent:\n%s", strings.Join(out, "\n"))
	}
	if _, body := d.get(c, "/login"); !strings.Contains(body, "如果这个工号可以登录控制台") {
		t.Fatalf("the sign-in page after the forgot form:\n%s", body)
	}
}
