// Package when reads the times, dates and durations members write in chat:
// 周五18:00, 明天20:00, 12月1日18:00, 2026-12-01T18:00, 11月1日, 昨天, 30m,
// 1小时, 半小时; and formats times back the same way, with the year whenever
// it is not the current one. Everything is relative to a given "now" in its
// location. A date written without a year is the nearest such date, before
// or after now, never one a year away: callers say when it is in the past.
package when

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var weekdays = map[string]time.Weekday{
	"一": time.Monday, "二": time.Tuesday, "三": time.Wednesday, "四": time.Thursday,
	"五": time.Friday, "六": time.Saturday, "日": time.Sunday, "天": time.Sunday,
}

var (
	clockRE   = `(?:(\d{1,2})(?:[:：](\d{2})|点(?:(\d{1,2})分?|半)?))?`
	isoRE     = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?$`)
	monthRE   = regexp.MustCompile(`^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]` + clockRE + `$`)
	weekRE    = regexp.MustCompile(`^(下下|下|本|这)?(?:周|星期|礼拜)([一二三四五六日天])` + clockRE + `$`)
	dayRE     = regexp.MustCompile(`^(今天|今晚|明天|明晚|后天)` + clockRE + `$`)
	bareRE    = regexp.MustCompile(`^` + clockRE + `$`)
	durUnitRE = regexp.MustCompile(`^(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)?(个)?(半)?(分钟|分|小时|钟头|时|天|m|min|h|d)$`)
	dateRE    = regexp.MustCompile(`^(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})$`)
	dayWordRE = regexp.MustCompile(`^(今天|昨天|前天|明天|后天)$`)
	monthNoRE = regexp.MustCompile(`^(?:(\d{4})(?:[-/.]|年))?(\d{1,2})(月?)$`)
)

// dayOffsets are the days words name, from today.
var dayOffsets = map[string]int{"前天": -2, "昨天": -1, "今天": 0, "今晚": 0, "明天": 1, "明晚": 1, "后天": 2}

// clock reads the hour and minute groups of clockRE; ok is false without an
// hour. "半" is half past.
func clock(m []string, s string) (h, min int, ok bool, err error) {
	if m[0] == "" {
		return 0, 0, false, nil
	}
	h, _ = strconv.Atoi(m[0])
	switch {
	case m[1] != "":
		min, _ = strconv.Atoi(m[1])
	case m[2] != "":
		min, _ = strconv.Atoi(m[2])
	case strings.HasSuffix(s, "半"):
		min = 30
	}
	if h > 23 || min > 59 {
		return 0, 0, false, fmt.Errorf("时间「%s」不对", s)
	}
	return h, min, true, nil
}

// Parse reads a point in time relative to now (in now's location). A day
// without a time of day means the end of that day (23:59); a time of day
// alone means the next such time. Dates without a year are the next such
// date. It does not check that the result is in the future.
func Parse(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, " ", ""))
	loc := now.Location()
	bad := fmt.Errorf("看不懂时间「%s」，可以写成 周五18:00、明天20:00、12月1日18:00 或 2026-12-01T18:00", s)
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, loc) }
	if s == "" {
		return time.Time{}, bad
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	if m := isoRE.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		h, mi := 23, 59
		if m[4] != "" {
			h, _ = strconv.Atoi(m[4])
			mi, _ = strconv.Atoi(m[5])
		}
		if !validDate(y, mo, d) || h > 23 || mi > 59 {
			return time.Time{}, bad
		}
		return at(y, time.Month(mo), d, h, mi), nil
	}
	if m := monthRE.FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		h, mi, ok, err := clock(m[4:], s)
		if err != nil {
			return time.Time{}, err
		}
		if !ok {
			h, mi = 23, 59
		}
		if m[1] == "" {
			if t := nearest(mo, d, h, mi, now); !t.IsZero() {
				return t, nil
			}
			return time.Time{}, bad
		}
		y, _ := strconv.Atoi(m[1])
		if !validDate(y, mo, d) {
			return time.Time{}, bad
		}
		return at(y, time.Month(mo), d, h, mi), nil
	}
	if m := weekRE.FindStringSubmatch(s); m != nil {
		h, mi, ok, err := clock(m[3:], s)
		if err != nil {
			return time.Time{}, err
		}
		if !ok {
			h, mi = 23, 59
		}
		want := weekdays[m[2]]
		today := at(now.Year(), now.Month(), now.Day(), h, mi)
		// Weeks start on Monday.
		idx := func(w time.Weekday) int { return (int(w) + 6) % 7 }
		monday := today.AddDate(0, 0, -idx(now.Weekday()))
		switch m[1] {
		case "下":
			return monday.AddDate(0, 0, 7+idx(want)), nil
		case "下下":
			return monday.AddDate(0, 0, 14+idx(want)), nil
		case "本", "这":
			return monday.AddDate(0, 0, idx(want)), nil
		}
		t := monday.AddDate(0, 0, idx(want))
		if !t.After(now) {
			t = t.AddDate(0, 0, 7)
		}
		return t, nil
	}
	if m := dayRE.FindStringSubmatch(s); m != nil {
		h, mi, ok, err := clock(m[2:], s)
		if err != nil {
			return time.Time{}, err
		}
		if !ok {
			h, mi = 23, 59
			if strings.HasSuffix(m[1], "晚") {
				h, mi = 20, 0
			}
		} else if strings.HasSuffix(m[1], "晚") && h < 12 {
			h += 12
		}
		return at(now.Year(), now.Month(), now.Day()+dayOffsets[m[1]], h, mi), nil
	}
	if m := bareRE.FindStringSubmatch(s); m != nil && m[1] != "" {
		h, mi, _, err := clock(m[1:], s)
		if err != nil {
			return time.Time{}, err
		}
		t := at(now.Year(), now.Month(), now.Day(), h, mi)
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if d, err := ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, bad
}

// nearest is the month and day at h:mi in the year, of now's and the two
// beside it, that puts it nearest to now: 1月5日 said in November is next
// January, 12月1日 said on 12月5日 is four days ago (2月29日 only in a leap
// year).
func nearest(mo, d, h, mi int, now time.Time) time.Time {
	var best time.Time
	for y := now.Year() - 1; y <= now.Year()+1; y++ {
		if !validDate(y, mo, d) {
			continue
		}
		t := time.Date(y, time.Month(mo), d, h, mi, 0, 0, now.Location())
		if best.IsZero() || abs(t.Sub(now)) < abs(best.Sub(now)) {
			best = t
		}
	}
	return best
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// ParseDate reads a calendar day: 2026-11-01, 2026/11/1, 2026年11月1日,
// 11月1日 (or 号), 11-1, 11/1, 11.1, 今天, 昨天, 前天, 明天, 后天. It returns
// the start of that day. A day without a year is the nearest such day.
func ParseDate(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	loc := now.Location()
	bad := fmt.Errorf("看不懂日期「%s」，可以写成 11月1日、2026-11-01 或 昨天", s)
	day := func(y, mo, d int) (time.Time, error) {
		if !validDate(y, mo, d) {
			return time.Time{}, bad
		}
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc), nil
	}
	if m := dayWordRE.FindStringSubmatch(s); m != nil {
		return time.Date(now.Year(), now.Month(), now.Day()+dayOffsets[m[1]], 0, 0, 0, 0, loc), nil
	}
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		if m = monthRE.FindStringSubmatch(s); m == nil || m[4] != "" {
			return time.Time{}, bad // no date, or a date with a time of day
		}
	}
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if m[1] != "" {
		y, _ := strconv.Atoi(m[1])
		return day(y, mo, d)
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, bad
	}
	t := nearest(mo, d, 0, 0, now)
	if t.IsZero() {
		return time.Time{}, bad
	}
	return t, nil
}

// ParseMonth reads a month: 2026-11, 2026/11, 2026.11, 2026年11月, 11月,
// 本月 (这个月), 上个月 (上月). It returns the first day of the month. A
// month without a year is the nearest such month (of two as near, the past
// one).
func ParseMonth(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	loc := now.Location()
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	switch s {
	case "本月", "这个月", "这月":
		return this, nil
	case "上个月", "上月":
		return this.AddDate(0, -1, 0), nil
	}
	bad := fmt.Errorf("看不懂月份「%s」，可以写成 11月、2026-11 或 上个月", s)
	m := monthNoRE.FindStringSubmatch(s)
	if m == nil || m[1] == "" && m[3] == "" { // a bare number is no month
		return time.Time{}, bad
	}
	mo, _ := strconv.Atoi(m[2])
	if mo < 1 || mo > 12 {
		return time.Time{}, bad
	}
	if m[1] != "" {
		y, _ := strconv.Atoi(m[1])
		return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc), nil
	}
	// The nearest in months; half a year either way is the past one.
	diff := mo - int(now.Month())
	switch {
	case diff >= 6:
		diff -= 12
	case diff < -6:
		diff += 12
	}
	return this.AddDate(0, diff, 0), nil
}

// Month shows a month: 11月, or 2027年6月 when it is not in now's year.
func Month(t, now time.Time) string {
	if t.Year() != now.Year() {
		return fmt.Sprintf("%d年%d月", t.Year(), t.Month())
	}
	return fmt.Sprintf("%d月", t.Month())
}

func validDate(y, mo, d int) bool {
	if mo < 1 || mo > 12 || d < 1 {
		return false
	}
	return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC).Day() == d
}

// ParseDuration reads a positive duration: Go's form (30m, 1h30m) or a
// number with a Chinese or short unit (30分钟, 1小时, 2天, 2d, 两小时,
// 半小时, 一个半小时). Zero, a negative duration and anything else are
// errors that say what is wrong.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, ok := readDuration(strings.TrimPrefix(s, "-"))
	switch {
	case !ok:
		return 0, fmt.Errorf("看不懂时长「%s」，可以写成 30m、90分钟 或 1小时", s)
	case strings.HasPrefix(s, "-") || d <= 0:
		return 0, fmt.Errorf("时长「%s」必须大于零，例如 30m", s)
	}
	return d, nil
}

// IsDuration reports whether s is written as a duration, valid or not (30m,
// 0m, -5m, 1小时): a word that the reader of a command line should take as
// one, and complain about if it is not a good one.
func IsDuration(s string) bool {
	_, ok := readDuration(strings.TrimPrefix(strings.TrimSpace(s), "-"))
	return ok
}

// readDuration reads an unsigned duration of either form; ok is false when
// s is not written as one.
func readDuration(s string) (time.Duration, bool) {
	if m := durUnitRE.FindStringSubmatch(s); m != nil && (m[1] != "" || m[3] != "") && (m[2] == "" || m[4] == "小时" || m[4] == "钟头") {
		unit := map[string]time.Duration{"分钟": time.Minute, "分": time.Minute, "m": time.Minute, "min": time.Minute,
			"小时": time.Hour, "钟头": time.Hour, "时": time.Hour, "h": time.Hour, "天": 24 * time.Hour, "d": 24 * time.Hour}[m[4]]
		n := 0.0
		if m[1] != "" {
			var ok bool
			if n, ok = chineseNumber(m[1]); !ok {
				v, err := strconv.ParseFloat(m[1], 64)
				if err != nil {
					return 0, false
				}
				n = v
			}
		}
		if m[3] != "" {
			n += 0.5
		}
		f := n * float64(unit)
		if f >= math.MaxInt64 {
			// Converting it would wrap around (amd64) or saturate (arm64).
			return 0, false
		}
		return time.Duration(f), true
	}
	if strings.HasPrefix(s, "+") {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && s != "0"
}

// chineseNumber reads 一 to 九十九 written in Chinese numerals (两 is 2).
func chineseNumber(s string) (float64, bool) {
	digit := func(r rune) (int, bool) {
		n, ok := map[rune]int{'一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}[r]
		return n, ok
	}
	rs := []rune(s)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10, true
	case len(rs) == 1:
		n, ok := digit(rs[0])
		return float64(n), ok
	case len(rs) == 2 && rs[0] == '十':
		n, ok := digit(rs[1])
		return float64(10 + n), ok
	case len(rs) == 2 && rs[1] == '十':
		n, ok := digit(rs[0])
		return float64(10 * n), ok
	case len(rs) == 3 && rs[1] == '十':
		a, ok1 := digit(rs[0])
		b, ok2 := digit(rs[2])
		return float64(10*a + b), ok1 && ok2
	}
	return 0, false
}

var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Format shows a time as members write it, with the weekday of that date:
// 11月27日 周五 18:00, and 2027年1月5日 周二 09:00 when it is not in now's
// year.
func Format(t, now time.Time) string {
	return fmt.Sprintf("%s %s %02d:%02d", Date(t, now), weekdayNames[t.Weekday()], t.Hour(), t.Minute())
}

// Date shows the day of t: 11月27日, or 2027年1月5日 when it is not in now's
// year.
func Date(t, now time.Time) string {
	if t.Year() != now.Year() {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

// Clock shows a time of day, with the date when it is not on now's day.
func Clock(t, now time.Time) string {
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
	}
	return Format(t, now)
}

// Minutes shows a duration in Chinese: 90 分钟, 2 小时.
func Minutes(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d 小时", d/time.Hour)
	}
	return fmt.Sprintf("%d 分钟", d/time.Minute)
}

// SpanStyle says how Span writes a span of exactly one day; every other
// span is written the same in both styles.
type SpanStyle int

const (
	// DayAsDay writes one day as 1天: for an elapsed time, such as how long
	// a ticket is overdue.
	DayAsDay SpanStyle = iota
	// DayAsHours writes one day as 24小时: for spans members choose in
	// hours, such as a summary's default of the last 24 hours.
	DayAsHours
)

// Span writes a duration in Chinese days, hours and minutes: 7天, 1天12小时,
// 1小时30分钟, 45分钟. Beside days, minutes are left out; seconds always are.
// Anything under a minute, zero and negative included, is 不到1分钟.
func Span(d time.Duration, style SpanStyle) string {
	if d < time.Minute {
		return "不到1分钟"
	}
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	if style == DayAsHours && d <= 24*time.Hour {
		days, rest = 0, d
	}
	hours, mins := rest/time.Hour, rest%time.Hour/time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%d天", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%d小时", hours)
	}
	if mins > 0 && days == 0 {
		fmt.Fprintf(&b, "%d分钟", mins)
	}
	return b.String()
}
