package calendar_test

import (
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
)

// FuzzParseMonthAndTime: the month of /sla and `report sla --month` and the
// instant of `sla deadline` are read or refused in Chinese, never a panic;
// a month read is a range of one month.
func FuzzParseMonthAndTime(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-2", "2026/02", "2026.2", "2026年2月", "2026-13", "0-1", "2026-02-13T16:00:00+08:00", "2026-02-13", "2026-02-13 16:00"} {
		f.Add(s)
	}
	cal, err := calendar.New(calendar.Options{Location: bot.ShanghaiLocation()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if start, end, err := cal.ParseMonth(s); err == nil {
			if !end.After(start) || end.Sub(start).Hours() < 24*28 || end.Sub(start).Hours() > 24*31+1 {
				t.Fatalf("ParseMonth(%q) = [%v, %v)", s, start, end)
			}
		}
		if at, err := cal.ParseTime(s); err == nil {
			_ = cal.Deadline(at, 2, 0)
		}
	})
}
