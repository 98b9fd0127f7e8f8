package calendar_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/calendar"
)

func TestDeadline(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	tests := []struct {
		name  string
		filed time.Time
		days  int
		cob   time.Duration
		want  string
	}{
		{"Friday 16:00, ordinary week", at(t, "2026-03-06 16:00"), 2, 0, "2026-03-10 17:30"},
		{"Saturday", at(t, "2026-03-07 10:00"), 2, 0, "2026-03-10 17:30"},
		{"Sunday late", at(t, "2026-03-08 23:59"), 2, 0, "2026-03-10 17:30"},
		{"Monday before work still does not count", at(t, "2026-03-09 07:00"), 2, 0, "2026-03-11 17:30"},
		{"Friday before 春节: make-up Saturday counts", at(t, "2026-02-13 16:00"), 2, 0, "2026-02-24 17:30"},
		{"filed on the make-up Saturday", at(t, "2026-02-14 09:00"), 2, 0, "2026-02-25 17:30"},
		{"instant given in UTC", time.Date(2026, 2, 13, 8, 0, 0, 0, time.UTC), 2, 0, "2026-02-24 17:30"},
		{"Friday 16:30 UTC is Saturday 00:30 in Beijing", time.Date(2026, 3, 6, 16, 30, 0, 0, time.UTC), 2, 0, "2026-03-10 17:30"},
		{"zero days means the default", at(t, "2026-03-06 16:00"), 0, 0, "2026-03-10 17:30"},
		{"custom close of business", at(t, "2026-03-06 16:00"), 2, 18 * time.Hour, "2026-03-10 18:00"},
		{"one day", at(t, "2026-09-30 10:00"), 1, 0, "2026-10-08 17:30"},
		{"three days reach the make-up Saturday", at(t, "2026-09-30 10:00"), 3, 0, "2026-10-10 17:30"},
		{"five days", at(t, "2026-09-30 10:00"), 5, 0, "2026-10-13 17:30"},
		{"one day onto the make-up Sunday", at(t, "2025-01-24 10:00"), 1, 0, "2025-01-26 17:30"},
		{"three days over 春节 2025", at(t, "2025-01-24 10:00"), 3, 0, "2025-02-05 17:30"},
		{"five days over 春节 2025", at(t, "2025-01-24 10:00"), 5, 0, "2025-02-07 17:30"},
		{"元旦 2026 make-up Sunday", at(t, "2025-12-31 10:00"), 1, 0, "2026-01-04 17:30"},
		{"into 2027: provisional 元旦", at(t, "2026-12-30 10:00"), 2, 0, "2027-01-04 17:30"},
		{"from New Year's Eve into 2027", at(t, "2026-12-31 16:00"), 2, 0, "2027-01-05 17:30"},
		{"provisional 春节 2027", at(t, "2027-02-04 16:00"), 1, 0, "2027-02-09 17:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Deadline(tt.filed, tt.days, tt.cob)
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("Deadline(%s, %d) = %s (%s), want %s", tt.filed, tt.days, got, got.Weekday(), want)
			}
			if got.Location() != c.Location() {
				t.Errorf("deadline in %s, want %s", got.Location(), c.Location())
			}
		})
	}
	if d := c.Day(at(t, "2027-01-01")); d.Work || d.Source != calendar.SourceProvisional || d.Name != "元旦" {
		t.Errorf("2027-01-01 = %+v, want a provisional 元旦 day off", d)
	}
}

func TestAddWorkdays(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2026-02-24", -1, "2026-02-14"},
		{"2026-02-24", -2, "2026-02-13"},
		{"2026-02-15", 0, "2026-02-15"},
		{"2026-02-13", 1, "2026-02-14"},
		{"2026-10-08", -1, "2026-09-30"},
		{"2027-01-04", -1, "2026-12-31"},
	}
	for _, tt := range tests {
		got := c.AddWorkdays(at(t, tt.from+" 15:00"), tt.n)
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.from, tt.n, got, want)
		}
	}
}

// period is one holiday period of an official schedule, from the State
// Council notices for 2025 and 2026.
type period struct {
	name     string // part of the holiday's name in every source
	before   string // last working day before the period
	firstOff string
	lastOff  string
	after    string // first working day after the period
	makeUp   []string
}

var periods = []period{
	{"元旦", "2024-12-31", "2025-01-01", "2025-01-01", "2025-01-02", nil},
	{"春节", "2025-01-27", "2025-01-28", "2025-02-04", "2025-02-05", []string{"2025-01-26", "2025-02-08"}},
	{"清明", "2025-04-03", "2025-04-04", "2025-04-06", "2025-04-07", nil},
	{"劳动", "2025-04-30", "2025-05-01", "2025-05-05", "2025-05-06", []string{"2025-04-27"}},
	{"端午", "2025-05-30", "2025-05-31", "2025-06-02", "2025-06-03", nil},
	{"国庆", "2025-09-30", "2025-10-01", "2025-10-08", "2025-10-09", []string{"2025-09-28", "2025-10-11"}},
	{"元旦", "2025-12-31", "2026-01-01", "2026-01-03", "2026-01-04", []string{"2026-01-04"}},
	{"春节", "2026-02-14", "2026-02-15", "2026-02-23", "2026-02-24", []string{"2026-02-14", "2026-02-28"}},
	{"清明", "2026-04-03", "2026-04-04", "2026-04-06", "2026-04-07", nil},
	{"劳动", "2026-04-30", "2026-05-01", "2026-05-05", "2026-05-06", []string{"2026-05-09"}},
	{"端午", "2026-06-18", "2026-06-19", "2026-06-21", "2026-06-22", nil},
	{"中秋", "2026-09-24", "2026-09-25", "2026-09-27", "2026-09-28", nil},
	{"国庆", "2026-09-30", "2026-10-01", "2026-10-07", "2026-10-08", []string{"2026-09-20", "2026-10-10"}},
}

func TestHolidayPeriodBoundaries(t *testing.T) {
	sources := map[string]calendar.Options{"built-in": {}}
	if dir, err := findShared(); err == nil {
		sources["file"] = calendar.Options{HolidaysDir: dir}
	} else if os.Getenv("CI") == "true" {
		t.Fatal(err)
	} else {
		t.Logf("checking the built-in data only: %v", err)
	}
	for src, opts := range sources {
		c := newCalendar(t, opts)
		for _, p := range periods {
			t.Run(src+"/"+p.firstOff+p.name, func(t *testing.T) {
				work := func(date string, want bool, named bool) {
					t.Helper()
					d := c.Day(at(t, date+" 12:00"))
					if d.Work != want || c.IsWorkday(at(t, date)) != want {
						t.Errorf("%s: Work %v, want %v", date, d.Work, want)
					}
					if named && !strings.Contains(d.Name, p.name) {
						t.Errorf("%s: name %q, want one containing %s", date, d.Name, p.name)
					}
					if named && (d.Source == calendar.SourceWeekday || d.Source == calendar.SourceProvisional) {
						t.Errorf("%s: source %s", date, d.Source)
					}
				}
				work(p.before, true, false)
				work(p.firstOff, false, true)
				work(p.lastOff, false, true)
				work(p.after, true, false)
				for _, m := range p.makeUp {
					work(m, true, true)
					if wd := at(t, m).Weekday(); wd != time.Saturday && wd != time.Sunday {
						t.Errorf("make-up day %s is a %s", m, wd)
					}
				}
				// The whole period lies between two consecutive working days.
				if got := c.AddWorkdays(at(t, p.before), 1); !got.Equal(at(t, p.after)) {
					t.Errorf("working day after %s = %s, want %s", p.before, got, p.after)
				}
				if got := c.AddWorkdays(at(t, p.after), -1); !got.Equal(at(t, p.before)) {
					t.Errorf("working day before %s = %s, want %s", p.after, got, p.before)
				}
			})
		}
	}
}

func TestDeadlineWithDroppedInFile(t *testing.T) {
	c := newCalendar(t, calendar.Options{HolidaysDir: sample2027(t)})
	if got := c.Deadline(at(t, "2027-02-19 16:00"), 1, 0); !got.Equal(at(t, "2027-02-20 17:30")) {
		t.Errorf("deadline onto the file's make-up Saturday = %s", got)
	}
	if got := c.Deadline(at(t, "2026-12-25 16:00"), 1, 0); !got.Equal(at(t, "2026-12-26 17:30")) {
		t.Errorf("deadline onto the file's make-up Saturday in 2026 = %s", got)
	}
	if got := c.Deadline(at(t, "2027-06-08 16:00"), 1, 0); !got.Equal(at(t, "2027-06-09 17:30")) {
		t.Errorf("deadline over the file's (absent) 端午 = %s", got)
	}
}

func TestBusinessDuration(t *testing.T) {
	c := newCalendar(t, calendar.Options{})
	custom := newCalendar(t, calendar.Options{WorkStart: 9 * time.Hour, WorkEnd: 18 * time.Hour})
	tests := []struct {
		name     string
		c        *calendar.Calendar
		from, to string
		want     time.Duration
	}{
		{"inside one morning", c, "2026-03-09 09:00", "2026-03-09 11:15", 2*time.Hour + 15*time.Minute},
		{"before work", c, "2026-03-09 06:00", "2026-03-09 08:30", 0},
		{"across the start of work", c, "2026-03-09 08:00", "2026-03-09 09:00", 30 * time.Minute},
		{"overnight", c, "2026-03-09 17:00", "2026-03-10 09:00", time.Hour},
		{"a whole working day", c, "2026-03-09 00:00", "2026-03-10 00:00", 9 * time.Hour},
		{"across a weekend", c, "2026-03-06 16:30", "2026-03-09 09:30", 2 * time.Hour},
		{"inside a weekend", c, "2026-03-07 09:00", "2026-03-08 17:00", 0},
		{"across 国庆 2026", c, "2026-09-30 17:00", "2026-10-08 09:00", time.Hour},
		{"across a make-up Saturday", c, "2026-10-09 17:00", "2026-10-12 09:00", 10 * time.Hour},
		{"across 春节 2026", c, "2026-02-13 17:00", "2026-02-24 08:45", 9*time.Hour + 45*time.Minute},
		{"into provisional 2027", c, "2026-12-31 17:00", "2027-01-04 09:30", 90 * time.Minute},
		{"custom hours", custom, "2026-03-06 17:00", "2026-03-09 09:30", 90 * time.Minute},
		{"reversed", c, "2026-03-09 09:30", "2026-03-06 16:30", -2 * time.Hour},
		{"empty", c, "2026-03-09 10:00", "2026-03-09 10:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.BusinessDuration(at(t, tt.from), at(t, tt.to)); got != tt.want {
				t.Errorf("BusinessDuration(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestOtherLocation(t *testing.T) {
	// The same civil dates apply in whatever zone the calendar is set to.
	utc := newCalendar(t, calendar.Options{Location: time.UTC})
	filed := time.Date(2026, 2, 13, 20, 0, 0, 0, time.UTC) // Saturday 04:00 in Beijing
	if got, want := utc.Deadline(filed, 2, 0), time.Date(2026, 2, 24, 17, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("UTC deadline = %s, want %s", got, want)
	}
	if !utc.IsWorkday(filed) {
		t.Error("Friday is not a working day in UTC")
	}
	if newCalendar(t, calendar.Options{}).IsWorkday(filed) != true {
		t.Error("the make-up Saturday is not a working day in Beijing")
	}
	if calendar.DefaultLocation().String() != "Asia/Shanghai" {
		t.Errorf("DefaultLocation() = %s", calendar.DefaultLocation())
	}
}
