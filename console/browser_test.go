package console_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's Chromium through chromedp (v0.23.1's
// generic API). Without a Chromium they skip, saying so (go test -v shows
// it); with CI set they fail instead, so CI never skips them (.ci/run
// installs chromium and fonts-wqy-microhei).

var screenshots = flag.String("screenshots", "", "also save the browser tests' screenshots in this folder (README's pictures: -screenshots screenshots)")

// chromium finds the browser: $BRANCHBOT_CHROMIUM, else chromium on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BRANCHBOT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("browser tests: no chromium found, and CI must not skip them (.ci/run installs chromium)")
	}
	t.Skip("browser tests SKIPPED: no chromium found (apt-get install chromium fonts-wqy-microhei, or set BRANCHBOT_CHROMIUM)")
	return ""
}

// shared is one headless Chromium for the package's browser tests, started
// by the first of them (TestMain closes it); each test gets its own
// browser context (its own cookies) in it.
var shared struct {
	once   sync.Once
	root   context.Context
	err    error
	cancel func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	os.Exit(code)
}

// browser opens a tab in a fresh browser context for one test; the browser
// makes no network request beyond loopback.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	shared.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("no-proxy-server", true),
			chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
			chromedp.WindowSize(1280, 860),
		)
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		root, cancelRoot := chromedp.NewContext(actx)
		shared.root, shared.cancel = root, func() { cancelRoot(); cancelAlloc() }
		shared.err = chromedp.Do(root) // starts the browser
	})
	if shared.err != nil {
		t.Fatalf("start chromium: %v", shared.err)
	}
	ctx, cancelTab := chromedp.NewContext(shared.root, chromedp.WithNewBrowserContext())
	ctx, cancelTime := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab() })
	// Any dialog (alert, confirm) fails the test: the console opens none,
	// so one would be script injected through user text.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			t.Errorf("a JavaScript dialog opened: %q", ev.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("read %s: %v", css, err)
	}
	return s
}

// browserSignIn fills the sign-in form and submits it.
func (d *desk) browserSignIn(t *testing.T, ctx context.Context, number, password string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(d.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("number"), number),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	submit(t, ctx, "signin")
}

// submit clicks the button with the id and waits for the page it leads to.
func submit(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID(id)))); err != nil {
		t.Fatalf("submit %s: %v", id, err)
	}
}

// screenshot saves a full-page PNG under the test's temporary folder, and
// in -screenshots when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir()}
	if *screenshots != "" {
		dirs = append(dirs, *screenshots)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBrowserSignInAndAnswerReachesMembersChat(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.suggest("/suggest 党课资料能否提前一天发到群里") // Monday 09:00: due Wednesday 17:30
	d.h.Clock.Advance(48 * time.Hour)
	d.h.Private()
	d.h.Say("/suggest -a 希望组织关系转接的流程写成一页纸") // Wednesday: due Friday 17:30
	d.h.Group("第一党支部")
	d.h.Say("/suggest 入党积极分子培训的时间和地点请早点通知")
	d.h.Clock.Advance(49 * time.Hour) // Friday 10:00: #1 is overdue by Thursday (9 working hours) and 1.5, #2 and #3 due today
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	if who := text(t, ctx, "#who"); who != "刘芳（组织部的组织员）" {
		t.Fatalf("signed in as %q", who)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#queue-rows tr[id]").length`))
	if err != nil || rows != 3 {
		t.Fatalf("queue rows = %d (%v), want 3", rows, err)
	}
	classes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#queue-rows tr[id]")].map(r => r.id + " " + r.className)`))
	if err != nil || strings.Join(classes, ",") != "t1 overdue,t2 dueday,t3 dueday" {
		t.Fatalf("rows = %q (%v), want #1 overdue (red), #2 and #3 due today (amber)", classes, err)
	}
	if left := text(t, ctx, "#t1 td.left"); left != "已逾期 10 工作小时 30 分" {
		t.Fatalf("#1's countdown = %q", left)
	}
	if filer := text(t, ctx, "#t2 td:nth-child(7)"); filer != "匿名" {
		t.Fatalf("the anonymous ticket's filer reads %q", filer)
	}
	screenshot(t, ctx, "console-queue.png")
	// The rows refresh through htmx (every minute); ask htmx for them now
	// and see it swap the table body for the server's fragment.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#t1 td.left").textContent = "stale"; htmx.ajax("GET", "/tickets/rows", {target: "#queue-rows", swap: "outerHTML"})`))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#t1 td.left").textContent === "已逾期 10 工作小时 30 分"`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("htmx did not swap in fresh rows: %v", err)
	}

	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`#t1 a`)))); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("answer-text"), "已请各支部在上课前一天把资料发到群里。"),
	)
	submit(t, ctx, "answer-send")
	if flash := text(t, ctx, "#flash"); !strings.Contains(flash, "已答复建议 #1") {
		t.Fatalf("flash = %q", flash)
	}
	if st := text(t, ctx, "#status"); !strings.HasPrefix(st, "已答复") {
		t.Fatalf("status after answering = %q", st)
	}
	screenshot(t, ctx, "console-ticket.png")
	// The member hears it in the chat where they filed, through the outbox.
	got := strings.Join(d.h.Flush(), "\n")
	want := "[第一党支部] branchbot: @张三 你的建议 #1 有了答复（组织部）：\n已请各支部在上课前一天把资料发到群里。"
	if got != want {
		t.Fatalf("the member's chat got:\n%s\nwant:\n%s", got, want)
	}

	// Closing without a reason is allowed once answered; reopening asks
	// nothing and tells the member the new deadline.
	submit(t, ctx, "close-send")
	if st := text(t, ctx, "#status"); st != "已关闭" {
		t.Fatalf("status after closing = %q", st)
	}
	submit(t, ctx, "reopen-send")
	out := strings.Join(d.h.Flush(), "\n")
	if !strings.Contains(out, "你的建议 #1 已办结关闭") || !strings.Contains(out, "你的建议 #1 已由组织部重新打开") {
		t.Fatalf("the member's chat after close and reopen:\n%s", out)
	}
}

func TestBrowserCloseUnansweredNeedsReason(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.suggest("/suggest 党费缴纳能否支持线上")
	d.h.Flush()
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets/1"))
	submit(t, ctx, "close-send")
	if e := text(t, ctx, "#error"); !strings.Contains(e, "未答复就关闭须写明理由") {
		t.Fatalf("closing unanswered without a reason: %q", e)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("close-reason"), "与建议 #3 重复，已合并处理"))
	submit(t, ctx, "close-send")
	if out := strings.Join(d.h.Flush(), "\n"); !strings.Contains(out, "理由：与建议 #3 重复，已合并处理") {
		t.Fatalf("the member was not told the reason:\n%s", out)
	}
}

func TestBrowserLockout(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	for i := 0; i < 5; i++ {
		d.browserSignIn(t, ctx, staffNumber, fmt.Sprintf("错误的密码%d", i))
		if e := text(t, ctx, "#error"); !strings.Contains(e, "工号或密码不正确") {
			t.Fatalf("attempt %d: %q", i+1, e)
		}
	}
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	if e := text(t, ctx, "#error"); !strings.Contains(e, "已暂时锁定") {
		t.Fatalf("the right password after five failures: %q", e)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login") {
		t.Fatalf("a locked sign-in went on to %s", loc)
	}
}

func TestBrowserScriptInTicketTextRendersAsText(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	evil := "</script><script>alert(1)</script>党课<b>加粗</b>"
	d.suggest("/suggest " + evil)
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	if s := text(t, ctx, "#t1 td.text"); !strings.HasPrefix(s, "</script><script>alert(1)</script>党课<b>") {
		t.Fatalf("the queue shows %q, want the text as typed (shortened)", s)
	}
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets/1"), chromedp.WaitVisible(chromedp.ID("text")))
	if s := text(t, ctx, "#text"); s != evil {
		t.Fatalf("the ticket page shows %q, want the text as typed", s)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("b").length`))
	if err != nil || n != 0 {
		t.Fatalf("%d <b> elements made from ticket text (%v)", n, err)
	}
	// An answer with markup goes through the form and shows as text too.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("answer-text"), `<img src=x onerror=alert(2)>`))
	submit(t, ctx, "answer-send")
	if h := text(t, ctx, "#history"); !strings.Contains(h, `<img src=x onerror=alert(2)>`) {
		t.Fatalf("history = %q", h)
	}
	// The dialog listener (see browser) fails the test if anything ran.
	do(t, ctx, chromedp.Sleep(200*time.Millisecond))
}

func TestBrowserCrossSitePostRefused(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.suggest("/suggest 党课资料能否提前一天发到群里")
	d.h.Flush()
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	// Another origin (another port) serves a page with a form that posts
	// an answer to the console; the browser holds the console's cookie.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/tickets/1/answer"><input name="text" value="伪造的答复"><button id="go">go</button></form>`, d.srv.URL)
	}))
	defer evil.Close()
	do(t, ctx, chromedp.Navigate(evil.URL))
	submit(t, ctx, "go")
	if e := text(t, ctx, "#error"); !strings.Contains(e, "跨站请求已被拒绝") {
		t.Fatalf("cross-site POST answered: %q", e)
	}
	if out := d.h.Flush(); len(out) != 0 {
		t.Fatalf("the cross-site POST reached the chat: %q", out)
	}
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/tickets/1"), chromedp.WaitVisible(chromedp.ID("history")))
	if h := text(t, ctx, "#history"); strings.Contains(h, "伪造的答复") {
		t.Fatalf("the ticket was answered: %q", h)
	}
}

func TestBrowserSecretaryCannotOpenAnotherBranch(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.browserSignIn(t, ctx, secNumber, secPass)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, fmt.Sprintf("/units/%d", d.unitID("第一党支部"))) {
		t.Fatalf("a secretary lands on %s, want their branch's roster", loc)
	}
	if s := text(t, ctx, "#summary"); !strings.Contains(s, "第一党支部") {
		t.Fatalf("summary = %q", s)
	}
	screenshot(t, ctx, "console-roster.png")
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(fmt.Sprintf("%s/units/%d", d.srv.URL, d.unitID(otherBranch))))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden {
		t.Fatalf("another branch by URL = %d, want 403", resp.Status)
	}
	if e := text(t, ctx, "#error"); e != "你不是第二党支部或其上级单位的书记。" {
		t.Fatalf("refusal = %q", e)
	}
	if body := text(t, ctx, "main"); strings.Contains(body, "赵六") {
		t.Fatal("the refusal shows another branch's roster")
	}
}

func TestBrowserBroadcastReview(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.h.Group("第一党支部")
	d.h.As("王老师")
	d.h.Say("/bind 第一党支部")
	d.h.As("周书记")
	d.h.LinkSpeaker(secNumber)
	d.h.Say("/broadcast 第一党支部 本周六上午九点在党员活动室开展主题党日，请准时参加。")
	d.h.Say("/broadcast 第一党支部 草稿：下周一交党费")
	d.h.Flush()

	d.browserSignIn(t, ctx, viceNumber, vicePass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/broadcasts"), chromedp.WaitVisible(chromedp.ID("b1")))
	if h := text(t, ctx, "#b1 h2"); h != "通知 #1：周书记 → 第一党支部（分管副部长审核）" {
		t.Fatalf("draft heading = %q", h)
	}
	submit(t, ctx, "approve-1")
	if f := text(t, ctx, "#flash"); f != "已通过通知 #1（分管副部长审核），转「部长审批」。" {
		t.Fatalf("flash = %q", f)
	}
	if out := strings.Join(d.h.Flush(), "\n"); !strings.Contains(out, "你的通知 #1 已由 黄伟 通过「分管副部长审核」，等待「部长审批」。") {
		t.Fatalf("the author was not told:\n%s", out)
	}
	// The first level's reviewer no longer sees #1; the author never sees
	// their own drafts.
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#b1").length`)); n != 0 {
		t.Fatal("#1 is still listed for the first level")
	}
	submit(t, ctx, "logout")

	d.browserSignIn(t, ctx, headNumber, headPass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/broadcasts"), chromedp.WaitVisible(chromedp.ID("b1")))
	screenshot(t, ctx, "console-review.png")
	submit(t, ctx, "reject-1")
	if e := text(t, ctx, "#error"); e != "驳回须写明理由。" {
		t.Fatalf("reject without a reason: %q", e)
	}
	submit(t, ctx, "approve-1")
	if f := text(t, ctx, "#flash"); f != "已通过通知 #1（部长审批），审核完成，通知已发出。" {
		t.Fatalf("flash = %q", f)
	}
	out := strings.Join(d.h.Flush(), "\n")
	if !strings.Contains(out, "本周六上午九点在党员活动室开展主题党日") || !strings.Contains(out, "审核完成，已发往「第一党支部」的 1 个群") {
		t.Fatalf("the notice did not go out:\n%s", out)
	}

	// #2 waits at the first level: 赵强 cannot decide it.
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#b2").length`)); n != 0 {
		t.Fatal("the second level sees a draft waiting for the first")
	}
	submit(t, ctx, "logout")
	d.browserSignIn(t, ctx, viceNumber, vicePass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/broadcasts"), chromedp.WaitVisible(chromedp.ID("b2")),
		chromedp.SendKeys(chromedp.ID("reason-2"), "日期未定，请确认后再发"))
	submit(t, ctx, "reject-2")
	if f := text(t, ctx, "#flash"); f != "已驳回通知 #2（分管副部长审核）。" {
		t.Fatalf("flash = %q", f)
	}
	if out := strings.Join(d.h.Flush(), "\n"); !strings.Contains(out, "你的通知 #2 被 黄伟 在「分管副部长审核」驳回，理由：日期未定，请确认后再发") {
		t.Fatalf("the author was not told the reason:\n%s", out)
	}
	if s := text(t, ctx, "#none"); s != "没有等待你审核的通知。" {
		t.Fatalf("review page after deciding all = %q", s)
	}
}

// checkinsInBranch runs two check-in sessions in the 第一党支部 group, the
// second titled with script: 周书记 opens both (and so is present), 张三
// comes to the first, 李四 late to the second; 王五 never linked.
func (d *desk) checkinsInBranch(title2 string) {
	d.t.Helper()
	h := d.h
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/bind 第一党支部")
	for name, number := range map[string]string{"周书记": secNumber, "张三": memberNumber, "李四": "2023002"} {
		h.As(name)
		h.LinkSpeaker(number)
	}
	h.As("周书记")
	h.Say("/checkin open 十一月主题党日 30m")
	h.As("张三")
	h.Say("签到")
	h.Clock.Advance(40 * time.Minute)
	h.Tick()
	h.Clock.Advance(24 * time.Hour)
	h.As("周书记")
	h.Say("/checkin open " + title2 + " 30m late=10m")
	h.Clock.Advance(35 * time.Minute)
	h.As("李四")
	h.Say("签到")
	h.Clock.Advance(10 * time.Minute)
	h.Tick()
}

func TestBrowserAttendanceChartWithChineseLabels(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	evil := "</script><script>alert(1)</script>支部大会"
	d.checkinsInBranch(evil)
	d.browserSignIn(t, ctx, secNumber, secPass)
	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/units/%d/attendance", d.srv.URL, d.unitID("第一党支部"))),
		chromedp.WaitVisible(chromedp.CSS(`#attendance-chart[data-drawn="1"] canvas`)),
	)
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`echarts.getInstanceByDom(document.getElementById("attendance-chart")).getOption().xAxis[0].data`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"第一党支部 #1 十一月主题党日", "第一党支部 #2 " + evil}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Fatalf("chart labels = %q, want %q", labels, want)
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[][]int](`echarts.getInstanceByDom(document.getElementById("attendance-chart")).getOption().series.map(s => s.data)`))
	if err != nil {
		t.Fatal(err)
	}
	// 按时, 迟到, 补签, 请假, 缺席, 未绑定: #1 周书记 and 张三 on time, 李四 absent, 王五
	// unlinked; #2 周书记 on time, 李四 late, 张三 absent.
	if fmt.Sprint(counts) != "[[2 1] [0 1] [0 0] [0 0] [1 1] [1 1]]" {
		t.Fatalf("chart counts = %v", counts)
	}
	if row := text(t, ctx, "#attendance tbody tr:first-child td:nth-child(2)"); row != "#2 "+evil {
		t.Fatalf("the table shows %q", row)
	}
	screenshot(t, ctx, "console-attendance.png")

	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(fmt.Sprintf("%s/units/%d/attendance", d.srv.URL, d.unitID(otherBranch))))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || text(t, ctx, "#error") != "你不是第二党支部或其上级单位的书记。" {
		t.Fatalf("another branch's check-ins by URL = %d %q", resp.Status, text(t, ctx, "#error"))
	}
}

func TestBrowserSLAReportChart(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.ticketsForReport()
	d.browserSignIn(t, ctx, staffNumber, staffPass)
	do(t, ctx,
		chromedp.Navigate(d.srv.URL+"/reports/sla?month=2026-11"),
		chromedp.WaitVisible(chromedp.CSS(`#sla-chart[data-drawn="1"] canvas`)),
	)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const o = echarts.getInstanceByDom(document.getElementById("sla-chart")).getOption(); return o.xAxis[0].data.map((n, i) => n + "=" + o.series[0].data[i]); })()`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "组织部=50,学生工作部=0" {
		t.Fatalf("chart = %q", got)
	}
	screenshot(t, ctx, "console-sla.png")
}

func TestBrowserRosterUploadShowsLineNumbers(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "花名册.csv")
	if err := os.WriteFile(bad, []byte("姓名,学号/工号,单位,角色,手机\n钱七,2023005,第一党支部,党员,\n孙八,2023006,不存在的支部,党员,\n,2023007,第一党支部,党员,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.browserSignIn(t, ctx, adminNumber, adminPass)
	do(t, ctx, chromedp.Navigate(d.srv.URL+"/roster/import"), chromedp.SetUploadFiles(chromedp.ID("roster-file"), []string{bad}))
	submit(t, ctx, "roster-send")
	if e := text(t, ctx, "#error"); e != "「花名册.csv」有 2 行有误，没有导入任何一行。请改正后重新上传。" {
		t.Fatalf("error = %q", e)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#bad-rows li")].map(li => li.textContent)`))
	if err != nil || len(rows) != 2 || !strings.HasPrefix(rows[0], "第 3 行：") || !strings.HasPrefix(rows[1], "第 4 行：") {
		t.Fatalf("bad rows = %q (%v)", rows, err)
	}
	if _, err := d.h.DB.RosterByNumber(context.Background(), "2023005"); err == nil {
		t.Fatal("a file with bad rows imported its good row")
	}
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("姓名,学号/工号,单位,角色,手机\n钱七,2023005,第一党支部,党员,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SetUploadFiles(chromedp.ID("roster-file"), []string{good}))
	submit(t, ctx, "roster-send")
	if f := text(t, ctx, "#flash"); !strings.HasPrefix(f, "已导入「good.csv」：新增 1 人，更新 0 人，未变 0 人。花名册中另有 14 人不在文件中，已保留") {
		t.Fatalf("flash = %q", f)
	}
	if e, err := d.h.DB.RosterByNumber(context.Background(), "2023005"); err != nil || e.Name != "钱七" {
		t.Fatalf("钱七 = %+v, %v", e, err)
	}
}
