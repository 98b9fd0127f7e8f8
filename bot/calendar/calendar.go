package calendar

import (
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Source tells where a day's status comes from.
type Source string

const (
	// SourceBuiltin is the official schedule built into lunar-go.
	SourceBuiltin Source = "built-in"
	// SourceFile is an official schedule from a JSON file in HolidaysDir.
	SourceFile Source = "file"
	// SourceProvisional is a statutory holiday computed for a year whose
	// official schedule has not been published.
	SourceProvisional Source = "provisional"
	// SourceWeekday is the ordinary week: Monday to Friday work, weekends off.
	SourceWeekday Source = "weekday"
)

// Defaults used when the corresponding option or argument is zero.
const (
	DefaultWorkStart    = 8*time.Hour + 30*time.Minute
	DefaultWorkEnd      = 17*time.Hour + 30*time.Minute
	DefaultBusinessDays = 2
)

// Day is one civil date in the calendar.
type Day struct {
	// Date is midnight at the start of the day in the calendar's location.
	Date time.Time
	// Work reports whether the day is a working day.
	Work bool
	// Name is the holiday the day belongs to, such as 春节, both for a day
	// off and for its make-up working day; empty for an ordinary day.
	Name string
	// Source is where the status comes from; SourceWeekday for an ordinary day.
	Source Source
}

// Options configures a Calendar. The zero value is usable.
type Options struct {
	// Location is the time zone every date is interpreted in; nil means
	// DefaultLocation().
	Location *time.Location
	// HolidaysDir, if set, is a folder of holiday-cn style JSON files
	// (*.json; hidden files are ignored). Each file is authoritative for the
	// year it declares, and may also list make-up days in the December
	// before it.
	HolidaysDir string
	// OnMissingYear, if set, is called once per year per Calendar when a
	// year without an official schedule is first needed and provisional
	// statutory holidays are used instead. It runs synchronously in the
	// goroutine that needed the year, outside the calendar's lock, so it may
	// use the Calendar but should return quickly.
	OnMissingYear func(year int)
	// WorkStart and WorkEnd are the working hours as offsets from midnight,
	// used by BusinessDuration (and WorkEnd as the default close of
	// business of Deadline). Zero means DefaultWorkStart / DefaultWorkEnd.
	WorkStart, WorkEnd time.Duration
	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
}

// Calendar is the business calendar. Create one with New.
type Calendar struct {
	loc                *time.Location
	workStart, workEnd time.Duration
	onMissingYear      func(year int)
	log                *slog.Logger

	// files holds, for every year declared by a file, that file's marks.
	files map[int]fileSchedule

	// years caches the resolved years. Readers load the map without
	// locking; a new year is added under mu to a copy of the map, which
	// then replaces it, so a published map is never modified.
	mu    sync.Mutex
	years atomic.Pointer[map[int]*yearTable]
}

// DefaultLocation returns Asia/Shanghai, or a fixed UTC+8 zone named CST
// when the time zone database is not available.
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// New returns a calendar configured by opts. It loads and validates every
// *.json file in opts.HolidaysDir; any bad file makes New fail with an error
// naming the file and the problem.
func New(opts Options) (*Calendar, error) {
	c := &Calendar{
		loc:           opts.Location,
		workStart:     opts.WorkStart,
		workEnd:       opts.WorkEnd,
		onMissingYear: opts.OnMissingYear,
		log:           opts.Logger,
	}
	c.years.Store(&map[int]*yearTable{})
	if c.loc == nil {
		c.loc = DefaultLocation()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.workStart == 0 {
		c.workStart = DefaultWorkStart
	}
	if c.workEnd == 0 {
		c.workEnd = DefaultWorkEnd
	}
	if c.workStart < 0 || c.workEnd > 24*time.Hour || c.workStart >= c.workEnd {
		return nil, fmt.Errorf("calendar: working hours %s to %s: need 0 <= start < end <= 24h",
			c.workStart, c.workEnd)
	}
	if opts.HolidaysDir != "" {
		files, err := loadDir(opts.HolidaysDir)
		if err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		c.files = files
		for _, year := range sortedKeys(files) {
			f := files[year]
			c.log.Info("holiday schedule loaded", "year", year, "file", f.path, "days", len(f.marks))
		}
	}
	return c, nil
}

// Location returns the time zone the calendar interprets dates in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Day returns the status of the civil date (in the calendar's location) that
// contains t.
func (c *Calendar) Day(t time.Time) Day {
	return c.dayOf(civil(t.In(c.loc)))
}

// IsWorkday reports whether the civil date containing t is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	t = t.In(c.loc)
	year, yday := t.Year(), t.YearDay()
	return c.year(year).days[yday-1].work(t.Weekday())
}

// Provisional reports whether year has no official schedule (neither a file
// nor built-in data), so that its holidays are computed from the statutory
// rules and lack make-up working days.
func (c *Calendar) Provisional(year int) bool {
	return c.year(year).provisional
}

// Special returns, in date order, every day of year whose status differs
// from the ordinary week: days off that fall on Monday to Friday and make-up
// working days on weekends.
func (c *Calendar) Special(year int) []Day {
	var out []Day
	for _, d := range c.named(year) {
		if d.Work == isWeekend(d.Date.Weekday()) {
			out = append(out, d)
		}
	}
	return out
}

// named returns, in date order, every day of year that some schedule lists:
// the whole holiday periods (weekend days included) and the make-up days.
func (c *Calendar) named(year int) []Day {
	yt := c.year(year)
	var out []Day
	for u := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC); u.Year() == year; u = u.AddDate(0, 0, 1) {
		if yt.days[u.YearDay()-1].set {
			out = append(out, c.dayOf(u))
		}
	}
	return out
}

// dayOf returns the Day for a civil date given as UTC midnight.
func (c *Calendar) dayOf(u time.Time) Day {
	e := c.year(u.Year()).days[u.YearDay()-1]
	d := Day{Date: c.at(u, 0), Work: e.work(u.Weekday()), Source: SourceWeekday}
	if e.set {
		d.Name, d.Source = e.name, e.source
	}
	return d
}

// at returns the instant offset (wall clock) after the start of the civil
// date u in the calendar's location.
func (c *Calendar) at(u time.Time, offset time.Duration) time.Time {
	h := offset / time.Hour
	m := offset % time.Hour / time.Minute
	s := offset % time.Minute / time.Second
	ns := offset % time.Second
	return time.Date(u.Year(), u.Month(), u.Day(), int(h), int(m), int(s), int(ns), c.loc)
}

// civil returns the civil date of t (in t's own location) as UTC midnight,
// which makes date arithmetic independent of time zone transitions.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func isWeekend(wd time.Weekday) bool { return wd == time.Saturday || wd == time.Sunday }

// entry is a day listed by a schedule.
type entry struct {
	set    bool // listed; otherwise the ordinary week applies
	off    bool
	name   string
	source Source
}

func (e entry) work(wd time.Weekday) bool {
	if e.set {
		return !e.off
	}
	return !isWeekend(wd)
}

// yearTable is the resolved status of every day of one year, indexed by
// YearDay-1. It is immutable once built.
type yearTable struct {
	provisional bool
	source      Source // where the year's own schedule comes from
	days        [366]entry
}

// year returns the table for year, building and caching it on first use.
func (c *Calendar) year(year int) *yearTable {
	if yt := (*c.years.Load())[year]; yt != nil {
		return yt
	}

	c.mu.Lock()
	old := *c.years.Load()
	yt := old[year]
	built := yt == nil
	if built {
		yt = c.build(year)
		years := make(map[int]*yearTable, len(old)+1)
		maps.Copy(years, old)
		years[year] = yt
		c.years.Store(&years)
	}
	c.mu.Unlock()

	if built && yt.provisional {
		c.log.Warn("no official holiday schedule; using provisional statutory holidays without make-up working days",
			"year", year)
		if c.onMissingYear != nil {
			c.onMissingYear(year)
		}
	}
	return yt
}

// build resolves year from its own schedule and from the neighbouring years'
// schedules, which may list days in year (e.g. a late-December make-up day
// for the next 元旦).
func (c *Calendar) build(year int) *yearTable {
	yt := &yearTable{}
	own, src, err := c.schedule(year, true)
	if err != nil {
		c.log.Error("compute provisional holidays", "year", year, "err", err)
	}
	yt.source = src
	yt.provisional = src == SourceProvisional
	apply := func(marks []mark) {
		for _, m := range marks {
			if m.date.Year() != year {
				continue
			}
			e := &yt.days[m.date.YearDay()-1]
			if !e.set {
				*e = entry{set: true, off: m.off, name: m.name, source: m.source}
			}
		}
	}
	apply(own)
	for _, n := range []int{year + 1, year - 1} {
		marks, _, _ := c.schedule(n, false)
		apply(marks)
	}
	return yt
}

// schedule returns the days listed by the authoritative schedule of year:
// its file, else the built-in data, else (if provisional is true) the
// computed statutory holidays.
func (c *Calendar) schedule(year int, provisional bool) ([]mark, Source, error) {
	if f, ok := c.files[year]; ok {
		return f.marks, SourceFile, nil
	}
	if marks := builtinSchedule(year); len(marks) > 0 {
		return marks, SourceBuiltin, nil
	}
	if !provisional {
		return nil, SourceProvisional, nil
	}
	marks, err := statutoryHolidays(year)
	return marks, SourceProvisional, err
}

// mark is one day listed by a schedule; date is the civil date as UTC midnight.
type mark struct {
	date   time.Time
	off    bool
	name   string
	source Source
}

func sortMarks(marks []mark) {
	sort.Slice(marks, func(i, j int) bool { return marks[i].date.Before(marks[j].date) })
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
