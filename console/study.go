package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/study"
)

// studyData is a unit's study completion page over a period.
type studyData struct {
	Unit     bot.Unit
	C        study.Completion
	From, To string // the form's dates, 2026-11-01 and 2026-11-30 (inclusive)
	Choices  []bot.Unit
	Chart    map[string]any
	loc      *time.Location
}

// Date writes an item's publishing day.
func (d studyData) Date(t time.Time) string { return t.In(d.loc).Format("2006-01-02") }

// Pct writes a completion rate.
func (d studyData) Pct(done, total int) string { return study.Pct(done, total) }

// Names joins names with 、.
func (d studyData) Names(ns []string) string { return strings.Join(ns, "、") }

// studyPeriod reads the form's dates (inclusive days in the bot's time
// zone), by default this month.
func studyPeriod(r *http.Request, now time.Time, loc *time.Location) (from, to time.Time, fromText, toText string, err error) {
	now = now.In(loc)
	from = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	last := from.AddDate(0, 1, -1)
	fromText, toText = strings.TrimSpace(r.URL.Query().Get("from")), strings.TrimSpace(r.URL.Query().Get("to"))
	if fromText == "" {
		fromText = from.Format("2006-01-02")
	}
	if toText == "" {
		toText = last.Format("2006-01-02")
	}
	from, err1 := parseDay(fromText, loc)
	last, err2 := parseDay(toText, loc)
	if err1 != nil || err2 != nil {
		return from, to, fromText, toText, bot.Errorf("日期应写成 2026-11-01 这样的格式。")
	}
	fromText, toText = from.Format("2006-01-02"), last.Format("2006-01-02")
	if last.Before(from) {
		return from, to, fromText, toText, bot.Errorf("结束日期不能早于开始日期。")
	}
	return from, last.AddDate(0, 0, 1), fromText, toText, nil
}

// parseDay reads a day as typed: 2026-11-01, 2026-11-1, 2026/11/01,
// 2026.11.01, in full-width digits too.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	s = strings.NewReplacer("/", "-", ".", "-").Replace(bot.Normalize(s))
	return time.ParseInLocation("2006-1-2", s, loc)
}

func (s *Server) unitStudy(w http.ResponseWriter, r *http.Request) (studyData, bool) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return studyData{}, false
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	loc := s.opts.Engine.Location()
	d := studyData{Choices: secretaryUnits(c, units), loc: loc}
	d.Unit, _ = units.Get(id)
	from, to, fromText, toText, err := studyPeriod(r, s.opts.Engine.Now(), loc)
	d.From, d.To = fromText, toText
	if err == nil {
		d.C, err = s.opts.Study.DeskCompletion(r.Context(), c, id, from, to)
	}
	var ue *bot.UserError
	if errors.As(err, &ue) && !ue.Denied {
		// A date typed wrong: the form again, with what was typed.
		s.render(w, r, http.StatusBadRequest, "study", page{Title: d.Unit.Name + " 学习统计", Nav: nav{Active: "study"}, Data: d, Error: ue.Text})
		return d, false
	}
	if err != nil {
		s.fail(w, r, err)
		return d, false
	}
	return d, true
}

func (s *Server) studyPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.unitStudy(w, r)
	if !ok {
		return
	}
	d.Chart = studyChart(d.C)
	s.render(w, r, http.StatusOK, "study", page{Title: d.Unit.Name + " 学习统计", Nav: nav{Active: "study"}, Data: d})
}

// studyChart is a bar per unit of its completion rate in percent.
func studyChart(c study.Completion) map[string]any {
	var names []string
	var rates []float64
	for _, u := range c.Units {
		names = append(names, u.Unit.Name)
		rates = append(rates, study.Rate(u.Done, u.Total))
	}
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": "各单位学习完成率", "left": "center", "textStyle": map[string]any{"fontSize": 15}},
		"tooltip":   map[string]any{"trigger": "axis"},
		"grid":      map[string]any{"top": 60, "left": 50, "right": 30, "bottom": 60},
		"xAxis":     map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"interval": 0}},
		"yAxis":     map[string]any{"type": "value", "name": "完成率（%）", "min": 0, "max": 100},
		"series": []map[string]any{{"name": "完成率", "type": "bar", "data": rates, "barMaxWidth": 60,
			"itemStyle": map[string]any{"color": "#b71c1c"}, "label": map[string]any{"show": true, "position": "top", "formatter": "{c}%"}}},
	}
}

// studyXLSX downloads the page as a workbook: 按单位, 按成员, 按内容.
func (s *Server) studyXLSX(w http.ResponseWriter, r *http.Request) {
	d, ok := s.unitStudy(w, r)
	if !ok {
		return
	}
	units := sheet{Name: "按单位", Rows: [][]any{{"单位", "人数", "已学", "应学", "完成率"}}}
	for _, u := range d.C.Units {
		units.Rows = append(units.Rows, []any{u.Unit.Name, u.Members, u.Done, u.Total, d.Pct(u.Done, u.Total)})
	}
	members := sheet{Name: "按成员", Rows: [][]any{{"学号/工号", "姓名", "单位", "已学", "应学", "完成率"}}}
	for _, m := range d.C.Members {
		members.Rows = append(members.Rows, []any{m.Entry.Number, m.Entry.Name, m.Unit, m.Done, m.Total, d.Pct(m.Done, m.Total)})
	}
	items := sheet{Name: "按内容", Rows: [][]any{{"编号", "标题", "栏目", "发布日期", "推送到群", "应学", "已学", "已学名单"}}}
	for _, it := range d.C.Items {
		items.Rows = append(items.Rows, []any{it.ID, it.Title, it.Column, d.Date(it.PublishedAt), it.Pushed, it.Expected, len(it.Studied), d.Names(it.Studied)})
	}
	s.writeXLSX(w, r, fmt.Sprintf("study-%d-%s-%s.xlsx", d.Unit.ID, d.From, d.To), units, members, items)
}
