package calendar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStatutoryHolidaysAreOfficialDaysOff checks the provisional rules
// against the years published since they took effect (2025): every day they
// give must be a day off in the official schedule, both the built-in one
// and the holiday-cn file when it is present.
func TestStatutoryHolidaysAreOfficialDaysOff(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "holidays")
	for year := 2025; year <= 2026; year++ {
		marks, err := statutoryHolidays(year)
		if err != nil {
			t.Fatal(err)
		}
		if len(marks) != 13 {
			t.Errorf("%d: %d statutory days, want 13", year, len(marks))
		}
		official := make(map[time.Time]bool)
		for _, m := range builtinSchedule(year) {
			official[m.date] = m.off
		}
		if data, err := os.ReadFile(filepath.Join(dir, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")+".json")); err == nil {
			var f struct {
				Days []struct {
					Date     string `json:"date"`
					IsOffDay bool   `json:"isOffDay"`
				} `json:"days"`
			}
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			fromFile := make(map[time.Time]bool)
			for _, d := range f.Days {
				date, err := time.Parse(time.DateOnly, d.Date)
				if err != nil {
					t.Fatal(err)
				}
				fromFile[date] = d.IsOffDay
			}
			for _, m := range marks {
				if !fromFile[m.date] {
					t.Errorf("%s %s is not a day off in %d.json", m.date.Format(time.DateOnly), m.name, year)
				}
			}
		} else if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		for _, m := range marks {
			if !official[m.date] {
				t.Errorf("%s %s is not a built-in day off", m.date.Format(time.DateOnly), m.name)
			}
			if !m.off || m.source != SourceProvisional {
				t.Errorf("%+v", m)
			}
		}
	}
}

// TestStatutoryHolidaysShareDates checks a year where 中秋 falls inside 国庆
// (2028: lunar 8/15 is October 3).
func TestStatutoryHolidaysShareDates(t *testing.T) {
	marks, err := statutoryHolidays(2028)
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != 12 {
		t.Errorf("2028: %d days, want 12", len(marks))
	}
	for _, m := range marks {
		if m.date.Equal(time.Date(2028, 10, 3, 0, 0, 0, 0, time.UTC)) && m.name != "中秋节、国庆节" {
			t.Errorf("2028-10-03 is %q", m.name)
		}
	}
}

// TestBuiltinCrossYear checks that a make-up day lunar-go lists in
// December for the next 元旦 is applied in its own year: 2018-12-29
// (Saturday) was worked and 2018-12-31 (Monday) was off for 元旦 2019.
func TestBuiltinCrossYear(t *testing.T) {
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	sat := time.Date(2018, 12, 29, 12, 0, 0, 0, c.loc)
	mon := time.Date(2018, 12, 31, 12, 0, 0, 0, c.loc)
	if d := c.Day(sat); !d.Work || d.Source != SourceBuiltin {
		t.Errorf("2018-12-29 = %+v", d)
	}
	if d := c.Day(mon); d.Work || d.Source != SourceBuiltin {
		t.Errorf("2018-12-31 = %+v", d)
	}
	// 2001 has no schedule of its own in lunar-go, only the make-up days
	// of 元旦 2002 in its last days.
	if !c.Provisional(2001) || !c.IsWorkday(time.Date(2001, 12, 29, 12, 0, 0, 0, c.loc)) {
		t.Errorf("2001: provisional %v, 12-29 worked %v", c.Provisional(2001), c.IsWorkday(time.Date(2001, 12, 29, 12, 0, 0, 0, c.loc)))
	}
}
