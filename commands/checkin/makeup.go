package checkin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/branchbot/branchbot/bot"
)

// Make-up sign-in (补签): a secretary records that a roster member of the
// session's unit attended although they did not check in (no phone, a
// dead battery), with who recorded it. It counts as present, marked 补签.

func (f *Feature) makeupSpec() bot.CommandSpec {
	return bot.CommandSpec{
		Name: "makeup", Aliases: []string{"补签"}, Flat: []string{"makeup", "checkin_makeup", "补签"},
		Summary: "为没签上的人补签（书记）",
		Usage:   "/checkin makeup [#签到编号] <姓名或学号>",
		Help: "例：/补签 #2 王五、/checkin makeup 2023003\n" +
			"按本次签到单位的花名册找人（重名时请写学号）。补签算出勤，在统计和导出表格中注明「补签」和补签人。不写编号时是本群最近的一次签到。",
		Role:    bot.RoleSecretary,
		Handler: f.makeup,
	}
}

func (f *Feature) makeup(ctx context.Context, r *bot.Request) error {
	s, rest, err := f.sessionArg(ctx, r)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return bot.Errorf("用法：%s", r.Spec.Usage)
	}
	who := rest[0]
	units := r.Units()
	subtree := units.Subtree(s.UnitID)
	var e bot.RosterEntry
	if byNumber, err := f.store.RosterByNumber(ctx, who); err == nil && slices.Contains(subtree, byNumber.UnitID) && byNumber.Left.IsZero() {
		e = byNumber
	} else {
		roster, err := f.store.RosterOfUnits(ctx, subtree)
		if err != nil {
			return err
		}
		var named []bot.RosterEntry
		for _, x := range roster {
			if x.Name == who {
				named = append(named, x)
			}
		}
		switch len(named) {
		case 0:
			return bot.Errorf("在%s的花名册上找不到「%s」。", units.Name(s.UnitID), who)
		case 1:
			e = named[0]
		default:
			return bot.Errorf("%s有 %d 人叫「%s」，请写学号。", units.Name(s.UnitID), len(named), who)
		}
	}
	if !s.Expects(e) {
		return bot.Errorf("签到 #%d「%s」是%s，只有%s应到；%s不在其中，不用补签。", s.Seq, s.Title, s.MeetingType, strings.Join(s.Titles, "、"), e.Name)
	}
	cs, err := f.store.Checkins(ctx, s.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(cs, func(c Checkin) bool { return c.RosterID == e.ID }) {
		return bot.Errorf("%s已在签到 #%d「%s」签到，不用补签。", e.Name, s.Seq, s.Title)
	}
	now := r.Now()
	m := Makeup{SessionID: s.ID, RosterID: e.ID, Name: e.Name, RecordedBy: r.Caller.Member.ID, RecorderName: r.Caller.Name(), At: now}
	err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		added, err := tx.AddMakeup(m)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("已为 %s 补签签到 #%d「%s」（%s补签），计为出勤。", e.Name, s.Seq, s.Title, m.RecorderName)
		if !added {
			text = fmt.Sprintf("%s 已补签过签到 #%d「%s」。", e.Name, s.Seq, s.Title)
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text})
		return err
	})
	if err != nil {
		return fmt.Errorf("make-up sign-in for session %d: %w", s.ID, err)
	}
	return nil
}
