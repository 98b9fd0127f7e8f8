package study

import (
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// describeSchedule puts a push's schedule in the words a member reads: its
// days (the cron fields and the rule together: 每个工作日, 每周一至周五,
// 每月1日, 每年农历八月十五) and its times of day (08:00): "每个工作日 08:00".
// A schedule too irregular to say briefly keeps its times as a list
// ("08:00、08:30 等 20 个时刻") rather than showing the cron text.
func describeSchedule(s cron.Schedule, rule string, lunarMonth, lunarDay int) string {
	if d, ok := s.(cron.ConstantDelaySchedule); ok {
		return "每隔 " + chineseDuration(d.Delay)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return "按设定的时间"
	}
	days, everyDay := dayWords(spec)
	switch rule {
	case "workdays":
		if everyDay {
			days = "每个工作日"
		} else {
			days += "（逢工作日）"
		}
	case "holidays_only":
		if everyDay {
			days = "每个休息日和节假日"
		} else {
			days += "（逢休息日和节假日）"
		}
	case "lunar":
		l := "每年农历" + lunarDate(lunarMonth, lunarDay)
		if everyDay {
			days = l
		} else {
			days = l + "（且为" + strings.TrimPrefix(days, "每") + "）"
		}
	}
	times := timeWords(spec)
	if times[0] >= '0' && times[0] <= '9' {
		return days + " " + times
	}
	return days + times
}

// set lists the values whose bits are on in field, from lo to hi.
func set(field uint64, lo, hi int) []int {
	var out []int
	for v := lo; v <= hi; v++ {
		if field&(1<<uint(v)) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// full reports whether a field is "*" or lists every value from lo to hi.
func full(field uint64, lo, hi int) bool {
	const star = 1 << 63
	return field&star != 0 || bits.OnesCount64(field&^star) == hi-lo+1
}

var weekdayNames = [...]string{"日", "一", "二", "三", "四", "五", "六"}

// dayWords says on which days a schedule runs, and whether that is every
// day. Cron runs a day that matches the day of month or the weekday when
// both are restricted, and both when either is "*".
func dayWords(s *cron.SpecSchedule) (string, bool) {
	const star = 1 << 63
	months := set(s.Month, 1, 12)
	allMonths := full(s.Month, 1, 12)
	anyDom, anyDow := full(s.Dom, 1, 31), full(s.Dow, 0, 6)
	var day string
	switch {
	case anyDom && anyDow:
		day = ""
	case anyDow || s.Dow&star != 0:
		day = domWords(set(s.Dom, 1, 31))
	case anyDom || s.Dom&star != 0:
		day = dowWords(set(s.Dow, 0, 6))
	default:
		day = domWords(set(s.Dom, 1, 31)) + "和" + dowWords(set(s.Dow, 0, 6))
	}
	if allMonths {
		if day == "" {
			return "每天", true
		}
		if strings.HasPrefix(day, "周") {
			return "每" + day, false
		}
		return "每月" + day, false
	}
	ms := make([]string, len(months))
	for i, m := range months {
		ms[i] = fmt.Sprintf("%d月", m)
	}
	switch {
	case day == "":
		return "每年" + strings.Join(ms, "、") + "的每一天", false
	case len(ms) == 1 && !strings.HasPrefix(day, "周"):
		return "每年" + ms[0] + day, false
	case strings.HasPrefix(day, "周"):
		return "每年" + strings.Join(ms, "、") + "的每" + day, false
	}
	return "每年" + strings.Join(ms, "、") + "的" + day, false
}

func domWords(ds []int) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmt.Sprintf("%d日", d)
	}
	return strings.Join(s, "、")
}

// dowWords: 周一至周五, 周一、三、五, 周六、日.
func dowWords(ds []int) string {
	// Sunday last, as a Chinese week is read.
	var days []int
	for _, d := range ds {
		if d != 0 {
			days = append(days, d)
		}
	}
	if len(days) < len(ds) {
		days = append(days, 7)
	}
	name := func(d int) string { return weekdayNames[d%7] }
	run := len(days) >= 3
	for i := 1; i < len(days) && run; i++ {
		run = days[i] == days[i-1]+1
	}
	if run {
		return "周" + name(days[0]) + "至周" + name(days[len(days)-1])
	}
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = name(d)
	}
	return "周" + strings.Join(s, "、")
}

// timeWords lists the times of day: "08:00", "08:00、20:00", "每小时整点",
// or "08:00、08:30、09:00 等 20 个时刻".
func timeWords(s *cron.SpecSchedule) string {
	mins, hours := set(s.Minute, 0, 59), set(s.Hour, 0, 23)
	if full(s.Hour, 0, 23) && len(mins) == 1 {
		if mins[0] == 0 {
			return "每小时整点"
		}
		return fmt.Sprintf("每小时的第 %d 分钟", mins[0])
	}
	var times []string
	for _, h := range hours {
		for _, m := range mins {
			times = append(times, fmt.Sprintf("%02d:%02d", h, m))
		}
	}
	if len(times) <= 4 {
		return strings.Join(times, "、")
	}
	return fmt.Sprintf("%s 等 %d 个时刻", strings.Join(times[:3], "、"), len(times))
}

var (
	lunarMonths = [...]string{"", "正月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "冬月", "腊月"}
	lunarTens   = [...]string{"初", "十", "廿", "三十"}
	lunarUnits  = [...]string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
)

// lunarDate is a lunar month and day as the calendar writes them: 八月十五,
// 正月初一, 闰四月廿三 (a negative month is a leap month).
func lunarDate(month, day int) string {
	leap := ""
	if month < 0 {
		month, leap = -month, "闰"
	}
	var d string
	switch {
	case day == 10:
		d = "初十"
	case day == 20:
		d = "二十"
	case day == 30:
		d = "三十"
	case day < 10:
		d = "初" + lunarUnits[day]
	default:
		d = lunarTens[day/10] + lunarUnits[day%10]
	}
	return leap + lunarMonths[month] + d
}

// chineseDuration: 2小时, 1小时30分钟, 45分钟.
func chineseDuration(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h > 0 && m > 0:
		return fmt.Sprintf("%d小时%d分钟", h, m)
	case h > 0:
		return fmt.Sprintf("%d小时", h)
	case m > 0:
		return fmt.Sprintf("%d分钟", m)
	}
	return fmt.Sprintf("%d秒", int(d/time.Second))
}
