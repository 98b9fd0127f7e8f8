package calendar_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the host's zone files

	"github.com/branchbot/branchbot/bot/calendar"
)

// findShared locates the folder of official holiday-cn schedules that sits
// beside the repository checkout.
func findShared() (string, error) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "holidays"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "2026.json")); err != nil {
		return "", fmt.Errorf("official schedules not found beside the checkout (%s): %w", dir, err)
	}
	return dir, nil
}

// sharedHolidays returns findShared's folder. When it is missing the test
// fails under CI=true and is skipped otherwise.
func sharedHolidays(t testing.TB) string {
	t.Helper()
	dir, err := findShared()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skipf("skipping (this fails under CI=true): %v", err)
	}
	return dir
}

type officialDay struct {
	Name     string `json:"name"`
	Date     string `json:"date"`
	IsOffDay bool   `json:"isOffDay"`
}

// readOfficial reads one holiday-cn file on its own, independently of the
// package's loader.
func readOfficial(t testing.TB, dir string, year int) map[string]officialDay {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Year int           `json:"year"`
		Days []officialDay `json:"days"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Year != year || len(f.Days) == 0 {
		t.Fatalf("%d.json: year %d with %d days", year, f.Year, len(f.Days))
	}
	out := make(map[string]officialDay)
	for _, d := range f.Days {
		out[d.Date] = d
	}
	return out
}

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func newCalendar(t testing.TB, opts calendar.Options) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// at parses "2006-01-02 15:04" in Asia/Shanghai.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	v, err := time.ParseInLocation(layout, s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// walkOfficial checks every day of 2024-2026 against the official files.
func walkOfficial(t *testing.T, c *calendar.Calendar, dir string, wantListed calendar.Source) {
	for year := 2024; year <= 2026; year++ {
		official := readOfficial(t, dir, year)
		if c.Provisional(year) {
			t.Errorf("%d is provisional", year)
		}
		days := 0
		for d := time.Date(year, 1, 1, 12, 0, 0, 0, shanghai); d.Year() == year; d = d.AddDate(0, 0, 1) {
			days++
			key := d.Format(time.DateOnly)
			want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
			o, listed := official[key]
			if listed {
				want = !o.IsOffDay
			}
			got := c.Day(d)
			if got.Work != want || c.IsWorkday(d) != want {
				t.Errorf("%s %s: Work %v, IsWorkday %v; the official schedule says %v (%+v)",
					key, d.Weekday(), got.Work, c.IsWorkday(d), want, o)
			}
			if !got.Date.Equal(time.Date(year, d.Month(), d.Day(), 0, 0, 0, 0, shanghai)) {
				t.Errorf("%s: Date %s, want midnight", key, got.Date)
			}
			// Special days must come from a schedule; a weekend inside a
			// holiday period may come from either.
			special := want == (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday)
			switch {
			case listed && wantListed == calendar.SourceFile:
				if got.Source != calendar.SourceFile || got.Name != o.Name {
					t.Errorf("%s: %q from %s, want %q from file", key, got.Name, got.Source, o.Name)
				}
			case special:
				if got.Source != wantListed || got.Name == "" {
					t.Errorf("%s: special day %q from %s, want a name from %s", key, got.Name, got.Source, wantListed)
				}
			case !listed && got.Source != calendar.SourceWeekday && got.Source != wantListed:
				t.Errorf("%s: ordinary day from %s", key, got.Source)
			}
		}
		if days != 365 && days != 366 {
			t.Fatalf("walked %d days of %d", days, year)
		}
	}
}

func TestBuiltinAgreesWithOfficialSchedules(t *testing.T) {
	dir := sharedHolidays(t)
	walkOfficial(t, newCalendar(t, calendar.Options{}), dir, calendar.SourceBuiltin)
}

func TestFilesWinOverBuiltin(t *testing.T) {
	dir := sharedHolidays(t)
	walkOfficial(t, newCalendar(t, calendar.Options{HolidaysDir: dir}), dir, calendar.SourceFile)
}

func TestProvisional2027(t *testing.T) {
	var missing atomic.Int32
	c := newCalendar(t, calendar.Options{OnMissingYear: func(year int) {
		if year == 2027 {
			missing.Add(1)
		}
	}})
	if !c.Provisional(2027) {
		t.Fatal("2027 is not provisional; lunar-go now has 2027 data? update this test")
	}
	if c.Provisional(2026) {
		t.Fatal("2026 is provisional")
	}
	// Dates checked against lunar-go: 除夕 2027-02-05, 清明 04-05, 端午
	// 06-09, 中秋 09-15.
	want := map[string]string{
		"2027-01-01": "元旦",
		"2027-02-05": "春节", "2027-02-06": "春节", "2027-02-07": "春节", "2027-02-08": "春节",
		"2027-04-05": "清明节",
		"2027-05-01": "劳动节", "2027-05-02": "劳动节",
		"2027-06-09": "端午节",
		"2027-09-15": "中秋节",
		"2027-10-01": "国庆节", "2027-10-02": "国庆节", "2027-10-03": "国庆节",
	}
	for d := at(t, "2027-01-01"); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		got := c.Day(d)
		name, holiday := want[key]
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		switch {
		case holiday && (got.Work || got.Name != name || got.Source != calendar.SourceProvisional):
			t.Errorf("%s = %+v, want a provisional %s day off", key, got, name)
		case !holiday && (got.Work == weekend || got.Source != calendar.SourceWeekday || got.Name != ""):
			t.Errorf("%s = %+v, want an ordinary %s", key, got, d.Weekday())
		}
	}
	var special []string
	for _, d := range c.Special(2027) {
		special = append(special, d.Date.Format(time.DateOnly))
	}
	// Weekday days off only, no make-up days.
	wantSpecial := "2027-01-01 2027-02-05 2027-02-08 2027-04-05 2027-06-09 2027-09-15 2027-10-01"
	if got := strings.Join(special, " "); got != wantSpecial {
		t.Errorf("Special(2027) = %s\nwant %s", got, wantSpecial)
	}
	if n := missing.Load(); n != 1 {
		t.Errorf("OnMissingYear(2027) called %d times, want 1", n)
	}
}

func TestOnMissingYearOncePerYearConcurrently(t *testing.T) {
	var mu sync.Mutex
	calls := make(map[int]int)
	c := newCalendar(t, calendar.Options{OnMissingYear: func(year int) {
		mu.Lock()
		calls[year]++
		mu.Unlock()
	}})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch i % 4 {
			case 0:
				c.IsWorkday(time.Date(2027, 3, 1+i%28, 12, 0, 0, 0, shanghai))
			case 1:
				c.Provisional(2027)
			case 2:
				c.Day(time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai))
			case 3:
				c.Day(time.Date(2028, 1, 1, 0, 0, 0, 0, shanghai))
			}
			c.Special(2027)
		}()
	}
	close(start)
	wg.Wait()
	c.IsWorkday(time.Date(2027, 12, 31, 0, 0, 0, 0, shanghai))
	c.Provisional(2026) // built-in: never reported
	mu.Lock()
	defer mu.Unlock()
	if calls[2027] != 1 || calls[2028] != 1 || len(calls) != 2 {
		t.Errorf("OnMissingYear calls = %v, want 2027 and 2028 once each", calls)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sample2027 returns a folder with a made-up 2027 schedule, deliberately
// unlike the statutory fallback: it starts with a make-up Saturday in
// December 2026 and omits 端午. Beside it lie files that must be ignored.
func sample2027(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "2027.json", `{"year": 2027, "papers": [], "days": [
		{"name": "元旦", "date": "2026-12-26", "isOffDay": false},
		{"name": "元旦", "date": "2027-01-01", "isOffDay": true},
		{"name": "春节", "date": "2027-02-05", "isOffDay": true},
		{"name": "春节", "date": "2027-02-10", "isOffDay": true},
		{"name": "春节", "date": "2027-02-20", "isOffDay": false}
	]}`)
	writeFile(t, dir, "notes.txt", "not a schedule")
	writeFile(t, dir, "._2027.json", "\x00\x05 resource fork")
	if err := os.Mkdir(filepath.Join(dir, "old.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDroppedInFileOverridesProvisional(t *testing.T) {
	dir := sample2027(t)
	var missing []int
	c := newCalendar(t, calendar.Options{HolidaysDir: dir, OnMissingYear: func(y int) { missing = append(missing, y) }})

	if c.Provisional(2027) {
		t.Error("2027 is provisional despite 2027.json")
	}
	check := func(date string, work bool, src calendar.Source) {
		t.Helper()
		if d := c.Day(at(t, date)); d.Work != work || d.Source != src {
			t.Errorf("%s = %+v, want work %v from %s", date, d, work, src)
		}
	}
	check("2026-12-26", true, calendar.SourceFile) // in the 2026 built-in year
	check("2026-12-25", true, calendar.SourceWeekday)
	check("2027-01-01", false, calendar.SourceFile)
	check("2027-02-08", true, calendar.SourceWeekday) // provisional 春节, not in the file
	check("2027-02-10", false, calendar.SourceFile)
	check("2027-02-20", true, calendar.SourceFile)
	check("2027-06-09", true, calendar.SourceWeekday) // no 端午 in the file
	if c.Provisional(2028) != true || len(missing) != 1 || missing[0] != 2028 {
		t.Errorf("missing years reported: %v, want [2028]", missing)
	}
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, file, content, problem string
	}{
		{"syntax", "2027.json", "{\"year\": 2027,\n \"days\": [\n {\"name\": \"元旦\" \"date\": \"2027-01-01\"}]}", "line 3"},
		{"type", "2027.json", `{"year": "2027", "days": []}`, "invalid JSON"},
		{"no year", "2027.json", `{"days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`, `no "year"`},
		{"name and year disagree", "2028.json", `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`, `file name says 2028 but "year" is 2027`},
		{"empty", "2027.json", `{"year": 2027, "days": []}`, `"days" is missing or empty`},
		{"bad date", "2027.json", `{"year": 2027, "days": [{"name": "春节", "date": "2027-02-30", "isOffDay": true}]}`, "days[0] (2027-02-30)"},
		{"wrong year", "2027.json", `{"year": 2027, "days": [{"name": "春节", "date": "2026-02-06", "isOffDay": true}]}`, "outside year 2027"},
		{"make-up weekday", "2027.json", `{"year": 2027, "days": [{"name": "春节", "date": "2027-02-01", "isOffDay": false}]}`, "Monday, already a working day"},
		{"no isOffDay", "2027.json", `{"year": 2027, "days": [{"name": "春节", "date": "2027-02-06"}]}`, `no "isOffDay"`},
		{"no name", "2027.json", `{"year": 2027, "days": [{"date": "2027-02-06", "isOffDay": true}]}`, `no "name"`},
		{"duplicate", "2027.json", `{"year": 2027, "days": [
			{"name": "春节", "date": "2027-02-06", "isOffDay": true},
			{"name": "春节", "date": "2027-02-06", "isOffDay": true}]}`, "days[1] (2027-02-06): the date is also days[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, tt.file, tt.content)
			_, err := calendar.New(calendar.Options{HolidaysDir: dir})
			if err == nil {
				t.Fatal("New accepted the file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error %q\nwant one naming %s and saying %q", err, path, tt.problem)
			}
		})
	}

	t.Run("two files for one year", func(t *testing.T) {
		dir := t.TempDir()
		day := `{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}`
		a := writeFile(t, dir, "2027.json", day)
		b := writeFile(t, dir, "2027-draft.json", day)
		_, err := calendar.New(calendar.Options{HolidaysDir: dir})
		if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
			t.Errorf("error %v, want one naming %s and %s", err, a, b)
		}
	})
	t.Run("conflicting files", func(t *testing.T) {
		dir := t.TempDir()
		a := writeFile(t, dir, "2026.json", `{"year": 2026, "days": [{"name": "x", "date": "2026-12-26", "isOffDay": true}]}`)
		b := writeFile(t, dir, "2027.json", `{"year": 2027, "days": [{"name": "元旦", "date": "2026-12-26", "isOffDay": false}]}`)
		_, err := calendar.New(calendar.Options{HolidaysDir: dir})
		if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
			t.Errorf("error %v, want one naming %s and %s", err, a, b)
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := calendar.New(calendar.Options{HolidaysDir: dir})
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v, want one naming %s", err, dir)
		}
	})
	t.Run("every bad file is reported", func(t *testing.T) {
		dir := t.TempDir()
		a := writeFile(t, dir, "2027.json", `{`)
		b := writeFile(t, dir, "2028.json", `{"year": 2028}`)
		_, err := calendar.New(calendar.Options{HolidaysDir: dir})
		if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
			t.Errorf("error %v, want one naming %s and %s", err, a, b)
		}
	})
}

func TestBadWorkingHours(t *testing.T) {
	for _, o := range []calendar.Options{
		{WorkStart: 18 * time.Hour},
		{WorkStart: 9 * time.Hour, WorkEnd: 9 * time.Hour},
		{WorkEnd: 25 * time.Hour},
		{WorkStart: -time.Hour},
	} {
		if _, err := calendar.New(o); err == nil {
			t.Errorf("New accepted working hours %s to %s", o.WorkStart, o.WorkEnd)
		}
	}
}

func TestSymlinkedFile(t *testing.T) {
	// Mounted Kubernetes ConfigMaps are symbolic links to the real files.
	src := sample2027(t)
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(src, "2027.json"), filepath.Join(dir, "2027.json")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	c := newCalendar(t, calendar.Options{HolidaysDir: dir})
	if c.Provisional(2027) || c.Day(at(t, "2027-02-20")).Source != calendar.SourceFile {
		t.Error("the linked 2027.json was not loaded")
	}
}
