package meetings

import (
	"testing"
	"time"

	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/configs"
)

func TestPeriods(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 19, 0, 0, 0, loc) }
	ms := []checkin.Session{
		{MeetingType: "支委会", OpenedAt: at(1, 31)},
		{MeetingType: "支委会", OpenedAt: at(3, 1)},
		{MeetingType: "党课", OpenedAt: at(4, 1)},
	}
	now := at(3, 15)
	monthly := periods(configs.MeetingType{Name: "支委会", Every: "month"}, 2026, loc, ms)
	want := []State{Held, Missed, Held, Future}
	for i, w := range want {
		if got := monthly[i].State(now); got != w {
			t.Errorf("支委会 %s: %v, want %v", monthly[i].Label, got, w)
		}
	}
	quarterly := periods(configs.MeetingType{Name: "党课", Every: "quarter"}, 2026, loc, ms)
	if len(quarterly) != 4 || quarterly[0].State(now) != Due || quarterly[1].State(now) != Held || quarterly[1].Label != "第2季度" {
		t.Errorf("党课: %+v", quarterly)
	}
	yearly := periods(configs.MeetingType{Name: "组织生活会", Every: "year"}, 2026, loc, ms)
	if len(yearly) != 1 || yearly[0].State(now) != Due || yearly[0].State(at(12, 31).AddDate(0, 0, 1)) != Missed {
		t.Errorf("组织生活会: %+v", yearly)
	}
}
