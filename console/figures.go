package console

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"
)

// The secretaries' figures: attendance (with 请假 and 补签) as a workbook,
// relays with their lists, study completion over a period, and follow-up
// of a task with a "send reminders" action. Each page calls a feature's
// desk operation, which checks the caller's units as the chat does.

// figurePages are the templates of these pages.
var figurePages = []string{"relays", "study", "followup", "task"}

// figureRoutes registers the pages of the features that are wired.
func (s *Server) figureRoutes(mux *http.ServeMux) error {
	if err := s.parsePages(figurePages); err != nil {
		return err
	}
	if s.opts.Checkin != nil {
		mux.Handle("GET /units/{id}/attendance.xlsx", s.signedIn(s.attendanceXLSX))
	}
	if s.opts.Relays != nil {
		mux.Handle("GET /units/{id}/relays", s.signedIn(s.relays))
		mux.Handle("GET /units/{id}/relays.xlsx", s.signedIn(s.relaysXLSX))
	}
	if s.opts.Study != nil {
		mux.Handle("GET /units/{id}/study", s.signedIn(s.studyPage))
		mux.Handle("GET /units/{id}/study.xlsx", s.signedIn(s.studyXLSX))
	}
	if s.opts.Followup != nil {
		mux.Handle("GET /units/{id}/followup", s.signedIn(s.followupList))
		mux.Handle("GET /followup/{kind}/{id}", s.signedIn(s.task))
		mux.Handle("POST /followup/{kind}/{id}/remind", s.signedIn(s.remind))
	}
	return nil
}

// figureNav says which of these pages are served, for the navigation.
type figureNav struct {
	Relays, Study, Followup bool
}

func (s *Server) figureNav() figureNav {
	return figureNav{Relays: s.opts.Relays != nil, Study: s.opts.Study != nil, Followup: s.opts.Followup != nil}
}

// figureWindow is how far back the relay and follow-up pages look.
const figureWindow = 90 * 24 * time.Hour

// sheet is one sheet of a workbook: a header row, then the rows.
type sheet struct {
	Name string
	Rows [][]any
}

// writeXLSX sends a workbook as a download named file.
func (s *Server) writeXLSX(w http.ResponseWriter, r *http.Request, file string, sheets ...sheet) {
	x := excelize.NewFile()
	defer x.Close()
	for i, sh := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sh.Name); err != nil {
				s.fail(w, r, fmt.Errorf("name sheet %s: %w", sh.Name, err))
				return
			}
		} else if _, err := x.NewSheet(sh.Name); err != nil {
			s.fail(w, r, fmt.Errorf("add sheet %s: %w", sh.Name, err))
			return
		}
		for j, row := range sh.Rows {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := x.SetSheetRow(sh.Name, cell, &row); err != nil {
				s.fail(w, r, fmt.Errorf("write sheet %s: %w", sh.Name, err))
				return
			}
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		s.fail(w, r, fmt.Errorf("write workbook %s: %w", file, err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// attendanceXLSX downloads the attendance page as a workbook: 汇总 (a row
// per session with its counts) and 名单 (a row per person and session,
// with 补签 naming who recorded it and 请假 its reason).
func (s *Server) attendanceXLSX(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "没有这个单位。")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sessions, err := s.opts.Checkin.UnitAttendance(r.Context(), caller(r), id, s.opts.Engine.Now().Add(-attendanceWindow))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	loc := s.opts.Engine.Location()
	sum := sheet{Name: "汇总", Rows: [][]any{{"群", "签到", "发起时间", "应到", "按时", "迟到", "补签", "请假", "缺席", "未绑定花名册", "名单外"}}}
	names := sheet{Name: "名单", Rows: [][]any{{"群", "签到", "发起时间", "状态", "姓名"}}}
	for _, a := range sessions {
		title := fmt.Sprintf("#%d %s", a.Seq, a.Title)
		opened := a.Opened.In(loc).Format("2006-01-02 15:04")
		sum.Rows = append(sum.Rows, []any{a.Group, title, opened, a.Expected, len(a.OnTime), len(a.Late), len(a.MadeUp), len(a.Leave),
			len(a.Absent), len(a.Unlinked), len(a.Others)})
		for _, part := range []struct {
			status string
			names  []string
		}{{"按时", a.OnTime}, {"迟到", a.Late}, {"补签", a.MadeUp}, {"请假", a.LeaveWhy}, {"缺席", a.Absent}, {"未绑定花名册", a.Unlinked}, {"名单外", a.Others}} {
			for _, n := range part.names {
				names.Rows = append(names.Rows, []any{a.Group, title, opened, part.status, n})
			}
		}
	}
	s.writeXLSX(w, r, fmt.Sprintf("attendance-%d.xlsx", id), sum, names)
}
