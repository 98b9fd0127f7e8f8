package calendar

import (
	"container/list"
	"fmt"
	"strings"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	lunar "github.com/6tail/lunar-go/calendar"
)

// builtinSchedule returns the days lunar-go lists for the official schedule
// of year, that is every record whose target holiday lies in year (a
// make-up day may fall in the previous December). It returns nil when
// lunar-go has no schedule for year.
func builtinSchedule(year int) []mark {
	var marks []mark
	add := func(y int, month time.Month) {
		var l *list.List
		if month == 0 {
			l = HolidayUtil.GetHolidaysByYear(y)
		} else {
			l = HolidayUtil.GetHolidaysByYm(y, int(month))
		}
		for e := l.Front(); e != nil; e = e.Next() {
			h, ok := e.Value.(*HolidayUtil.Holiday)
			if !ok {
				continue
			}
			day, err1 := time.Parse(time.DateOnly, h.GetDay())
			target, err2 := time.Parse(time.DateOnly, h.GetTarget())
			if err1 != nil || err2 != nil || target.Year() != year {
				continue
			}
			marks = append(marks, mark{date: day, off: !h.IsWork(), name: h.GetName(), source: SourceBuiltin})
		}
	}
	add(year-1, time.December)
	add(year, 0)
	sortMarks(marks)
	return marks
}

// statutoryHolidays computes the days off that the national rules (as
// revised with effect from 2025) fix for year, without any make-up working
// days: 元旦 (Jan 1), 春节 (four days from 除夕, the last day of the lunar
// year), 清明 (the day of the 清明 solar term), 劳动节 (May 1-2), 端午
// (lunar 5/5), 中秋 (lunar 8/15) and 国庆 (Oct 1-3). Two holidays on the same
// date share it, with both names.
func statutoryHolidays(year int) (marks []mark, err error) {
	defer func() {
		if r := recover(); r != nil {
			marks, err = nil, fmt.Errorf("statutory holidays of %d: lunar-go panicked: %v", year, r)
		}
	}()
	names := make(map[time.Time][]string)
	add := func(first time.Time, days int, name string) {
		for i := 0; i < days; i++ {
			d := first.AddDate(0, 0, i)
			names[d] = append(names[d], name)
		}
	}
	ymd := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, time.UTC) }
	fromSolar := func(s *lunar.Solar) time.Time {
		return time.Date(s.GetYear(), time.Month(s.GetMonth()), s.GetDay(), 0, 0, 0, 0, time.UTC)
	}

	add(ymd(time.January, 1), 1, "元旦")
	// 除夕 is the day before 正月初一, whether 腊月 has 29 or 30 days.
	add(fromSolar(lunar.NewLunarFromYmd(year, 1, 1).GetSolar()).AddDate(0, 0, -1), 4, "春节")
	// The solar terms of a lunar year computed from a solar date in April
	// include that year's 清明.
	qingming := lunar.NewSolarFromYmd(year, 4, 1).GetLunar().GetJieQiTable()["清明"]
	if qingming == nil {
		return nil, fmt.Errorf("statutory holidays of %d: lunar-go has no 清明 solar term", year)
	}
	add(fromSolar(qingming), 1, "清明节")
	add(ymd(time.May, 1), 2, "劳动节")
	add(fromSolar(lunar.NewLunarFromYmd(year, 5, 5).GetSolar()), 1, "端午节")
	add(fromSolar(lunar.NewLunarFromYmd(year, 8, 15).GetSolar()), 1, "中秋节")
	add(ymd(time.October, 1), 3, "国庆节")

	for d, n := range names {
		if d.Year() != year {
			return nil, fmt.Errorf("statutory holidays of %d: %s (%s) falls outside the year",
				year, d.Format(time.DateOnly), strings.Join(n, "、"))
		}
		marks = append(marks, mark{date: d, off: true, name: strings.Join(n, "、"), source: SourceProvisional})
	}
	sortMarks(marks)
	return marks, nil
}
