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

func TestParseDuration(t *testing.T) {
	cases := map[string]time.Duration{"30m": 30 * time.Minute, "1h30m": 90 * time.Minute, "90分钟": 90 * time.Minute,
		"1小时": time.Hour, "2天": 48 * time.Hour, "0.5h": 30 * time.Minute, "10分": 10 * time.Minute}
	for in, want := range cases {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0m", "-5m", "abc", "主题党日", "30"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q): want an error", bad)
		}
	}
}

func TestFormat(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	if got := Format(time.Date(2026, 11, 27, 18, 0, 0, 0, loc)); got != "11月27日 周五 18:00" {
		t.Fatal(got)
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

// A duration too long for time.Duration is refused, not wrapped around.
func TestParseDurationTooLong(t *testing.T) {
	for _, s := range []string{"99999999999999999999天", "9223372036854775807d", "1e20m"} {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v", s, d)
		}
	}
}
