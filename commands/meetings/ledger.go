package meetings

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/export"
)

// LedgerStore is what the 台账 reads: the meetings, and each one's
// attendance as /export checkin has it.
type LedgerStore interface {
	Store
	export.Store
}

// Row is one meeting in a unit's 台账.
type Row struct {
	Date     time.Time
	Type     string
	Title    string
	Expected int
	Present  int // checked in, late or made up (补签)
	Leave    int // approved leave (请假)
	Absent   []string
	Minutes  []string // pieces of 会议记录, each with its author
	Photos   []string // files of 会议照片 (in the photo folder), each with its author
}

// UnitLedger is a unit's meetings of a year.
type UnitLedger struct {
	Unit string
	Rows []Row
}

// Ledger is the 台账 of root's units (root and every unit below it that
// held a meeting) for a year: one ledger per unit, its meetings in order,
// each with its attendance counted from the check-in's records.
func Ledger(ctx context.Context, store LedgerStore, units *bot.UnitTree, loc *time.Location, root int64, year int, now time.Time) ([]UnitLedger, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	var out []UnitLedger
	for _, u := range units.Subtree(root) {
		ms, err := store.MeetingsOfUnit(ctx, u, from, from.AddDate(1, 0, 0))
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 && u != root {
			continue
		}
		l := UnitLedger{Unit: units.Name(u)}
		for _, m := range ms {
			t, _, err := export.Checkin(ctx, store, units, loc, m.ID, now)
			if err != nil {
				return nil, fmt.Errorf("attendance of meeting %d: %w", m.ID, err)
			}
			row := Row{Date: m.OpenedAt.In(loc), Type: m.MeetingType, Title: m.Title}
			notes, err := store.CheckinNotes(ctx, m.ID)
			if err != nil {
				return nil, err
			}
			for _, n := range notes {
				row.Minutes = append(row.Minutes, n.Text+"（"+n.AuthorName+"）")
			}
			photos, err := store.CheckinPhotos(ctx, m.ID)
			if err != nil {
				return nil, err
			}
			for _, p := range photos {
				row.Photos = append(row.Photos, p.File+"（"+p.AuthorName+"）")
			}
			for _, r := range t.Rows {
				name, status := r[0], r[4]
				switch {
				case status == "已签到" || status == "迟到" || strings.HasPrefix(status, "补签"):
					row.Present++
				case status == "请假":
					row.Leave++
				case strings.HasPrefix(status, "缺席") || strings.HasPrefix(status, "未签到"):
					row.Absent = append(row.Absent, name)
				default:
					continue // 名单外 or unlinked check-ins do not count against the roster
				}
				row.Expected++
			}
			l.Rows = append(l.Rows, row)
		}
		out = append(out, l)
	}
	return out, nil
}

// WriteXLSX writes the ledgers as a workbook, one sheet per unit: 日期,
// 类型, 主题, 应到, 实到, 请假, 缺席 (by name), 会议记录, 会议照片 (file names
// in <data_dir>/minutes).
func WriteXLSX(ls []UnitLedger, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	for i, l := range ls {
		sheet := l.Unit
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(sheet); err != nil {
			return fmt.Errorf("sheet %s: %w", sheet, err)
		}
		rows := [][]any{{"日期", "类型", "主题", "应到", "实到", "请假", "缺席", "会议记录", "会议照片"}}
		for _, r := range l.Rows {
			rows = append(rows, []any{r.Date.Format("2006-01-02 15:04"), r.Type, r.Title, r.Expected, r.Present, r.Leave, strings.Join(r.Absent, "、"), strings.Join(r.Minutes, "\n"), strings.Join(r.Photos, "\n")})
		}
		for j, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := x.SetSheetRow(sheet, cell, &row); err != nil {
				return fmt.Errorf("write %s: %w", sheet, err)
			}
		}
	}
	_, err := x.WriteTo(w)
	return err
}
