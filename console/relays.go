package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/relay"
)

// relaysData is a unit's relay page: the relays with their lists, and a
// chart of each one's joined, waitlisted and limit.
type relaysData struct {
	Unit    bot.Unit
	Relays  []relay.RelayList
	Choices []bot.Unit
	Chart   map[string]any
	// Followup: the follow-up pages are served (a relay with for= links
	// to its progress).
	Followup bool
	units    *bot.UnitTree
	loc      *time.Location
}

// Time writes an instant as the pages do; a relay without a deadline has
// 不限.
func (d relaysData) Time(t time.Time) string {
	if t.IsZero() {
		return "不限"
	}
	return t.In(d.loc).Format("2006-01-02 15:04")
}

// UnitName is a unit's name (a relay's for=).
func (d relaysData) UnitName(id int64) string { return d.units.Name(id) }

// Listed are a relay's entries within its limit, Waitlist those beyond it.
func (d relaysData) Listed(l relay.RelayList) []relay.Entry { return l.Entries[:l.Joined()] }

// Waitlist are a relay's entries beyond its limit.
func (d relaysData) Waitlist(l relay.RelayList) []relay.Entry { return l.Entries[l.Joined():] }

// Note is what the list shows after a name.
func (d relaysData) Note(e relay.Entry) string { return entryNote(e) }

// entryNote is what the list shows after a name: the note and who added
// the entry for the person (代接龙).
func entryNote(e relay.Entry) string {
	var notes []string
	if e.Note != "" {
		notes = append(notes, e.Note)
	}
	if e.ProxyName != "" {
		notes = append(notes, e.ProxyName+"代接龙")
	}
	return strings.Join(notes, "；")
}

func (s *Server) unitRelays(r *http.Request) (relaysData, error) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		return relaysData{}, err
	}
	c := caller(r)
	units := s.opts.Engine.Units()
	rs, err := s.opts.Relays.UnitRelays(r.Context(), c, id, s.opts.Engine.Now().Add(-figureWindow))
	if err != nil {
		return relaysData{}, err
	}
	d := relaysData{Relays: rs, Choices: secretaryUnits(c, units), units: units, loc: s.opts.Engine.Location(), Followup: s.opts.Followup != nil}
	d.Unit, _ = units.Get(id)
	return d, nil
}

func (s *Server) relays(w http.ResponseWriter, r *http.Request) {
	d, err := s.unitRelays(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Chart = relaysChart(d.Relays)
	s.render(w, r, http.StatusOK, "relays", page{Title: d.Unit.Name + " 接龙", Nav: nav{Active: "relays"}, Data: d})
}

// relayLabel names a relay in charts and sheets: 第一党支部 #2 党费交纳.
func relayLabel(l relay.RelayList) string { return fmt.Sprintf("%s #%d %s", l.Group, l.Seq, l.Title) }

// relaysChart is a bar per relay, oldest first: joined and waitlisted
// stacked, beside its limit (none: no bar).
func relaysChart(ls []relay.RelayList) map[string]any {
	n := len(ls)
	labels := make([]string, n)
	joined, waiting, limit := make([]int, n), make([]int, n), make([]any, n)
	for i, l := range ls {
		j := n - 1 - i
		labels[j] = relayLabel(l)
		joined[j], waiting[j] = l.Joined(), l.Waiting()
		if l.Cap > 0 {
			limit[j] = l.Cap
		}
	}
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": "各接龙报名人数与名额", "left": "center", "textStyle": map[string]any{"fontSize": 15}},
		"tooltip":   map[string]any{"trigger": "axis"},
		"legend":    map[string]any{"data": []string{"已报名", "候补", "名额"}, "top": 28},
		"grid":      map[string]any{"top": 70, "left": 50, "right": 60, "bottom": 110},
		"xAxis":     map[string]any{"type": "category", "data": labels, "axisLabel": map[string]any{"interval": 0, "rotate": 20}},
		"yAxis":     map[string]any{"type": "value", "name": "人数", "minInterval": 1},
		"series": []map[string]any{
			{"name": "已报名", "type": "bar", "stack": "报名", "data": joined, "itemStyle": map[string]any{"color": "#2da44e"}, "barMaxWidth": 48},
			{"name": "候补", "type": "bar", "stack": "报名", "data": waiting, "itemStyle": map[string]any{"color": "#d4a72c"}, "barMaxWidth": 48},
			{"name": "名额", "type": "bar", "data": limit, "itemStyle": map[string]any{"color": "#8c959f"}, "barMaxWidth": 48},
		},
	}
}

// relaysXLSX downloads the relay page as a workbook: 汇总 (a row per
// relay) and 名单 (every entry in order, the waitlist marked).
func (s *Server) relaysXLSX(w http.ResponseWriter, r *http.Request) {
	d, err := s.unitRelays(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum := sheet{Name: "汇总", Rows: [][]any{{"群", "接龙", "发起时间", "截止时间", "名额", "已报名", "候补", "应参加", "状态"}}}
	list := sheet{Name: "名单", Rows: [][]any{{"群", "接龙", "序号", "姓名", "备注", "报名时间", "候补"}}}
	for _, l := range d.Relays {
		title := fmt.Sprintf("#%d %s", l.Seq, l.Title)
		limit, target, state := "不限", "", "已结束"
		if l.Cap > 0 {
			limit = fmt.Sprint(l.Cap)
		}
		if l.Target != 0 {
			target = d.UnitName(l.Target) + "全体"
		}
		if l.Open {
			state = "进行中"
		}
		sum.Rows = append(sum.Rows, []any{l.Group, title, d.Time(l.CreatedAt), d.Time(l.Until), limit, l.Joined(), l.Waiting(), target, state})
		for _, e := range l.Entries {
			wait := ""
			if l.Waitlisted(e.Place) {
				wait = fmt.Sprintf("候补%d", e.Place-l.Cap)
			}
			list.Rows = append(list.Rows, []any{l.Group, title, e.Place, e.Name, entryNote(e), d.Time(e.JoinedAt), wait})
		}
	}
	s.writeXLSX(w, r, fmt.Sprintf("relays-%d.xlsx", d.Unit.ID), sum, list)
}
