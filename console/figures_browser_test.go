package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/followup"
	"github.com/branchbot/branchbot/commands/relay"
	"github.com/branchbot/branchbot/commands/study"
)

// addEvilMember puts evilName (a name that is script: every page and chart
// must show it as text) on 第一党支部's roster (number 2023099).
func (d *desk) addEvilMember() {
	d.t.Helper()
	e := bot.RosterEntry{Name: evilName, Number: "2023099", UnitID: d.unitID("第一党支部"), Title: "党员"}
	if _, _, _, _, err := d.h.DB.UploadRoster(context.Background(), []bot.RosterEntry{e}, d.h.Clock.Now()); err != nil {
		d.t.Fatal(err)
	}
}

// bindBranch binds the 第一党支部 group (as 王老师) and links its speakers
// by name to roster numbers; the group stays the current chat.
func (d *desk) bindBranch(linked map[string]string) {
	d.t.Helper()
	d.h.Group("第一党支部")
	d.h.As("王老师")
	d.h.Say("/bind 第一党支部")
	for name, number := range linked {
		d.h.As(name)
		d.h.LinkSpeaker(number)
	}
}

// download fetches a workbook as the signed-in client c and opens it.
func (d *desk) download(c *http.Client, path, wantFile string) *excelize.File {
	d.t.Helper()
	resp, err := c.Get(d.srv.URL + path)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename="`+wantFile+`"` {
		d.t.Fatalf("download %s = %d %q", path, resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	x, err := excelize.OpenReader(resp.Body)
	if err != nil {
		d.t.Fatalf("open %s: %v", path, err)
	}
	d.t.Cleanup(func() { x.Close() })
	return x
}

// rows reads a sheet, each row joined by "|".
func rows(t *testing.T, x *excelize.File, sheet string) []string {
	t.Helper()
	rs, err := x.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strings.Join(r, "|")
	}
	return out
}

// chartOption evaluates an expression over the ECharts option of the chart
// in the element with the id (o).
func chartOption[T any](t *testing.T, ctx context.Context, id, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](fmt.Sprintf(`(() => { const o = echarts.getInstanceByDom(document.getElementById(%q)).getOption(); return %s; })()`, id, expr)))
	if err != nil {
		t.Fatalf("chart %s: %s: %v", id, expr, err)
	}
	return v
}

// forbiddenByURL opens another branch's page and wants the chat's refusal.
func (d *desk) forbiddenByURL(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(d.srv.URL+path))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || text(t, ctx, "#error") != "你不是第二党支部或其上级单位的书记。" {
		t.Fatalf("%s = %d %q, want 403 and the refusal", path, resp.Status, text(t, ctx, "#error"))
	}
}

func TestBrowserAttendanceShowsLeaveAndMakeup(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.addEvilMember()
	h := d.h
	d.bindBranch(map[string]string{"周书记": secNumber, "张三": memberNumber, "李四": "2023002", "王五": "2023003", "坏人": "2023099"})
	h.As("周书记")
	h.Say("/checkin open 十二月主题党日 30m")
	h.As("张三")
	h.Say("签到")
	h.As("王五")
	h.Say("/请假 在外实习")
	h.As("周书记")
	h.Say("/absence approve 1")
	h.Say("/补签 李四")
	h.Clock.Advance(40 * time.Minute)
	h.Tick()
	h.Flush()

	d.browserSignIn(t, ctx, secNumber, secPass)
	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/units/%d/attendance", d.srv.URL, d.unitID("第一党支部"))),
		chromedp.WaitVisible(chromedp.CSS(`#attendance-chart[data-drawn="1"] canvas`)),
	)
	if got := text(t, ctx, "#attendance tbody tr:first-child td.madeup"); got != "1：李四（周书记补签）" {
		t.Fatalf("补签 cell = %q", got)
	}
	if got := text(t, ctx, "#attendance tbody tr:first-child td.leave"); got != "1：王五（事由：在外实习）" {
		t.Fatalf("请假 cell = %q", got)
	}
	if got := text(t, ctx, "#attendance tbody tr:first-child td.absent"); got != "1："+evilName {
		t.Fatalf("缺席 cell = %q, want the script name as text", got)
	}
	legend := chartOption[[]string](t, ctx, "attendance-chart", "o.legend[0].data")
	if strings.Join(legend, ",") != "按时,迟到,补签,请假,缺席,未绑定花名册" {
		t.Fatalf("legend = %q", legend)
	}
	counts := chartOption[[][]int](t, ctx, "attendance-chart", "o.series.map(s => s.data)")
	if fmt.Sprint(counts) != "[[2] [0] [1] [1] [1] [0]]" {
		t.Fatalf("chart counts = %v (on time 周书记 张三, made up 李四, leave 王五, absent the script name)", counts)
	}
	screenshot(t, ctx, "console-attendance-leave.png")
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/attendance.xlsx", d.unitID(otherBranch)))

	c := d.client()
	d.signIn(c, secNumber, secPass)
	x := d.download(c, fmt.Sprintf("/units/%d/attendance.xlsx", d.unitID("第一党支部")), fmt.Sprintf("attendance-%d.xlsx", d.unitID("第一党支部")))
	sum := rows(t, x, "汇总")
	if len(sum) != 2 || sum[0] != "群|签到|发起时间|应到|按时|迟到|补签|请假|缺席|未绑定花名册|名单外" ||
		sum[1] != "第一党支部|#1 十二月主题党日|2026-11-23 09:00|5|2|0|1|1|1|0|0" {
		t.Fatalf("汇总 = %q", sum)
	}
	names := strings.Join(rows(t, x, "名单"), "\n")
	for _, want := range []string{"|补签|李四（周书记补签）", "|请假|王五（事由：在外实习）", "|缺席|" + evilName, "|按时|张三"} {
		if !strings.Contains(names, want) {
			t.Fatalf("名单 lacks %q:\n%s", want, names)
		}
	}
}

// figureFeatures are the features of the figure pages, as
// commands.Register builds them.
type figureFeatures struct {
	relays   *relay.Feature
	study    *study.Feature
	followup *followup.Feature
}

func newFigureFeatures(t testing.TB, h *commandtest.Harness, cal *calendar.Calendar) figureFeatures {
	st, err := study.New(h.Engine, h.DB, h.Config, cal, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return figureFeatures{relays: relay.New(h.Engine, h.DB), study: st, followup: followup.New(h.Engine, h.DB, commands.FollowupOptions(h.Config))}
}

func (f figureFeatures) list() []bot.Feature { return []bot.Feature{f.relays, f.study, f.followup} }

func TestBrowserRelaysWithTheirLists(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.addEvilMember()
	h := d.h
	d.bindBranch(map[string]string{"周书记": secNumber, "张三": memberNumber, "李四": "2023002", "坏人": "2023099"})
	h.As("周书记")
	h.Say("/relay 周六志愿服务 limit=2")
	h.As("张三")
	h.Say("接龙 带水")
	h.As("坏人")
	h.Say("接龙")
	h.As("李四")
	h.Say("接龙")
	h.As("周书记")
	h.Say("/relay close")
	h.Clock.Advance(time.Hour)
	h.Say("/relay 党费交纳 until=周五18:00 for=第一党支部")
	h.Say("/relay add 王五")
	h.Flush()

	d.browserSignIn(t, ctx, secNumber, secPass)
	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/units/%d/relays", d.srv.URL, d.unitID("第一党支部"))),
		chromedp.WaitVisible(chromedp.CSS(`#relays-chart[data-drawn="1"] canvas`)),
	)
	labels := chartOption[[]string](t, ctx, "relays-chart", "o.xAxis[0].data")
	if strings.Join(labels, "|") != "第一党支部 #1 周六志愿服务|第一党支部 #2 党费交纳" {
		t.Fatalf("chart labels = %q", labels)
	}
	counts := chartOption[[]any](t, ctx, "relays-chart", "o.series.map(s => s.name + '=' + JSON.stringify(s.data))")
	if fmt.Sprint(counts) != `[已报名=[2,1] 候补=[1,0] 名额=[2,null]]` {
		t.Fatalf("chart series = %v", counts)
	}
	list, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.relay")].map(s => s.id + ": " + [...s.querySelectorAll("li")].map(li => li.textContent).join(","))`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(list, "\n") != "r2: 王五（周书记代接龙）\nr1: 张三（带水）,"+evilName+",李四" {
		t.Fatalf("lists = %q", list)
	}
	if w := text(t, ctx, "#r1 ol.waitlist"); w != "李四" {
		t.Fatalf("waitlist = %q", w)
	}
	if h2 := text(t, ctx, "#r1 h2"); h2 != "第一党支部 #1 周六志愿服务（已结束）" {
		t.Fatalf("closed relay heading = %q", h2)
	}
	if terms := text(t, ctx, "#r2 p.terms"); !strings.Contains(terms, "不限人数，已报名 1；应参加：第一党支部全体（催办）") {
		t.Fatalf("open relay terms = %q", terms)
	}
	screenshot(t, ctx, "console-relays.png")
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/relays", d.unitID(otherBranch)))
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/relays.xlsx", d.unitID(otherBranch)))

	c := d.client()
	d.signIn(c, secNumber, secPass)
	x := d.download(c, fmt.Sprintf("/units/%d/relays.xlsx", d.unitID("第一党支部")), fmt.Sprintf("relays-%d.xlsx", d.unitID("第一党支部")))
	want := []string{
		"群|接龙|发起时间|截止时间|名额|已报名|候补|应参加|状态",
		"第一党支部|#2 党费交纳|2026-11-23 10:00|2026-11-27 18:00|不限|1|0|第一党支部全体|进行中",
		"第一党支部|#1 周六志愿服务|2026-11-23 09:00|不限|2|2|1||已结束",
	}
	if got := rows(t, x, "汇总"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("汇总 =\n%s", strings.Join(got, "\n"))
	}
	want = []string{
		"群|接龙|序号|姓名|备注|报名时间|候补",
		"第一党支部|#2 党费交纳|1|王五|周书记代接龙|2026-11-23 10:00",
		"第一党支部|#1 周六志愿服务|1|张三|带水|2026-11-23 09:00",
		"第一党支部|#1 周六志愿服务|2|" + evilName + "||2026-11-23 09:00",
		"第一党支部|#1 周六志愿服务|3|李四||2026-11-23 09:00|候补1",
	}
	if got := rows(t, x, "名单"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("名单 =\n%s", strings.Join(got, "\n"))
	}
}

func TestBrowserStudyCompletionOverAPeriod(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.addEvilMember()
	h := d.h
	day := func(m time.Month, dd int) time.Time { return time.Date(2026, m, dd, 8, 0, 0, 0, commandtest.Shanghai) }
	items := []study.Item{
		{Slug: "a", Column: "理论学习", Title: "十一月理论学习", Body: "正文", PublishedAt: day(11, 2)},
		{Slug: "b", Column: "支部动态", Title: "第一党支部学习资料", Body: "正文", Units: []string{"第一党支部"}, PublishedAt: day(11, 20)},
		{Slug: "c", Column: "理论学习", Title: "十月理论学习", Body: "正文", PublishedAt: day(10, 15)},
		{Slug: "d", Column: "支部动态", Title: "第二党支部学习资料", Body: "正文", Units: []string{"第二党支部"}, PublishedAt: day(11, 21)},
	}
	if _, _, err := h.DB.UpsertContent(context.Background(), items, day(10, 1)); err != nil {
		t.Fatal(err)
	}
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/bind 第一党支部")
	h.As("张三")
	h.LinkSpeaker(memberNumber)
	h.Say("/studied 1")
	h.Say("/studied 3")
	h.As("坏人")
	h.LinkSpeaker("2023099")
	h.Say("/studied 2")
	h.Flush()
	// Item #1 was pushed to the group (as a scheduled push records it).
	groups, err := h.DB.ActiveGroupsByTitle(context.Background(), "第一党支部")
	if err != nil || len(groups) != 1 {
		t.Fatalf("groups = %v, %v", groups, err)
	}
	if err := h.DB.UpdateStudy(context.Background(), h.Clock.Now(), func(tx study.Tx) error {
		return tx.RecordPushDelivery(study.Delivery{ChatID: groups[0].ID, ItemID: 1, Schedule: "每日学习", Occurrence: day(11, 2)})
	}); err != nil {
		t.Fatal(err)
	}

	d.browserSignIn(t, ctx, secNumber, secPass)
	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/units/%d/study", d.srv.URL, d.unitID("第一党支部"))),
		chromedp.WaitVisible(chromedp.CSS(`#study-chart[data-drawn="1"] canvas`)),
	)
	if s := text(t, ctx, "#summary"); s != "2026-11-01 至 2026-11-30 发布的学习内容 2 条；第一党支部及下级单位 5 人。" {
		t.Fatalf("summary (default: this month) = %q", s)
	}
	bars := chartOption[[]string](t, ctx, "study-chart", `o.xAxis[0].data.map((n, i) => n + "=" + o.series[0].data[i])`)
	if strings.Join(bars, ",") != "第一党支部=20" {
		t.Fatalf("chart = %q (2 of 10 due pairs studied)", bars)
	}
	if got := text(t, ctx, "#i2"); !strings.Contains(got, "1/5") || !strings.Contains(got, evilName) {
		t.Fatalf("item #2 row = %q", got)
	}
	members, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#study-members tbody tr")].map(r => [...r.cells].map(c => c.textContent).join("|"))`))
	if err != nil {
		t.Fatal(err)
	}
	want := "2023001|张三|第一党支部|1|2|50%\n2023002|李四|第一党支部|0|2|0%\n2023003|王五|第一党支部|0|2|0%\n2023099|" + evilName + "|第一党支部|1|2|50%\nT0007|周书记|第一党支部|0|2|0%"
	if strings.Join(members, "\n") != want {
		t.Fatalf("members =\n%s", strings.Join(members, "\n"))
	}
	screenshot(t, ctx, "console-study.png")

	// October: only the October item, which 张三 studied.
	do(t, ctx, chromedp.SetValue(chromedp.ID("from"), "2026-10-01"), chromedp.SetValue(chromedp.ID("to"), "2026-10-31"))
	submit(t, ctx, "period-send")
	if s := text(t, ctx, "#summary"); s != "2026-10-01 至 2026-10-31 发布的学习内容 1 条；第一党支部及下级单位 5 人。" {
		t.Fatalf("October summary = %q", s)
	}
	if bars := chartOption[[]string](t, ctx, "study-chart", `o.xAxis[0].data.map((n, i) => n + "=" + o.series[0].data[i])`); strings.Join(bars, ",") != "第一党支部=20" {
		t.Fatalf("October chart = %q", bars)
	}
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/units/%d/study?from=2026-11-30&to=2026-11-01", d.srv.URL, d.unitID("第一党支部"))))
	if e := text(t, ctx, "#error"); e != "结束日期不能早于开始日期。" {
		t.Fatalf("a reversed period = %q", e)
	}
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/study", d.unitID(otherBranch)))
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/study.xlsx", d.unitID(otherBranch)))

	c := d.client()
	d.signIn(c, secNumber, secPass)
	x := d.download(c, fmt.Sprintf("/units/%d/study.xlsx?from=2026-11-01&to=2026-11-30", d.unitID("第一党支部")),
		fmt.Sprintf("study-%d-2026-11-01-2026-11-30.xlsx", d.unitID("第一党支部")))
	if got := rows(t, x, "按单位"); strings.Join(got, "\n") != "单位|人数|已学|应学|完成率\n第一党支部|5|2|10|20%" {
		t.Fatalf("按单位 =\n%s", strings.Join(got, "\n"))
	}
	if got := rows(t, x, "按成员"); len(got) != 6 || got[1] != "2023001|张三|第一党支部|1|2|50%" {
		t.Fatalf("按成员 =\n%s", strings.Join(got, "\n"))
	}
	if got := rows(t, x, "按内容"); strings.Join(got, "\n") != "编号|标题|栏目|发布日期|推送到群|应学|已学|已学名单\n2|第一党支部学习资料|支部动态|2026-11-20|0|5|1|"+evilName+"\n1|十一月理论学习|理论学习|2026-11-02|1|5|1|张三" {
		t.Fatalf("按内容 =\n%s", strings.Join(got, "\n"))
	}
}

func TestBrowserFollowupRemindsAsRemindDoes(t *testing.T) {
	d := newDesk(t)
	ctx := browser(t)
	d.addEvilMember()
	h := d.h
	h.Group("第二党支部")
	h.As("王老师")
	h.Say("/bind 第二党支部")
	h.As("陈书记")
	h.LinkSpeaker("T0008")
	h.Say("/checkin open 第二党支部党日 30m")
	d.bindBranch(map[string]string{"周书记": secNumber, "张三": memberNumber, "李四": "2023002", "坏人": "2023099"})
	h.As("李四")
	h.Private()
	h.Say("/whoami") // 李四 has a private chat with the bot
	h.Group("第一党支部")
	h.As("周书记")
	h.Say("/checkin open 十二月主题党日 30m")
	h.As("张三")
	h.Say("/请假 在外实习")
	h.As("周书记")
	h.Say("/absence approve 1")
	h.Say("/relay 党费交纳 until=周五18:00 for=第一党支部")
	h.Flush()

	d.browserSignIn(t, ctx, secNumber, secPass)
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/units/%d/followup", d.srv.URL, d.unitID("第一党支部"))), chromedp.WaitVisible(chromedp.ID("tasks")))
	tasks, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#tasks tbody tr")].map(r => [...r.cells].map(c => c.textContent).join("|"))`))
	if err != nil {
		t.Fatal(err)
	}
	want := "签到 #1「十二月主题党日」|第一党支部|2026-11-23 09:30|5|1|1|2|1\n接龙 #1「党费交纳」|第一党支部|2026-11-27 18:00|5|0|0|4|1"
	if strings.Join(tasks, "\n") != want {
		t.Fatalf("tasks =\n%s", strings.Join(tasks, "\n"))
	}
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`#tasks tr[id^="checkin"] a`)))); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#task-chart[data-drawn="1"] canvas`)))
	bars := chartOption[[]string](t, ctx, "task-chart", `o.xAxis[0].data.map((n, i) => n + "=" + o.series[0].data[i].value)`)
	if strings.Join(bars, ",") != "已签到=1,请假=1,未完成=2,未绑定花名册=1" {
		t.Fatalf("chart = %q", bars)
	}
	for id, want := range map[string]string{"done": "周书记", "leave": "张三", "pending": "李四、" + evilName, "unlinked": "王五"} {
		if got := text(t, ctx, "#"+id+" td:last-child"); got != want {
			t.Fatalf("%s = %q, want %q", id, got, want)
		}
	}
	screenshot(t, ctx, "console-followup.png")
	submit(t, ctx, "remind-send")
	flash := text(t, ctx, "#flash")
	for _, want := range []string{"签到 #1「十二月主题党日」：应参加 5 人，已签到 1 人，请假 1 人（不提醒）。", "已私聊提醒 1 人：李四",
		"已在群「第一党支部」点名提醒 1 人：" + evilName, "未绑定花名册、无法提醒 1 人：王五"} {
		if !strings.Contains(flash, want) {
			t.Fatalf("flash lacks %q:\n%s", want, flash)
		}
	}
	out := strings.Join(h.Flush(), "\n")
	if !strings.Contains(out, "提醒：群「第一党支部」的签到 #1「十二月主题党日」") || !strings.Contains(out, "以下同志还没有签到：@"+evilName) {
		t.Fatalf("the reminders sent:\n%s", out)
	}
	for _, never := range []string{"@张三", "@周书记", "@王五"} {
		if strings.Contains(out, never) {
			t.Fatalf("reminded %s (on leave, done or unlinked):\n%s", never, out)
		}
	}
	// The secretary's answer is on the page, not in a chat.
	if strings.Contains(out, "已私聊提醒") {
		t.Fatalf("the answer went to a chat:\n%s", out)
	}

	// Another branch's tasks by URL: the chat's refusal.
	d.forbiddenByURL(t, ctx, fmt.Sprintf("/units/%d/followup", d.unitID(otherBranch)))
	d.forbiddenByURL(t, ctx, "/followup/checkin/1")
	// Nor a reminder posted to it (a form on the console's own origin).
	c := d.client()
	d.signIn(c, secNumber, secPass)
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/followup/checkin/1/remind", nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(h.Flush()) != 0 {
		t.Fatalf("reminding another branch's check-in = %d", resp.StatusCode)
	}

	// Once the session is over it is not reminded.
	h.Clock.Advance(time.Hour)
	h.Tick()
	h.Flush()
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/followup/checkin/2", d.srv.URL)), chromedp.WaitVisible(chromedp.ID("terms")))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#remind-send").length`)); n != 0 {
		t.Fatal("an ended session offers reminders")
	}
	req2, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/followup/checkin/2/remind", nil)
	req2.Header.Set("Sec-Fetch-Site", "same-origin")
	code, body := d.do(c, req2)
	if code != http.StatusBadRequest || !strings.Contains(body, "签到 #1「十二月主题党日」已结束，不再提醒。") {
		t.Fatalf("reminding an ended session = %d", code)
	}
}

// do sends a request as c and returns its status and body.
func (d *desk) do(c *http.Client, req *http.Request) (int, string) {
	d.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}
