package when

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, loc) // Monday
	cases := []struct{ in, want string }{
		{"周五18:00", "2026-11-27 18:00"},
		{"星期五18:00", "2026-11-27 18:00"},
		{"周一18:00", "2026-11-23 18:00"},
		{"周一8:00", "2026-11-30 08:00"},
		{"下周一8:00", "2026-11-30 08:00"},
		{"周日", "2026-11-29 23:59"},
		{"周六9点半", "2026-11-28 09:30"},
		{"明天20:00", "2026-11-24 20:00"},
		{"明天20：00", "2026-11-24 20:00"},
		{"明晚8点", "2026-11-24 20:00"},
		{"后天", "2026-11-25 23:59"},
		{"今天18点30分", "2026-11-23 18:30"},
		{"12月1日18:00", "2026-12-01 18:00"},
		{"12月1号", "2026-12-01 23:59"},
		{"1月5日9:00", "2027-01-05 09:00"},
		{"2026年12月31日8:00", "2026-12-31 08:00"},
		{"2026-12-01T18:00", "2026-12-01 18:00"},
		{"2026-12-01", "2026-12-01 23:59"},
		{"2026-12-01T18:00:00+08:00", "2026-12-01 18:00"},
		{"18:00", "2026-11-23 18:00"},
		{"8:00", "2026-11-24 08:00"},
		{"2h", "2026-11-23 11:00"},
		{"90分钟", "2026-11-23 10:30"},
	}
	for _, c := range cases {
		got, err := Parse(c.in, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if s := got.In(loc).Format("2006-01-02 15:04"); s != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, s, c.want)
		}
	}
	for _, bad := range []string{"", "周八", "2月30日", "25:00", "明天25:00", "下辈子", "2026-13-01", "12月1日24:00", "😀"} {
		if got, err := Parse(bad, now); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, got)
		}
	}
}

// TestParseNeverMovesTheYearSilently: a date without a year is the nearest
// one, so a date just gone is in the past (for the caller to refuse), never
// next year's.
func TestParseNeverMovesTheYearSilently(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	cases := []struct{ now, in, want string }{
		{"2026-12-05 10:00", "12月1日18:00", "2026-12-01 18:00"}, // past: refused by the caller
		{"2026-12-05 10:00", "12月5日9:00", "2026-12-05 09:00"},
		{"2026-12-05 10:00", "12月24日", "2026-12-24 23:59"},
		{"2026-12-05 10:00", "1月5日9:00", "2027-01-05 09:00"},
		{"2027-01-10 10:00", "12月20日", "2026-12-20 23:59"},
		{"2026-11-23 09:00", "6月1日", "2026-06-01 23:59"},
		{"2026-11-23 09:00", "5月1日", "2027-05-01 23:59"},
		{"2027-11-23 09:00", "2月29日", "2028-02-29 23:59"},
	}
	for _, c := range cases {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.now, loc)
		got, err := Parse(c.in, now)
		if err != nil {
			t.Errorf("on %s Parse(%q): %v", c.now, c.in, err)
			continue
		}
		if s := got.Format("2006-01-02 15:04"); s != c.want {
			t.Errorf("on %s Parse(%q) = %s, want %s", c.now, c.in, s, c.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	cases := map[string]string{
		"2026-11-01": "2026-11-01", "2026/11/1": "2026-11-01", "2026.11.1": "2026-11-01", "2026年11月1日": "2026-11-01",
		"11月1日": "2026-11-01", "11月1号": "2026-11-01", "11-1": "2026-11-01", "11/1": "2026-11-01", "11.1": "2026-11-01",
		"2027-06-01": "2027-06-01", "12月1日": "2026-12-01", "1月5日": "2027-01-05",
		"今天": "2026-11-23", "昨天": "2026-11-22", "前天": "2026-11-21", "明天": "2026-11-24",
	}
	for in, want := range cases {
		got, err := ParseDate(in, now)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", in, err)
			continue
		}
		if s := got.Format("2006-01-02 15:04"); s != want+" 00:00" {
			t.Errorf("ParseDate(%q) = %s, want %s", in, s, want)
		}
	}
	for _, bad := range []string{"", "11月", "哪天", "18:00", "明天18:00", "2026-02-30", "13月1日", "2h", "11月1日18:00"} {
		_, err := ParseDate(bad, now)
		if err == nil {
			t.Errorf("ParseDate(%q): want an error", bad)
		} else if want := "看不懂日期「" + bad + "」，可以写成 11月1日、2026-11-01 或 昨天"; err.Error() != want {
			t.Errorf("ParseDate(%q): %v, want %s", bad, err, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := map[string]time.Duration{"30m": 30 * time.Minute, "1h30m": 90 * time.Minute, "90分钟": 90 * time.Minute,
		"1小时": time.Hour, "2天": 48 * time.Hour, "0.5h": 30 * time.Minute, "10分": 10 * time.Minute,
		"半小时": 30 * time.Minute, "两小时": 2 * time.Hour, "一个小时": time.Hour, "一个半小时": 90 * time.Minute,
		"十五分钟": 15 * time.Minute, "二十分钟": 20 * time.Minute, "四十五分钟": 45 * time.Minute, "3个钟头": 3 * time.Hour}
	for in, want := range cases {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		if !IsDuration(in) {
			t.Errorf("IsDuration(%q) = false", in)
		}
	}
	for bad, why := range map[string]string{
		"0m": "时长「0m」必须大于零，例如 30m", "-5m": "时长「-5m」必须大于零，例如 30m", "0小时": "时长「0小时」必须大于零，例如 30m",
		"abc": "看不懂时长「abc」，可以写成 30m、90分钟 或 1小时", "": "看不懂时长「」，可以写成 30m、90分钟 或 1小时",
		"主题党日": "看不懂时长「主题党日」，可以写成 30m、90分钟 或 1小时", "30": "看不懂时长「30」，可以写成 30m、90分钟 或 1小时",
		"个小时": "看不懂时长「个小时」，可以写成 30m、90分钟 或 1小时", "一个分钟": "看不懂时长「一个分钟」，可以写成 30m、90分钟 或 1小时",
		"+5m": "看不懂时长「+5m」，可以写成 30m、90分钟 或 1小时",
	} {
		_, err := ParseDuration(bad)
		if err == nil || err.Error() != why {
			t.Errorf("ParseDuration(%q): %v, want %s", bad, err, why)
		}
	}
	for in, want := range map[string]bool{"0m": true, "-5m": true, "30m": true, "abc": false, "主题党日": false, "2026年度": false, "30": false} {
		if IsDuration(in) != want {
			t.Errorf("IsDuration(%q) = %v", in, !want)
		}
	}
}

func TestFormat(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, loc)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 18, 0, 0, 0, loc), "11月27日 周五 18:00"},
		{time.Date(2026, 12, 1, 18, 0, 0, 0, loc), "12月1日 周二 18:00"},
		{time.Date(2027, 12, 1, 18, 0, 0, 0, loc), "2027年12月1日 周三 18:00"},
		{time.Date(2030, 1, 1, 8, 0, 0, 0, loc), "2030年1月1日 周二 08:00"},
	} {
		if got := Format(c.t, now); got != c.want {
			t.Errorf("Format(%v) = %s, want %s", c.t, got, c.want)
		}
	}
}

func TestSpan(t *testing.T) {
	const (
		m = time.Minute
		h = time.Hour
		d = 24 * time.Hour
	)
	cases := []struct {
		in     time.Duration
		asDay  string // DayAsDay
		asHour string // DayAsHours, where it differs
	}{
		{-5 * m, "不到1分钟", ""},
		{0, "不到1分钟", ""},
		{59 * time.Second, "不到1分钟", ""},
		{m, "1分钟", ""},
		{45*m + 30*time.Second, "45分钟", ""},
		{h, "1小时", ""},
		{90 * m, "1小时30分钟", ""},
		{23*h + 59*m, "23小时59分钟", ""},
		{d, "1天", "24小时"},
		{d + 30*time.Second, "1天", ""},
		{d + 30*m, "1天", ""},
		{d + 2*h + 15*m, "1天2小时", ""},
		{36 * h, "1天12小时", ""},
		{7 * d, "7天", ""},
		{30*d + 5*h, "30天5小时", ""},
	}
	for _, c := range cases {
		if got := Span(c.in, DayAsDay); got != c.asDay {
			t.Errorf("Span(%v, DayAsDay) = %q, want %q", c.in, got, c.asDay)
		}
		want := c.asHour
		if want == "" {
			want = c.asDay
		}
		if got := Span(c.in, DayAsHours); got != want {
			t.Errorf("Span(%v, DayAsHours) = %q, want %q", c.in, got, want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, loc)
	for in, want := range map[string]string{
		"2026-11": "2026-11", "2026/1": "2026-01", "2026.02": "2026-02", "2026年11月": "2026-11", "2027-06": "2027-06",
		"11月": "2026-11", "1月": "2027-01", "5月": "2026-05", "6月": "2026-06",
		"本月": "2026-11", "这个月": "2026-11", "上个月": "2026-10", "上月": "2026-10",
	} {
		got, err := ParseMonth(in, now)
		if err != nil || got.Format("2006-01 02 15:04") != want+" 01 00:00" {
			t.Errorf("ParseMonth(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "11", "13月", "下个月", "2026-13", "十一月", "2026-11-01"} {
		if _, err := ParseMonth(bad, now); err == nil || err.Error() != "看不懂月份「"+bad+"」，可以写成 11月、2026-11 或 上个月" {
			t.Errorf("ParseMonth(%q): %v", bad, err)
		}
	}
	may := time.Date(2026, 5, 10, 9, 0, 0, 0, loc)
	if got, _ := ParseMonth("11月", may); got.Format("2006-01") != "2025-11" {
		t.Errorf("11月 said in May: %v, want the past November", got)
	}
	if got := Month(time.Date(2027, 6, 1, 0, 0, 0, 0, loc), now); got != "2027年6月" {
		t.Errorf("Month = %s", got)
	}
}

// A duration too long for time.Duration is refused, not wrapped around.
func TestParseDurationTooLong(t *testing.T) {
	for _, s := range []string{"99999999999999999999天", "9223372036854775807d", "1e20m"} {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v", s, d)
		}
	}
}
