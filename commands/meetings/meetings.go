// Package meetings is the 三会一课 record: which of the configured meeting
// types (meetings.types: 支部党员大会 every quarter, 支委会 every month, …) a
// unit held in each month, quarter or year, and which are still due or
// were missed; the 台账 workbook (Ledger, for branchbot report meetings);
// and a private reminder to a unit's secretaries before a period ends
// without its meeting (remind.go). A meeting is a check-in session that
// carries a type (/checkin open … type=支委会, or a title that is a type),
// so its attendance (and its minutes, /checkin note) are the check-in's.
package meetings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/when"
	"github.com/branchbot/branchbot/configs"
)

// Feature is the meetings feature.
type Feature struct {
	engine       *bot.Engine
	store        Store
	types        []configs.MeetingType
	remindBefore time.Duration
}

// New makes the feature from the meetings config.
func New(e *bot.Engine, store Store, cfg configs.MeetingsConfig) *Feature {
	return &Feature{engine: e, store: store, types: cfg.Types, remindBefore: cfg.Remind()}
}

func (f *Feature) Name() string { return "meetings" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "meetings", Aliases: []string{"三会一课"},
		Summary: "三会一课：本年各类会议已开、待开、无记录（书记）",
		Usage:   "/meetings [单位] [年份]",
		Help: "例：/meetings、/三会一课 第一党支部 2026\n" +
			"按配置的频率（如支委会每月、支部党员大会每季度）列出已开的会议（日期）、本期待开，以及已过去却没有会议记录的月份或季度（本单位第一次签到之前结束的不算）。" +
			"会议即带会议类型的签到：/checkin open 支委会 1h 或 type=支委会。不写单位时是本群的单位（私聊中是你所在的单位）。",
		// The handler checks the unit named (or meant).
		Role: bot.RoleSecretary, Scope: bot.AnyUnit,
		Handler: f.meetings,
	}}
}

func (f *Feature) meetings(ctx context.Context, r *bot.Request) error {
	units := r.Units()
	now := r.Now()
	loc := f.engine.Location()
	unit := r.Chat.UnitID
	if unit == 0 && r.Caller.Roster != nil {
		unit = r.Caller.Roster.UnitID
	}
	year := now.In(loc).Year()
	for _, a := range r.Command.Args {
		if y, err := strconv.Atoi(strings.TrimSuffix(a, "年")); err == nil && y >= 2000 && y <= 2100 {
			year = y
			continue
		}
		u, ok := units.ByName(a)
		if !ok {
			return bot.Errorf("没有单位「%s」。用法：%s", a, r.Spec.Usage)
		}
		unit = u.ID
	}
	if unit == 0 {
		return bot.Errorf("请写明单位，例：/meetings 第一党支部")
	}
	if err := r.Require(bot.RoleSecretary, unit); err != nil {
		return err
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	ms, err := f.store.MeetingsOfUnit(ctx, unit, from, from.AddDate(1, 0, 0))
	if err != nil {
		return err
	}
	photos, err := f.photoCounts(ctx, ms)
	if err != nil {
		return err
	}
	// Periods that ended before the unit's first check-in are not "无记录":
	// the bot was not recording the unit's meetings then.
	since, inUse, err := f.store.UnitCheckinsSince(ctx, unit)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s %d年三会一课：", units.Name(unit), year)
	switch {
	case !inUse:
		return r.Reply(ctx, title+"本单位还没有发起过签到，暂无会议记录。会议即带会议类型的签到，例：在本单位的群里发送 /checkin open 支委会 1h。")
	case !since.Before(from.AddDate(1, 0, 0)):
		return r.Reply(ctx, fmt.Sprintf("%s本单位的签到记录自 %s 起，%d年没有记录。", title, since.In(loc).Format("2006年1月2日"), year))
	}
	before := false // some period ended before since
	every := map[string]string{"month": "每月", "quarter": "每季度", "year": "每年"}
	current := map[string]string{"month": "本月", "quarter": "本季度", "year": "本年"}
	lines := []string{title}
	for _, t := range f.types {
		ps := periods(t, year, loc, ms)
		var held, missed []string
		due := ""
		for _, p := range ps {
			switch p.State(now) {
			case Held:
				for _, m := range p.Held {
					d := when.Date(m.OpenedAt.In(loc), now)
					if n := photos[m.ID]; n > 0 {
						d += fmt.Sprintf(" 照片 %d 张", n)
					}
					held = append(held, d)
				}
			case Missed:
				if !p.End.After(since) {
					before = true
					continue
				}
				missed = append(missed, p.Label)
			case Due:
				due = fmt.Sprintf("%s（%s）待开", current[t.Every], p.Label)
			}
		}
		line := fmt.Sprintf("%s（%s）：已开 %d 次", t.Name, every[t.Every], len(held))
		if len(held) > 0 {
			line += "（" + strings.Join(held, "、") + "）"
		}
		if len(missed) > 0 {
			line += "；无记录：" + strings.Join(missed, "、")
		}
		if due != "" {
			line += "；" + due
		}
		lines = append(lines, line)
	}
	if before {
		lines = append(lines, fmt.Sprintf("（本单位的签到记录自 %s 起，此前结束的月份、季度不列为无记录。）", since.In(loc).Format("2006年1月2日")))
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

// photoCounts counts the minutes photos of each meeting, by session id.
func (f *Feature) photoCounts(ctx context.Context, ms []checkin.Session) (map[int64]int, error) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	ps, err := f.store.CheckinPhotos(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("photos of meetings: %w", err)
	}
	n := make(map[int64]int, len(ps))
	for _, p := range ps {
		n[p.SessionID]++
	}
	return n, nil
}
