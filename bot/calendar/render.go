package calendar

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
)

var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// WeekdayName returns the Chinese name of wd, such as 周六.
func WeekdayName(wd time.Weekday) string { return weekdayNames[wd] }

// Label is the source as the listing names it, in Chinese: 内置, 文件,
// 推算, 平常.
func (s Source) Label() string {
	switch s {
	case SourceBuiltin:
		return "内置"
	case SourceFile:
		return "文件"
	case SourceProvisional:
		return "推算"
	case SourceWeekday:
		return "平常"
	}
	return string(s)
}

// WriteYear writes the schedule of year for the command "branchbot holidays
// <year>": a header line saying where it comes from, then every day a
// schedule lists, in date order, whole holiday periods (weekend days
// included) and make-up working days:
//
//	2026-02-14 周六 上班 春节调休（内置）
//	2026-02-16 周一 休息 春节（内置）
//
// A year without an official schedule is computed from the statutory
// rules; the header says whether its schedule is not yet published (no
// later year has one) or only not recorded (a past year).
func (c *Calendar) WriteYear(w io.Writer, year int) error {
	var b bytes.Buffer
	switch first := c.firstOfficial(year); {
	case c.Provisional(year) && first > year:
		fmt.Fprintf(&b, "%d年的官方节假日安排未收录（内置数据从 %d 年起）。以下按现行法定节假日规则推算，不含调休，与当年实际安排可能不同，仅供参考；"+
			"需要准确安排时，可把该年的节假日文件放入 calendar.holidays_dir：\n", year, first)
	case c.Provisional(year):
		fmt.Fprintf(&b, "%d年官方节假日安排尚未发布，以下为按法定节假日推算的临时安排，不含调休，仅供参考（发布后可把节假日文件放入 calendar.holidays_dir）：\n", year)
	case c.year(year).source == SourceFile:
		fmt.Fprintf(&b, "%d年节假日安排（来源：calendar.holidays_dir 中的节假日文件）：\n", year)
	default:
		fmt.Fprintf(&b, "%d年节假日安排（来源：内置的国务院办公厅放假通知）：\n", year)
	}
	for _, d := range c.named(year) {
		status, name := "休息", d.Name
		if d.Work {
			status, name = "上班", d.Name+"调休"
		}
		fmt.Fprintf(&b, "%s %s %s %s（%s）\n",
			d.Date.Format(time.DateOnly), WeekdayName(d.Date.Weekday()), status, name, d.Source.Label())
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write holidays of %d: %w", year, err)
	}
	return nil
}

// firstOfficial is the first year after year (within a century) with an
// official schedule (a file or the built-in data), or 0 if there is none.
func (c *Calendar) firstOfficial(year int) int {
	for y := year + 1; y <= year+100; y++ {
		if _, ok := c.files[y]; ok || len(builtinSchedule(y)) > 0 {
			return y
		}
	}
	return 0
}

// ParseTime parses a command-line instant: RFC 3339 such as
// 2026-02-13T16:00:00+08:00, or the same without the zone (seconds
// optional, or a bare date meaning midnight) in the calendar's location.
// The error is in Chinese, ready to show to whoever typed s.
func (c *Calendar) ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(c.loc), nil
	}
	// Forms without a zone, read in the calendar's location.
	for _, layout := range [...]string{
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		time.DateOnly,
	} {
		if t, err := time.ParseInLocation(layout, s, c.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("无法识别时间 %q，请使用 RFC 3339 格式，例如 2026-02-13T16:00:00+08:00", s)
}

// ParseMonth parses a command-line month such as 2026-02 (also 2026-2,
// 2026/02 or 2026年2月) and returns its first midnight and the first
// midnight of the next month in the calendar's location, the half-open
// range [start, end). The error is in Chinese.
func (c *Calendar) ParseMonth(s string) (start, end time.Time, err error) {
	s = strings.TrimSpace(s)
	// In a layout, "1" matches a month of one or two digits.
	for _, layout := range [...]string{"2006-1", "2006/1", "2006.1", "2006年1月"} {
		if t, err := time.ParseInLocation(layout, s, c.loc); err == nil {
			start = c.at(civil(t), 0)
			return start, c.at(civil(t).AddDate(0, 1, 0), 0), nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("无法识别月份 %q，请写成 2026-02 这样的格式", s)
}
