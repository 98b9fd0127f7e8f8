package study

import (
	"testing"

	"github.com/branchbot/branchbot/configs"
)

func TestDescribeSchedule(t *testing.T) {
	tests := []struct {
		cron, rule, want string
	}{
		{"0 8 * * *", "workdays", "每个工作日 08:00"},
		{"0 8 * * *", "every_day", "每天 08:00"},
		{"0 8 * * *", "", "每天 08:00"},
		{"0 9 * * *", "holidays_only", "每个休息日和节假日 09:00"},
		{"0 9 * * *", "lunar:08-15", "每年农历八月十五 09:00"},
		{"0 9 * * *", "lunar:01-01", "每年农历正月初一 09:00"},
		{"0 9 * * *", "lunar:-04-23", "每年农历闰四月廿三 09:00"},
		{"0 9 * * *", "lunar:12-30", "每年农历腊月三十 09:00"},
		{"30 12 * * 1-5", "every_day", "每周一至周五 12:30"},
		{"30 12 * * MON-FRI", "every_day", "每周一至周五 12:30"},
		{"0 8 * * 1,3,5", "every_day", "每周一、三、五 08:00"},
		{"0 10 * * 6,0", "every_day", "每周六、日 10:00"},
		{"0 10 * * 0", "every_day", "每周日 10:00"},
		{"0 8 * * 1", "workdays", "每周一（逢工作日） 08:00"},
		{"0 8 1 * *", "every_day", "每月1日 08:00"},
		{"0 8 1,15 * *", "every_day", "每月1日、15日 08:00"},
		{"0 8 1 9 *", "every_day", "每年9月1日 08:00"},
		{"0 8 * 9,10 *", "every_day", "每年9月、10月的每一天 08:00"},
		{"0 8 1 3,9 *", "every_day", "每年3月、9月的1日 08:00"},
		{"0 8 * 9 1", "every_day", "每年9月的每周一 08:00"},
		{"0 8 1 * 1", "every_day", "每月1日和周一 08:00"},
		{"0 8,20 * * *", "every_day", "每天 08:00、20:00"},
		{"0 * * * *", "every_day", "每天每小时整点"},
		{"15 * * * 1-5", "workdays", "每周一至周五（逢工作日）每小时的第 15 分钟"},
		{"*/30 8-18 * * *", "every_day", "每天 08:00、08:30、09:00 等 22 个时刻"},
		{"@daily", "every_day", "每天 00:00"},
		{"@weekly", "every_day", "每周日 00:00"},
		{"@monthly", "every_day", "每月1日 00:00"},
		{"@yearly", "every_day", "每年1月1日 00:00"},
		{"@every 1h30m", "every_day", "每隔 1小时30分钟"},
	}
	for _, tt := range tests {
		s, err := configs.CronParser.Parse(tt.cron)
		if err != nil {
			t.Fatalf("%s: %v", tt.cron, err)
		}
		kind, m, d, err := configs.ParsePushRule(tt.rule)
		if err != nil {
			t.Fatalf("%s: %v", tt.rule, err)
		}
		if got := describeSchedule(s, kind, m, d); got != tt.want {
			t.Errorf("cron %q, rule %q: %q, want %q", tt.cron, tt.rule, got, tt.want)
		}
	}
}
