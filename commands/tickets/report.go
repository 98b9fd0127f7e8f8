package tickets

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
)

// DepartmentStats is one department's line of the SLA report. A ticket's
// first response is its first answer; it is on time when it came by the
// ticket's first deadline. A ticket closed without any answer has none and
// is counted in a column of its own.
type DepartmentStats struct {
	Department string
	Filed      int
	OnTime     int // first response by the deadline
	LateAnswer int // first response after the deadline
	LateOpen   int // no response and the deadline has passed
	Pending    int // no response, not due yet
	// ClosedUnanswered: closed without any answer (with a reason the
	// member was given); never on time.
	ClosedUnanswered int
	// MedianFirstResponse is in business hours (working days, working
	// hours of the calendar); Responded says how many tickets it covers.
	MedianFirstResponse time.Duration
	Responded           int
}

// Overdue counts tickets that missed their deadline, answered or not.
func (d DepartmentStats) Overdue() int { return d.LateAnswer + d.LateOpen }

// Report is the SLA report of one month.
type Report struct {
	From, To time.Time // [From, To): the month, by filing time
	Now      time.Time // the instant "overdue" is judged at
	Depts    []DepartmentStats
	Total    DepartmentStats
	Tickets  []Ticket
	Units    *bot.UnitTree
	loc      *time.Location
}

// BuildReport computes the SLA report for tickets filed in [from, to).
func BuildReport(ctx context.Context, db Store, cal *calendar.Calendar, units *bot.UnitTree, from, to, now time.Time) (*Report, error) {
	ts, err := db.TicketsFiled(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("sla report: %w", err)
	}
	rep := &Report{From: from, To: to, Now: now, Tickets: ts, Units: units, loc: cal.Location()}
	byDept := map[int64]*DepartmentStats{}
	durs := map[int64][]time.Duration{}
	var all []time.Duration
	add := func(s *DepartmentStats, t Ticket) {
		s.Filed++
		switch {
		case closedUnanswered(t):
			s.ClosedUnanswered++
		case !t.FirstResponseAt.IsZero() && !t.FirstResponseAt.After(t.FirstDueAt):
			s.OnTime++
		case !t.FirstResponseAt.IsZero():
			s.LateAnswer++
		case now.After(t.FirstDueAt):
			s.LateOpen++
		default:
			s.Pending++
		}
	}
	for _, t := range ts {
		s := byDept[t.DepartmentID]
		if s == nil {
			s = &DepartmentStats{Department: units.Name(t.DepartmentID)}
			byDept[t.DepartmentID] = s
		}
		add(s, t)
		add(&rep.Total, t)
		if !t.FirstResponseAt.IsZero() {
			d := cal.BusinessDuration(t.CreatedAt, t.FirstResponseAt)
			durs[t.DepartmentID] = append(durs[t.DepartmentID], d)
			all = append(all, d)
		}
	}
	// Departments in the order of the organisation tree, then unknown ones.
	var ids []int64
	for _, u := range units.All() {
		if byDept[u.ID] != nil {
			ids = append(ids, u.ID)
		}
	}
	for id := range byDept {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		s := byDept[id]
		s.MedianFirstResponse, s.Responded = median(durs[id]), len(durs[id])
		rep.Depts = append(rep.Depts, *s)
	}
	rep.Total.Department = "合计"
	rep.Total.MedianFirstResponse, rep.Total.Responded = median(all), len(all)
	return rep, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func hours(d time.Duration) string { return fmt.Sprintf("%.1f", d.Hours()) }

func (d DepartmentStats) medianText() string {
	if d.Responded == 0 {
		return "无"
	}
	return hours(d.MedianFirstResponse) + " 工作小时"
}

func (d DepartmentStats) onTimeRate() string {
	if d.Filed == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", float64(d.OnTime)*100/float64(d.Filed))
}

// Month is the report's month as 2026年11月.
func (r *Report) Month() string {
	f := r.From.In(r.loc)
	return fmt.Sprintf("%d年%d月", f.Year(), f.Month())
}

// Text is the report as a chat message.
func (r *Report) Text() string {
	now := r.Now.In(r.loc)
	head := fmt.Sprintf("%s建议答复统计（截至 %d月%d日 %s）：", r.Month(), now.Month(), now.Day(), now.Format("15:04"))
	if r.Total.Filed == 0 {
		return head + "\n该月没有提交的建议。"
	}
	lines := []string{head}
	for _, d := range append(slices.Clone(r.Depts), r.Total) {
		lines = append(lines, fmt.Sprintf("%s：提交 %d，按时答复 %d，逾期 %d（其中未答复 %d），未答复关闭 %d，未到期 %d，按时率 %s，首次响应中位数 %s",
			d.Department, d.Filed, d.OnTime, d.Overdue(), d.LateOpen, d.ClosedUnanswered, d.Pending, d.onTimeRate(), d.medianText()))
	}
	return strings.Join(lines, "\n")
}

// Sheet names and headers of the spreadsheet.
var (
	summaryHeaders = []any{"部门", "提交数", "按时答复", "逾期", "其中逾期未答复", "未答复关闭", "未到期待答复", "按时率", "首次响应中位数（工作小时）"}
	detailHeaders  = []any{"编号", "部门", "类别", "分类方式", "提交人", "提交时间", "答复期限", "首次响应时间", "状态", "是否按时"}
)

const (
	summarySheet = "汇总"
	detailSheet  = "明细"
)

// WriteXLSX writes the report as a spreadsheet with Chinese headers: a
// summary sheet per department and a detail sheet per ticket. Anonymous
// tickets show 匿名 as the filer.
func (r *Report) WriteXLSX(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", summarySheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := x.SetSheetRow(summarySheet, "A1", &summaryHeaders); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for i, d := range append(slices.Clone(r.Depts), r.Total) {
		med := any("")
		if d.Responded > 0 {
			med = float64(int(d.MedianFirstResponse.Hours()*10+0.5)) / 10
		}
		row := []any{d.Department, d.Filed, d.OnTime, d.Overdue(), d.LateOpen, d.ClosedUnanswered, d.Pending, d.onTimeRate(), med}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(summarySheet, cell, &row); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if _, err := x.NewSheet(detailSheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := x.SetSheetRow(detailSheet, "A1", &detailHeaders); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	const layout = "2006-01-02 15:04"
	for i, t := range r.Tickets {
		filer := "匿名"
		if !t.Anonymous {
			filer = t.FilerName
		}
		decided := "关键词"
		if t.DecidedBy == DecidedByLLM {
			decided = "智能分类"
		}
		first, onTime := "", "未到期"
		switch {
		case closedUnanswered(t):
			onTime = "否（未答复关闭）"
		case !t.FirstResponseAt.IsZero():
			first = t.FirstResponseAt.In(r.loc).Format(layout)
			onTime = "是"
			if t.FirstResponseAt.After(t.FirstDueAt) {
				onTime = "否"
			}
		case r.Now.After(t.FirstDueAt):
			onTime = "否（未答复）"
		}
		state := map[State]string{StateOpen: "待答复", StateAnswered: "已答复", StateClosed: "已关闭"}[t.State]
		if closedUnanswered(t) {
			state = "已关闭（未答复）"
		}
		row := []any{t.ID, r.Units.Name(t.DepartmentID), categoryOrNone(t), decided, filer,
			t.CreatedAt.In(r.loc).Format(layout), t.FirstDueAt.In(r.loc).Format(layout), first, state, onTime}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(detailSheet, cell, &row); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	_ = x.SetColWidth(summarySheet, "A", "A", 16)
	_ = x.SetColWidth(summarySheet, "B", "I", 14)
	_ = x.SetColWidth(detailSheet, "A", "J", 16)
	if err := x.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
