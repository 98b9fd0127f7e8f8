package meetings

import (
	"context"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Before a month, quarter or year ends without its meeting, the ticker
// reminds the unit's secretaries privately (meetings.remind_before ahead),
// once per unit, type and period (the outbox key says which), in the
// daytime (09:00–21:00). Only units that held a meeting since the start of
// last year are reminded: a unit that never used the record is left alone.

// Tick sends the period-end reminders that are due.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	if f.remindBefore <= 0 {
		return nil
	}
	loc := f.engine.Location()
	local := now.In(loc)
	if local.Hour() < 9 || local.Hour() >= 21 {
		return nil
	}
	if !f.remindDue(now, local.Year(), loc) {
		return nil // no period ends soon: nothing to read per unit
	}
	year := time.Date(local.Year(), 1, 1, 0, 0, 0, 0, loc)
	us, err := f.store.UnitsWithMeetings(ctx, year.AddDate(-1, 0, 0))
	if err != nil {
		return err
	}
	units := f.engine.Units()
	for _, u := range us {
		ms, err := f.store.MeetingsOfUnit(ctx, u, year, year.AddDate(1, 0, 0))
		if err != nil {
			return err
		}
		var chats []bot.Chat
		for _, t := range f.types {
			for _, p := range periods(t, local.Year(), loc, ms) {
				if p.State(now) != Due || p.End.Sub(now) > f.remindBefore {
					continue
				}
				if chats == nil {
					if chats, err = f.secretaryChats(ctx, u); err != nil {
						return err
					}
				}
				last := p.End.AddDate(0, 0, -1)
				when := p.Label
				if t.Every == "year" {
					when = "今年"
				}
				text := fmt.Sprintf("三会一课提醒：%s%s还没有召开%s，请在 %d月%d日 前召开。开会时发送 /checkin open %s 1h（或 type=%s）记入台账。",
					units.Name(u), when, t.Name, last.Month(), last.Day(), t.Name, t.Name)
				for _, c := range chats {
					_, err := f.engine.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: text, Bulk: true,
						IdemKey: fmt.Sprintf("mt:%d:%s:%d:%d", u, t.Name, p.Start.Unix(), c.ID)})
					if err != nil {
						return fmt.Errorf("remind unit %d of %s: %w", u, t.Name, err)
					}
				}
			}
		}
	}
	return nil
}

// remindDue reports whether a period of some type ends within
// remindBefore of now: only then can a unit be owed a reminder, so the
// ticks of the rest of the month read nothing per unit.
func (f *Feature) remindDue(now time.Time, year int, loc *time.Location) bool {
	for _, t := range f.types {
		for _, p := range periods(t, year, loc, nil) {
			if p.State(now) == Due && p.End.Sub(now) <= f.remindBefore {
				return true
			}
		}
	}
	return false
}

// secretaryChats are the private chats of the unit's secretaries.
func (f *Feature) secretaryChats(ctx context.Context, unit int64) ([]bot.Chat, error) {
	es, err := f.store.RosterOfUnits(ctx, []int64{unit})
	if err != nil {
		return nil, err
	}
	var members []bot.Member
	for _, e := range es {
		if e.Role != bot.RoleSecretary {
			continue
		}
		ms, err := f.store.MembersOfRoster(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		members = append(members, ms...)
	}
	cs, err := f.store.PrivateChatsOf(ctx, members)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		cs = []bot.Chat{}
	}
	return cs, nil
}
