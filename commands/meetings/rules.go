package meetings

import (
	"fmt"
	"time"

	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/configs"
)

// Period is one span in which a meeting type is due once: a month, a
// quarter or the year.
type Period struct {
	Label      string // 3月, 第1季度, 全年
	Start, End time.Time
	Held       []checkin.Session // meetings of the type in it
}

// State of a period at some instant.
type State int

const (
	Future State = iota // not begun
	Held                // a meeting of the type was held in it
	Due                 // under way, none held yet
	Missed              // over, none held
)

// State is p's state at now.
func (p Period) State(now time.Time) State {
	switch {
	case len(p.Held) > 0:
		return Held
	case now.Before(p.Start):
		return Future
	case now.Before(p.End):
		return Due
	}
	return Missed
}

// periods is the rule for a type's periods in a year (in loc), each with
// the meetings of that type held in it.
func periods(t configs.MeetingType, year int, loc *time.Location, ms []checkin.Session) []Period {
	var ps []Period
	add := func(label string, from time.Time, months int) {
		ps = append(ps, Period{Label: label, Start: from, End: from.AddDate(0, months, 0)})
	}
	jan := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	switch t.Every {
	case "month":
		for m := range 12 {
			add(fmt.Sprintf("%d月", m+1), jan.AddDate(0, m, 0), 1)
		}
	case "quarter":
		for q := range 4 {
			add(fmt.Sprintf("第%d季度", q+1), jan.AddDate(0, 3*q, 0), 3)
		}
	default:
		add("全年", jan, 12)
	}
	for _, m := range ms {
		if m.MeetingType != t.Name {
			continue
		}
		for i := range ps {
			if !m.OpenedAt.Before(ps[i].Start) && m.OpenedAt.Before(ps[i].End) {
				ps[i].Held = append(ps[i].Held, m)
			}
		}
	}
	return ps
}
