package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/roster"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/tickets"
)

// page is what every template gets.
type page struct {
	Title  string
	Error  string // shown in red; the request failed
	Flash  string // shown in green; what the last action did
	Next   string // sign-in: where to go afterwards
	Number string // sign-in: the 工号 typed

	Me    string // 刘芳（组织部 组织员）
	Nav   nav
	Data  any
	Query url.Values
}

type nav struct {
	Tickets bool  // staff and admins
	Unit    int64 // secretaries and admins: their roster page
	Review  bool  // the broadcast review pages are served
	// Attendance: the attendance pages are served.
	Attendance bool
	Roster     bool // admins: the roster upload
	Figures    figureNav
	Log        bool // the broadcast log: secretaries, reviewers, admins
	Active     string
}

var pageNames = []string{"login", "error", "queue", "ticket", "unit", "drafts", "attendance", "report", "roster"}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	return s.parsePages(append(pageNames, deskPageNames...))
}

// parsePages parses each named page with the layout into s.pages.
func (s *Server) parsePages(names []string) error {
	funcs := template.FuncMap{"list": func(s ...string) []string { return s }}
	for _, name := range names {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("console template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return nil
}

// render writes a page with its layout; a template that fails writes a
// plain 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	s.renderTemplate(w, r, status, name, "layout", p)
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, p page) {
	if c, ok := r.Context().Value(callerKey{}).(bot.Caller); ok {
		p.Me, p.Nav = s.whoAndNav(c, p.Nav.Active)
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, tmpl, p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) whoAndNav(c bot.Caller, active string) (string, nav) {
	units := s.opts.Engine.Units()
	n := nav{Active: active, Tickets: c.Is(bot.RoleStaff, 0, units), Review: s.opts.Broadcasts != nil, Attendance: s.opts.Checkin != nil,
		Roster: core.MayImportRoster(c, units) == nil, Log: s.opts.Broadcasts != nil && s.opts.Broadcasts.MayViewLog(c) == nil}
	n.Figures = s.figureNav()
	if c.Roster == nil {
		return "管理员", n
	}
	if c.Is(bot.RoleSecretary, c.Roster.UnitID, units) {
		n.Unit = c.Roster.UnitID
	}
	return fmt.Sprintf("%s（%s）", c.Roster.Name, c.Roster.Describe(units)), n
}

// fail answers a request that failed: a refusal or a user's mistake in the
// feature's words, anything else as an internal error (logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ue *bot.UserError
	if errors.As(err, &ue) {
		status := http.StatusBadRequest
		if ue.Denied {
			status = http.StatusForbidden
		}
		s.render(w, r, status, "error", page{Title: "无法完成", Error: ue.Text})
		return
	}
	s.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.render(w, r, http.StatusInternalServerError, "error", page{Title: "出错了", Error: "处理请求时出错了，已记录。请稍后再试。"})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	_, n := s.whoAndNav(c, "")
	switch {
	case n.Tickets:
		http.Redirect(w, r, "/tickets", http.StatusSeeOther)
	case n.Unit != 0:
		http.Redirect(w, r, fmt.Sprintf("/units/%d", n.Unit), http.StatusSeeOther)
	default:
		s.render(w, r, http.StatusOK, "error", page{Title: "控制台", Error: "你的身份在控制台中没有可用的页面。"})
	}
}

// queueFilter reads the queue's filters from the query.
func queueFilter(q url.Values) tickets.QueueFilter {
	dept, _ := strconv.ParseInt(q.Get("department"), 10, 64)
	return tickets.QueueFilter{Department: dept, Status: q.Get("status"), Category: q.Get("category"), Overdue: q.Get("overdue") == "1"}
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request) {
	s.queuePage(w, r, "layout")
}

// queueRows is the queue's table body alone, which the page reloads every
// minute (htmx) so that the countdowns stay current.
func (s *Server) queueRows(w http.ResponseWriter, r *http.Request) {
	s.queuePage(w, r, "rows")
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, tmpl string) {
	q, err := s.opts.Tickets.DeskQueue(r.Context(), caller(r), queueFilter(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "queue", tmpl, page{Title: "建议工单", Nav: nav{Active: "tickets"}, Data: q, Query: r.URL.Query()})
}

// pathID reads the {id} of the request's path; bad is the answer when it is
// no positive number.
func pathID(r *http.Request, bad string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, bot.Errorf("%s", bad)
	}
	return n, nil
}

func ticketID(r *http.Request) (int64, error) { return pathID(r, "建议编号应为数字。") }

// ticketData is the ticket page: the ticket and what was typed into a form
// that failed.
type ticketData struct {
	T      tickets.TicketView
	Answer string
	Reason string
	// Assignees are whom the assign form offers; Assign the 工号 chosen.
	Assignees []tickets.Assignee
	Assign    string
}

func (s *Server) ticket(w http.ResponseWriter, r *http.Request) {
	s.ticketPage(w, r, http.StatusOK, ticketData{}, "")
}

func (s *Server) ticketPage(w http.ResponseWriter, r *http.Request, status int, d ticketData, errText string) {
	n, err := ticketID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.T, err = s.opts.Tickets.DeskTicket(r.Context(), caller(r), n)
	if err == nil && d.T.Open {
		d.Assignees, err = s.opts.Tickets.DeskAssignees(r.Context(), caller(r), n)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "ticket", page{Title: fmt.Sprintf("建议 #%d", n), Nav: nav{Active: "tickets"}, Data: d, Error: errText, Flash: s.takeFlash(w, r)})
}

// act runs one ticket operation from a form and goes back to the ticket
// page with its acknowledgement; a refusal or mistake shows the page again
// with the error and what was typed.
func (s *Server) act(w http.ResponseWriter, r *http.Request, d ticketData, op func(n int64) (string, error)) {
	n, err := ticketID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ack, err := op(n)
	s.afterForm(w, r, ack, err, fmt.Sprintf("/tickets/%d", n), func(text string) { s.ticketPage(w, r, http.StatusBadRequest, d, text) })
}

// afterForm finishes a form's operation: on success the browser goes to
// next, which shows the acknowledgement; a mistake in the feature's words
// shows the form's page again through again; a refusal or a failure the
// error page.
func (s *Server) afterForm(w http.ResponseWriter, r *http.Request, ack string, err error, next string, again func(text string)) {
	var ue *bot.UserError
	if errors.As(err, &ue) && !ue.Denied {
		again(ue.Text)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, ack)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	text := strings.TrimSpace(r.PostFormValue("text"))
	s.act(w, r, ticketData{Answer: text}, func(n int64) (string, error) {
		return s.opts.Tickets.DeskAnswer(r.Context(), caller(r), n, text)
	})
}

func (s *Server) close(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	s.act(w, r, ticketData{Reason: reason}, func(n int64) (string, error) {
		return s.opts.Tickets.DeskClose(r.Context(), caller(r), n, reason)
	})
}

func (s *Server) reopen(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, ticketData{}, func(n int64) (string, error) {
		return s.opts.Tickets.DeskReopen(r.Context(), caller(r), n)
	})
}

// setFlash keeps an acknowledgement for the page the browser is sent to.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, text string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookieName, Value: url.QueryEscape(text), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	ck, err := r.Cookie(flashCookieName)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	text, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return text
}

// unitData is a unit's roster page.
type unitData struct {
	Unit     bot.Unit
	Rows     []core.RosterRow
	Linked   int
	Unlinked int
	Choices  []bot.Unit // the units the caller may open
}

func (s *Server) unit(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	rows, err := core.UnitRoster(r.Context(), s.opts.Store, c, units, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := unitData{Rows: rows}
	d.Unit, _ = units.Get(id)
	for _, row := range rows {
		if len(row.Links) > 0 {
			d.Linked++
		} else {
			d.Unlinked++
		}
	}
	d.Choices = secretaryUnits(c, units)
	s.render(w, r, http.StatusOK, "unit", page{Title: d.Unit.Name + " 花名册", Nav: nav{Active: "unit"}, Data: d})
}

// draftsData is the review page: the drafts waiting for the caller, and
// the reason typed into a reject form that failed.
type draftsData struct {
	Drafts   []broadcast.Draft
	RejectID int64
	Reason   string
}

func (s *Server) drafts(w http.ResponseWriter, r *http.Request) {
	s.draftsPage(w, r, http.StatusOK, draftsData{}, "")
}

func (s *Server) draftsPage(w http.ResponseWriter, r *http.Request, status int, d draftsData, errText string) {
	var err error
	d.Drafts, err = s.opts.Broadcasts.DeskPending(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "drafts", page{Title: "通知审核", Nav: nav{Active: "review"}, Data: d, Error: errText, Flash: s.takeFlash(w, r)})
}

// decideDraft runs one review decision from a form and goes back to the
// review page with its acknowledgement; a mistake (a missing reason, a
// draft decided meanwhile) shows the page again with the error.
func (s *Server) decideDraft(w http.ResponseWriter, r *http.Request, d draftsData, op func(n int64) (string, error)) {
	n, err := pathID(r, "通知编号应为数字。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ack, err := op(n)
	d.RejectID = n
	s.afterForm(w, r, ack, err, "/broadcasts", func(text string) { s.draftsPage(w, r, http.StatusBadRequest, d, text) })
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.decideDraft(w, r, draftsData{}, func(n int64) (string, error) {
		return s.opts.Broadcasts.DeskApprove(r.Context(), caller(r), n)
	})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	s.decideDraft(w, r, draftsData{Reason: reason}, func(n int64) (string, error) {
		return s.opts.Broadcasts.DeskReject(r.Context(), caller(r), n, reason)
	})
}

// attendanceData is a unit's check-in page: the sessions, and the chart of
// them built in Go (ECharts options; html/template writes them as JSON).
type attendanceData struct {
	Unit     bot.Unit
	Sessions []checkin.SessionAttendance
	Choices  []bot.Unit
	Chart    map[string]any
	loc      *time.Location
}

// Time writes a session's opening time.
func (d attendanceData) Time(t time.Time) string { return t.In(d.loc).Format("2006-01-02 15:04") }

// attendanceWindow is how far back the attendance page looks.
const attendanceWindow = 90 * 24 * time.Hour

func (s *Server) attendance(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	sessions, err := s.opts.Checkin.UnitAttendance(r.Context(), c, id, s.opts.Engine.Now().Add(-attendanceWindow))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := attendanceData{Sessions: sessions, Choices: secretaryUnits(c, units), loc: s.opts.Engine.Location()}
	d.Unit, _ = units.Get(id)
	d.Chart = attendanceChart(sessions)
	s.render(w, r, http.StatusOK, "attendance", page{Title: d.Unit.Name + " 签到出勤", Nav: nav{Active: "attendance"}, Data: d})
}

// secretaryUnits lists the units c may open as secretary, in tree order.
func secretaryUnits(c bot.Caller, units *bot.UnitTree) []bot.Unit {
	var out []bot.Unit
	for _, u := range units.All() {
		if c.Is(bot.RoleSecretary, u.ID, units) {
			out = append(out, u)
		}
	}
	return out
}

// attendanceChart is a stacked bar per session, oldest first: on time,
// late, made up (补签), on leave (请假), absent and not linked, by count.
func attendanceChart(sessions []checkin.SessionAttendance) map[string]any {
	n := len(sessions)
	labels := make([]string, n)
	series := []struct {
		name, color string
		of          func(checkin.SessionAttendance) []string
	}{
		{"按时", "#2da44e", func(a checkin.SessionAttendance) []string { return a.OnTime }},
		{"迟到", "#d4a72c", func(a checkin.SessionAttendance) []string { return a.Late }},
		{"补签", "#0969da", func(a checkin.SessionAttendance) []string { return a.MadeUp }},
		{"请假", "#8250df", func(a checkin.SessionAttendance) []string { return a.Leave }},
		{"缺席", "#cf222e", func(a checkin.SessionAttendance) []string { return a.Absent }},
		{"未绑定花名册", "#8c959f", func(a checkin.SessionAttendance) []string { return a.Unlinked }},
	}
	data := make([][]int, len(series))
	for i := range data {
		data[i] = make([]int, n)
	}
	for i, a := range sessions {
		j := n - 1 - i // oldest first
		labels[j] = fmt.Sprintf("%s #%d %s", a.Group, a.Seq, a.Title)
		for k, sr := range series {
			data[k][j] = len(sr.of(a))
		}
	}
	var out []map[string]any
	var names []string
	for k, sr := range series {
		names = append(names, sr.name)
		out = append(out, map[string]any{"name": sr.name, "type": "bar", "stack": "人数", "data": data[k],
			"itemStyle": map[string]any{"color": sr.color}, "barMaxWidth": 48})
	}
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": "各场签到出勤人数", "left": "center", "textStyle": map[string]any{"fontSize": 15}},
		"tooltip":   map[string]any{"trigger": "axis"},
		"legend":    map[string]any{"data": names, "top": 28},
		"grid":      map[string]any{"top": 70, "left": 50, "right": 60, "bottom": 110},
		"xAxis":     map[string]any{"type": "category", "data": labels, "axisLabel": map[string]any{"interval": 0, "rotate": 20}},
		"yAxis":     map[string]any{"type": "value", "name": "人数", "minInterval": 1},
		"series":    out,
	}
}

// reportData is the SLA report page.
type reportData struct {
	R          *tickets.Report
	Rows       []tickets.DepartmentStats // the departments, then the total
	Month      string                    // as typed
	MonthParam string                    // the report's month, 2026-11
	Chart      map[string]any
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	month := strings.TrimSpace(r.URL.Query().Get("month"))
	rep, err := s.opts.Tickets.DeskReport(r.Context(), caller(r), month)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := reportData{R: rep, Month: month, MonthParam: rep.From.In(s.opts.Engine.Location()).Format("2006-01"), Chart: onTimeChart(rep)}
	if d.Month == "" {
		d.Month = d.MonthParam
	}
	if rep.Total.Filed > 0 {
		d.Rows = append(append(d.Rows, rep.Depts...), rep.Total)
	}
	s.render(w, r, http.StatusOK, "report", page{Title: rep.Month() + "建议答复统计", Nav: nav{Active: "report"}, Data: d})
}

// reportXLSX downloads the month's report as the command line writes it:
// sheets 汇总 and 明细 (anonymous tickets' filer is 匿名).
func (s *Server) reportXLSX(w http.ResponseWriter, r *http.Request) {
	rep, err := s.opts.Tickets.DeskReport(r.Context(), caller(r), r.URL.Query().Get("month"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := rep.WriteXLSX(&buf); err != nil {
		s.fail(w, r, err)
		return
	}
	name := "sla-" + rep.From.In(s.opts.Engine.Location()).Format("2006-01") + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// onTimeChart is a bar per department of its on-time rate in percent.
func onTimeChart(rep *tickets.Report) map[string]any {
	var names []string
	var rates []float64
	for _, d := range rep.Depts {
		names = append(names, d.Department)
		rates = append(rates, float64(int(d.OnTimeRate()*1000+0.5))/10)
	}
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": rep.Month() + "各部门按时答复率", "left": "center", "textStyle": map[string]any{"fontSize": 15}},
		"tooltip":   map[string]any{"trigger": "axis"},
		"grid":      map[string]any{"top": 60, "left": 50, "right": 30, "bottom": 50},
		"xAxis":     map[string]any{"type": "category", "data": names},
		"yAxis":     map[string]any{"type": "value", "name": "按时率（%）", "min": 0, "max": 100},
		"series": []map[string]any{{"name": "按时率", "type": "bar", "data": rates, "barMaxWidth": 60,
			"itemStyle": map[string]any{"color": "#b71c1c"}, "label": map[string]any{"show": true, "position": "top", "formatter": "{c}%"}}},
	}
}

// rosterData is the roster upload page: the rows a refused file had wrong.
type rosterData struct {
	File string
	Bad  []roster.RowError
}

// maxRosterUpload bounds an uploaded roster file.
const maxRosterUpload = 8 << 20

func (s *Server) rosterForm(w http.ResponseWriter, r *http.Request) {
	if err := core.MayImportRoster(caller(r), s.opts.Engine.Units()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "roster", page{Title: "导入花名册", Nav: nav{Active: "roster"}, Data: rosterData{}, Flash: s.takeFlash(w, r)})
}

// rosterUpload imports an uploaded .csv or .xlsx roster as `branchbot
// roster import` does: every bad row is listed by its line and nothing is
// imported then; entries the file leaves out are kept.
func (s *Server) rosterUpload(w http.ResponseWriter, r *http.Request) {
	c := caller(r)
	units := s.opts.Engine.Units()
	if err := core.MayImportRoster(c, units); err != nil {
		s.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRosterUpload)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "roster", page{Title: "导入花名册", Nav: nav{Active: "roster"}, Data: rosterData{},
			Error: "请选择一个 .csv 或 .xlsx 文件（不超过 8 MB）。"})
		return
	}
	defer f.Close()
	d := rosterData{File: hdr.Filename}
	res, err := roster.Read(f, hdr.Filename, units)
	if err != nil {
		msg := "无法读取这个文件，请另存为 .xlsx 或「CSV UTF-8（逗号分隔）」后再试。"
		if strings.Contains(err.Error(), "only .csv and .xlsx") {
			msg = "只能导入 .csv 或 .xlsx 文件。"
		}
		s.render(w, r, http.StatusBadRequest, "roster", page{Title: "导入花名册", Nav: nav{Active: "roster"}, Data: d, Error: msg})
		return
	}
	if len(res.Bad) > 0 {
		d.Bad = res.Bad
		s.render(w, r, http.StatusBadRequest, "roster", page{Title: "导入花名册", Nav: nav{Active: "roster"}, Data: d,
			Error: fmt.Sprintf("「%s」有 %d 行有误，没有导入任何一行。请改正后重新上传。", hdr.Filename, len(res.Bad))})
		return
	}
	added, updated, unchanged, missing, err := s.opts.Store.UploadRoster(r.Context(), res.Entries, s.opts.Engine.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("roster imported from the console", "by", c.Roster.ID, "added", added, "updated", updated)
	msg := fmt.Sprintf("已导入「%s」：新增 %d 人，更新 %d 人，未变 %d 人。", hdr.Filename, added, updated, unchanged)
	if missing > 0 {
		msg += fmt.Sprintf("花名册中另有 %d 人不在文件中，已保留（移出花名册请用命令行 branchbot roster import --remove-missing）。", missing)
	}
	s.setFlash(w, r, msg)
	http.Redirect(w, r, "/roster/import", http.StatusSeeOther)
}
