package when

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParse: any text a member types after until= or as a date is read or
// refused with a Chinese reason, never a panic; what is read is a real
// instant in now's location that Format can show.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"周五18:00", "下周一9:00", "明天20:00", "明晚8点", "12月1日18:00", "2026-12-01T18:00", "18:00",
		"2026年2月30日", "今晚11点半", "下下周日", "30m", "1.5天", "2026-12-01T18:00:00+08:00", "99点", "13月1日", "0000-01-01"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s, now)
		if err != nil {
			if !strings.ContainsAny(err.Error(), "看时") {
				t.Fatalf("Parse(%q): an error not meant for members: %v", s, err)
			}
			return
		}
		if got.IsZero() || got.Location() != now.Location() {
			t.Fatalf("Parse(%q) = %v", s, got)
		}
		_ = Format(got, now)
		_ = Clock(got, now)
	})
}

var (
	numberUnitRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)(分钟|分|小时|钟头|时|天|m|min|h|d)$`)
	unitLength   = map[string]time.Duration{"分钟": time.Minute, "分": time.Minute, "m": time.Minute, "min": time.Minute,
		"小时": time.Hour, "钟头": time.Hour, "时": time.Hour, "h": time.Hour, "天": 24 * time.Hour, "d": 24 * time.Hour}
)

// FuzzParseDuration: a duration is positive or refused.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "1h30m", "90分钟", "1小时", "2天", "2d", "1.5h", "0m", "-5m", "99999999999999999999天", "1e9h", "3天"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		// A number with a unit is that many units, never a wrapped value.
		if m := numberUnitRE.FindStringSubmatch(strings.TrimSpace(s)); m != nil && err == nil {
			n, _ := strconv.ParseFloat(m[1], 64)
			if want := n * float64(unitLength[m[2]]); math.Abs(float64(d)-want) > want*1e-9+1 {
				t.Fatalf("ParseDuration(%q) = %v, want %v ns", s, d, want)
			}
		}
		if err == nil {
			_ = Minutes(d)
			_ = Span(d, DayAsDay)
		}
	})
}

// FuzzParseMonth: the month of /sla is read or refused in Chinese, never a
// panic; a month read is the first midnight of a month in now's location.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "2026/1", "2026年11月", "11月", "1月", "本月", "上个月", "13月", "2026-13", "十一月", "0000-01"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s, now)
		if err != nil {
			return
		}
		if m.Day() != 1 || m.Hour() != 0 || m.Minute() != 0 || m.Location() != now.Location() {
			t.Fatalf("ParseMonth(%q) = %v", s, m)
		}
		_ = Month(m, now)
	})
}
