package checkin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// Leave asked ahead (提前请假): before a meeting is opened, a member of the
// group's unit asks leave from the group's next meeting, of a type and/or
// on a day, in the words people type:
//
//	/请假 下次 出差
//	/请假 支部党员大会 12月10日 在外实习
//	/请假 周五 有课
//
// The request waits, with its number, and a secretary approves or rejects it
// as any other (/absence approve N), before or after the meeting opens. When
// a check-in of the group opens on that day (any day for 下次 or a type
// alone) and of that type (any type for 下次 or a day alone), the request is
// attached to it in the same transaction: approved leave is then 请假 in the
// result, the statistics, the export and the follow-up. A person's request
// for a meeting that is open now is the ordinary request for it.

// dayLayout is how a leave's day is stored.
const dayLayout = "2006-01-02"

// nextWords name the group's next meeting.
var nextWords = []string{"下次", "下一次", "下次会", "下次会议", "下回"}

// aheadTarget reads what a leave request asked ahead is for from the
// leading arguments: 下次, a meeting type and/or a day. ok is false when
// they name none of these (an ordinary request for the open session).
func (f *Feature) aheadTarget(args []string, now time.Time) (typ string, day time.Time, rest []string, ok bool, err error) {
	rest = args
	if len(rest) > 0 && slices.Contains(nextWords, rest[0]) {
		return "", time.Time{}, rest[1:], true, nil
	}
	for len(rest) > 0 {
		a := rest[0]
		switch {
		case typ == "" && slices.Contains(f.meetingTypes, a):
			typ = a
		case day.IsZero():
			d, derr := parseDay(a, now)
			if derr != nil {
				return typ, day, rest, typ != "" || !day.IsZero(), nil
			}
			if d.Before(startOfDay(now)) {
				return "", time.Time{}, nil, true, bot.Errorf("%s 已经过去了，不能提前请假。", when.Date(d, now))
			}
			day = d
		default:
			return typ, day, rest, true, nil
		}
		rest = rest[1:]
	}
	return typ, day, rest, typ != "" || !day.IsZero(), nil
}

// parseDay reads a day as people type it: 12月10日, 12/10, 明天, a
// weekday (周五, 下周五, 星期五), or any of these with a time of day.
func parseDay(s string, now time.Time) (time.Time, error) {
	if d, err := when.ParseDate(s, now); err == nil {
		return d, nil
	}
	// A weekday, or a day with the meeting's time (周五18:00): its day.
	// Only words that name a day, so that a reason (下午有课) is never read
	// as one.
	if strings.ContainsAny(s, "0123456789周") || strings.Contains(s, "星期") || strings.Contains(s, "礼拜") {
		if t, err := when.Parse(s, now); err == nil {
			return startOfDay(t), nil
		}
	}
	return time.Time{}, errors.New("not a day")
}

func startOfDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// aheadLabel says which meeting leave asked ahead is for: 下次会议,
// 下次支部党员大会, 12月10日的会议, 12月10日的支部党员大会.
func aheadLabel(l Leave, loc *time.Location, now time.Time) string {
	what := "会议"
	if l.MeetingType != "" {
		what = l.MeetingType
	}
	if l.Day == "" {
		return "下次" + what
	}
	d, err := time.ParseInLocation(dayLayout, l.Day, loc)
	if err != nil {
		return l.Day + "的" + what
	}
	return when.Date(d, now) + "的" + what
}

// leaveAhead answers a request that names 下次, a meeting type or a day
// (done). One whose type or day is the meeting open now is leave from it:
// it returns that session and the reason. Anything else is an ordinary
// request: a zero session.
func (f *Feature) leaveAhead(ctx context.Context, r *bot.Request, now time.Time) (s Session, reason string, done bool, err error) {
	args := r.Command.Args
	if len(args) > 0 && strings.HasPrefix(args[0], "#") {
		return s, "", false, nil
	}
	typ, day, rest, ok, err := f.aheadTarget(args, now.In(f.engine.Location()))
	if err != nil || !ok {
		return s, "", false, err
	}
	if reason, err = leaveReason(rest); err != nil {
		return s, "", false, err
	}
	if typ != "" || !day.IsZero() {
		cur, open, err := f.current(ctx, r)
		if err != nil {
			return s, "", false, err
		}
		if open && matchesOpen(cur, typ, day, f.engine.Location()) {
			return cur, reason, false, nil
		}
	}
	return s, "", true, f.requestLeaveAhead(ctx, r, typ, day, reason)
}

// requestLeaveAhead stores leave asked ahead in the group and answers with
// its number, or that it was asked already.
func (f *Feature) requestLeaveAhead(ctx context.Context, r *bot.Request, typ string, day time.Time, reason string) error {
	me := r.Caller.Roster
	units := r.Units()
	switch {
	case r.Chat.UnitID == 0:
		return bot.Errorf("本群尚未绑定单位，不能提前请假。")
	case !units.Contains(r.Chat.UnitID, me.UnitID):
		return bot.Errorf("你不在本群单位（%s）的名单上，不用请假。", units.Name(r.Chat.UnitID))
	}
	now := r.Now()
	l := Leave{ChatID: r.Chat.ID, MeetingType: typ, RosterID: me.ID, MemberID: r.Caller.Member.ID, Name: me.Name, Reason: reason, CreatedAt: now}
	if !day.IsZero() {
		l.Day = day.Format(dayLayout)
	}
	loc := f.engine.Location()
	err := f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		got, added, err := tx.RequestLeaveAhead(l)
		if err != nil {
			return err
		}
		what := aheadLabel(got, loc, now)
		text := fmt.Sprintf("已收到你的请假 #%d（%s）：%s\n会议开始签到时自动记入。书记批准发送 /absence approve %d，不批准发送 /absence reject %d <理由>。",
			got.ID, what, reason, got.ID, got.ID)
		if !added {
			text = fmt.Sprintf("你已为%s请过假（#%d，%s）：%s", what, got.ID, leaveWords[got.Status], got.Reason)
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text, MentionMember: r.Caller.Member.ID})
		return err
	})
	if err != nil {
		return fmt.Errorf("leave asked ahead in chat %d: %w", r.Chat.ID, err)
	}
	return nil
}

// matchesOpen reports whether leave asked ahead for typ on day means the
// session s that is open now.
func matchesOpen(s Session, typ string, day time.Time, loc *time.Location) bool {
	if typ != "" && s.MeetingType != typ {
		return false
	}
	return day.IsZero() || startOfDay(s.OpenedAt.In(loc)).Equal(day)
}

// leaveTarget is the chat a leave request belongs to and how answers name
// what it is for.
func (f *Feature) leaveTarget(ctx context.Context, l Leave, now time.Time) (chatID int64, what string, err error) {
	if l.SessionID == 0 {
		return l.ChatID, aheadLabel(l, f.engine.Location(), now), nil
	}
	s, err := f.store.CheckinSession(ctx, l.SessionID)
	if err != nil {
		return 0, "", err
	}
	return s.ChatID, fmt.Sprintf("签到 #%d「%s」", s.Seq, s.Title), nil
}

// aheadLines lists the group's leave asked ahead still waiting for its
// meeting (none for a day gone by), for /absence list.
func (f *Feature) aheadLines(ctx context.Context, r *bot.Request) ([]string, error) {
	ls, err := f.store.LeavesAhead(ctx, r.Chat.ID)
	if err != nil {
		return nil, err
	}
	now := r.Now()
	today := startOfDay(now.In(f.engine.Location())).Format(dayLayout)
	var lines []string
	for _, l := range ls {
		if l.Day != "" && l.Day < today {
			continue
		}
		if lines == nil {
			lines = []string{"尚未开始的会议的请假："}
		}
		lines = append(lines, leaveLine(l)+"，"+aheadLabel(l, f.engine.Location(), now)+"）")
	}
	return lines, nil
}

// attachedLine tells the group, in a session's announcement, who asked leave
// from it ahead.
func attachedLine(ls []Leave) string {
	if len(ls) == 0 {
		return ""
	}
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = fmt.Sprintf("%s（#%d，%s）", l.Name, l.ID, leaveWords[l.Status])
	}
	return "提前请假：" + strings.Join(names, "、")
}
