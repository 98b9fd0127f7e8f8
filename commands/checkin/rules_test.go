package checkin

import (
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

func TestOpenArgs(t *testing.T) {
	for _, c := range []struct {
		in    string
		title string
		dur   time.Duration
		err   string
	}{
		{"主题党日", "主题党日", DefaultDuration, ""},
		{"主题党日 30m", "主题党日", 30 * time.Minute, ""},
		{"主题党日 半小时", "主题党日", 30 * time.Minute, ""},
		{"十一月 主题党日 1h", "十一月 主题党日", time.Hour, ""},
		{"支部'大会 30m", "支部'大会", 30 * time.Minute, ""},
		{"2026年度总结", "2026年度总结", DefaultDuration, ""},
		{"", "", 0, "用法"},
		{"主题党日 0m", "", 0, "时长「0m」必须大于零"},
		{"主题党日 -5m", "", 0, "时长「-5m」必须大于零"},
		{"主题党日 abc", "", 0, "看不懂时长「abc」"},
		{"十一月 主题党日", "", 0, "看不懂时长「主题党日」"},
		{"30m", "", 0, "缺少签到主题"},
		{"0m", "", 0, "缺少签到主题"},
		{"30m 1h", "", 0, "缺少签到主题"},
		{"主题党日，1小时", "主题党日", time.Hour, ""}, // a phone's comma before the duration
		{"十一月 主题党日、30m", "十一月 主题党日", 30 * time.Minute, ""},
		{"学习,讨论", "学习,讨论", DefaultDuration, ""}, // a comma inside a title stays
		{"，30m", "", 0, "缺少签到主题"},
	} {
		title, dur, err := openArgs(strings.Fields(c.in))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("openArgs(%q): %v, want an error with %q", c.in, err, c.err)
		case c.err == "" && (err != nil || title != c.title || dur != c.dur):
			t.Errorf("openArgs(%q) = %q, %v, %v; want %q, %v", c.in, title, dur, err, c.title, c.dur)
		}
	}
}

// KindOf: a check-in counts against the roster of the session's unit and
// the units below it; anyone else is counted apart, in the running count as
// in the result.
func TestKindOf(t *testing.T) {
	units := bot.NewUnitTree([]bot.Unit{{ID: 1, Name: "学院"}, {ID: 2, Name: "一支部", ParentID: 1}, {ID: 3, Name: "小组", ParentID: 2}, {ID: 4, Name: "二支部", ParentID: 1}})
	s := Session{UnitID: 2}
	for _, c := range []struct {
		name string
		c    Checkin
		want Kind
	}{
		{"a member of the unit", Checkin{RosterID: 9, UnitID: 2}, Expected},
		{"a member of a unit below", Checkin{RosterID: 9, UnitID: 3}, Expected},
		{"a member of the unit above", Checkin{RosterID: 9, UnitID: 1}, Outside},
		{"a member of another branch", Checkin{RosterID: 9, UnitID: 4}, Outside},
		{"never linked", Checkin{}, Unlinked},
	} {
		if got := KindOf(s, c.c, units); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	var tally Tally
	tally.add(Expected, false)
	tally.add(Expected, true)
	tally.add(Outside, true)
	tally.add(Unlinked, false)
	if tally != (Tally{Present: 2, Late: 1, Others: 2}) {
		t.Errorf("tally %+v", tally)
	}
}

func TestCodeOf(t *testing.T) {
	for in, want := range map[string]string{"4827": "4827", "4827。": "4827", "4827！！": "4827", "😀": "", "！": "", "红船": "红船", "a1b2": "a1b2"} {
		if got := codeOf([]string{in}); got != want {
			t.Errorf("codeOf(%q) = %q, want %q", in, got, want)
		}
	}
	if codeOf(nil) != "" {
		t.Error("codeOf(nil)")
	}
}

func TestStatsRange(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, loc)
	day := func(s string) time.Time { t, _ := time.ParseInLocation("2006-01-02", s, loc); return t }
	for _, c := range []struct {
		args     string
		from, to string
		err      string
	}{
		{"", "", "", ""},
		{"12月1日", "2026-12-01", "", ""},
		{"11月1日 11月30日", "2026-11-01", "2026-12-01", ""},
		{"2026-12-01 2027-01-01", "2026-12-01", "2027-01-02", ""},
		{"今天 今天", "2026-12-05", "2026-12-06", ""},
		{"2027-06-01", "", "", "起始日期 2027年6月1日 还没到。"},
		{"明天", "", "", "起始日期 12月6日 还没到。"},
		{"12月5日 12月1日", "", "", "结束日期 12月1日 早于起始日期 12月5日。"},
		{"2026-12-01 2025-12-01", "", "", "结束日期 2025年12月1日 早于起始日期 12月1日。"},
		{"12月1日18:00", "", "", "看不懂日期「12月1日18:00」"},
		{"1 2 3", "", "", "用法"},
		{"12月", "2026-12-01", "2027-01-01", ""}, // a whole month, as people ask
		{"本月", "2026-12-01", "2027-01-01", ""},
		{"上个月", "2026-11-01", "2026-12-01", ""},
		{"11月", "2026-11-01", "2026-12-01", ""},
		{"1月", "", "", "起始日期 2027年1月1日 还没到。"},
		{"12月1日至12月5日", "2026-12-01", "2026-12-06", ""}, // a range in one word
		{"12月1日-12月5日", "2026-12-01", "2026-12-06", ""},
		{"11月1日～11月30日", "2026-11-01", "2026-12-01", ""},
		{"2026-11-01-2026-11-30", "2026-11-01", "2026-12-01", ""},
		{"11-1", "2026-11-01", "", ""},
		{"12月5日到12月1日", "", "", "结束日期 12月1日 早于起始日期 12月5日。"},
	} {
		from, to, err := statsRange(strings.Fields(c.args), now)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("statsRange(%q): %v, want %q", c.args, err, c.err)
			}
		case err != nil:
			t.Errorf("statsRange(%q): %v", c.args, err)
		case c.from != "" && !from.Equal(day(c.from)) || c.from == "" && !from.IsZero() ||
			c.to != "" && !to.Equal(day(c.to)) || c.to == "" && !to.IsZero():
			t.Errorf("statsRange(%q) = %v – %v, want %s – %s", c.args, from, to, c.from, c.to)
		}
	}
}

func TestCountText(t *testing.T) {
	s := Session{Title: "主题党日", Expected: 4}
	for _, c := range []struct {
		t     Tally
		names []string
		want  string
	}{
		{Tally{Present: 1}, []string{"张三"}, "「主题党日」已签到 1/4\n刚签到：张三"},
		{Tally{Present: 3, Late: 1, Others: 2}, []string{"李四", "路人（未绑定花名册）"}, "「主题党日」已签到 3/4（迟到 1），名单外 2 人\n刚签到：李四、路人（未绑定花名册）"},
		{Tally{Present: 2}, nil, "「主题党日」已签到 2/4"},
	} {
		if got := countText(s, c.t, c.names); got != c.want {
			t.Errorf("countText(%+v, %q) =\n%s\nwant\n%s", c.t, c.names, got, c.want)
		}
	}
	many := make([]string, maxNamed+5)
	for i := range many {
		many[i] = "某"
	}
	if got := countText(s, Tally{Others: 105}, many); !strings.Contains(got, "刚签到 105 人，最近的 100 人：") {
		t.Errorf("a long list: %s", got[:80])
	}
}
