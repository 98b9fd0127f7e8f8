package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/followup"
)

// followupData is a unit's follow-up page: its open tasks with their
// progress.
type followupData struct {
	Unit    bot.Unit
	Tasks   []followup.DeskTask
	Choices []bot.Unit
	loc     *time.Location
}

// Deadline writes a task's deadline, or that it has none.
func (d followupData) Deadline(t followup.DeskTask) string { return deadline(t, d.loc) }

func deadline(t followup.DeskTask, loc *time.Location) string {
	switch {
	case !t.Deadline.IsZero():
		return t.Deadline.In(loc).Format("2006-01-02 15:04")
	case !t.Closes.IsZero():
		return t.Closes.In(loc).Format("2006-01-02 15:04") + " 前可确认"
	}
	return "不限"
}

func (s *Server) followupList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	ts, err := s.opts.Followup.DeskTasks(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := followupData{Tasks: ts, Choices: secretaryUnits(c, units), loc: s.opts.Engine.Location()}
	d.Unit, _ = units.Get(id)
	s.render(w, r, http.StatusOK, "followup", page{Title: d.Unit.Name + " 催办", Nav: nav{Active: "followup"}, Data: d})
}

// taskData is one task's page: its progress by name, a chart of it, and
// the reminder button.
type taskData struct {
	T     followup.DeskTask
	Kind  string
	Chart map[string]any
	loc   *time.Location
}

// Deadline writes the task's deadline.
func (d taskData) Deadline() string { return deadline(d.T, d.loc) }

// Names writes people's names joined with 、.
func (d taskData) Names(ps []followup.Person) string {
	ns := make([]string, len(ps))
	for i, p := range ps {
		ns[i] = p.Entry.Name
	}
	return strings.Join(ns, "、")
}

// taskPath reads the {kind} and {id} of a task's path.
func taskPath(r *http.Request) (followup.Kind, int64, error) {
	switch k := followup.Kind(r.PathValue("kind")); k {
	case followup.KindCheckin, followup.KindRelay, followup.KindBroadcast:
		id, err := pathID(r, "任务编号应为数字。")
		return k, id, err
	}
	return "", 0, bot.Errorf("没有这种任务。")
}

func (s *Server) task(w http.ResponseWriter, r *http.Request) {
	s.taskPage(w, r, http.StatusOK, "")
}

// taskPage shows a task's page; errText is a reminder's refusal.
func (s *Server) taskPage(w http.ResponseWriter, r *http.Request, status int, errText string) {
	kind, id, err := taskPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.opts.Followup.DeskTask(r.Context(), caller(r), kind, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := taskData{T: t, Kind: string(kind), Chart: progressChart(t), loc: s.opts.Engine.Location()}
	title := t.Name
	if t.Group != "" {
		title = t.Group + " " + title
	}
	s.render(w, r, status, "task", page{Title: title + " 催办", Nav: nav{Active: "followup"}, Data: d, Flash: s.takeFlash(w, r), Error: errText})
}

// remind sends the reminders of a task, as /remind does, and shows who
// was reminded how on the task's page.
func (s *Server) remind(w http.ResponseWriter, r *http.Request) {
	kind, id, err := taskPath(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ack, err := s.opts.Followup.DeskRemind(r.Context(), caller(r), kind, id)
	next := fmt.Sprintf("/followup/%s/%d", kind, id)
	s.afterForm(w, r, ack, err, next, func(text string) { s.taskPage(w, r, http.StatusBadRequest, text) })
}

// progressChart is a bar of how many have done the task, are on leave,
// have not, and cannot be reminded.
func progressChart(t followup.DeskTask) map[string]any {
	p := t.Progress
	done := "已完成"
	switch t.Kind {
	case followup.KindCheckin:
		done = "已签到"
	case followup.KindRelay:
		done = "已接龙"
	case followup.KindBroadcast:
		done = "已确认"
	}
	names := []string{done, "请假", "未完成", "未绑定花名册"}
	colors := []string{"#2da44e", "#8250df", "#cf222e", "#8c959f"}
	counts := []int{len(p.Done), len(p.Leave), len(p.Pending), len(p.Unlinked)}
	data := make([]map[string]any, len(names))
	for i := range names {
		data[i] = map[string]any{"value": counts[i], "itemStyle": map[string]any{"color": colors[i]}}
	}
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": fmt.Sprintf("应参加 %d 人的完成情况", p.Expected()), "left": "center", "textStyle": map[string]any{"fontSize": 15}},
		"tooltip":   map[string]any{"trigger": "axis"},
		"grid":      map[string]any{"top": 60, "left": 50, "right": 30, "bottom": 40},
		"xAxis":     map[string]any{"type": "category", "data": names},
		"yAxis":     map[string]any{"type": "value", "name": "人数", "minInterval": 1},
		"series": []map[string]any{{"name": "人数", "type": "bar", "data": data, "barMaxWidth": 60,
			"label": map[string]any{"show": true, "position": "top"}}},
	}
}
