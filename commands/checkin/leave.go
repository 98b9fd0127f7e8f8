package checkin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
)

// Leave (请假): a linked member of a session's unit asks for leave while the
// session is open, with a reason; a secretary of the group's unit approves
// or rejects it (with a reason). Approved leave is 请假 in the result, the
// statistics, the export and the follow-up (not absent, not reminded).

const maxReason = 100

func (f *Feature) leaveSpec() bot.CommandSpec {
	return bot.CommandSpec{
		Name: "absence", Aliases: []string{"请假"},
		Summary: "签到请假（向书记说明理由）",
		Usage:   "/absence [#签到编号] <理由>，或 /absence 下次|<会议类型>|<日期> <理由>",
		Help: "例：/请假 下午有课、/absence #2 在外实习、/请假 下次 出差、/请假 支部党员大会 12月10日 在外实习、/请假 周五 有课\n" +
			"在签到进行中时发送，不写编号时是本群正在进行的签到；会议还没开始时，写「下次」、会议类型或日期提前请假，本群开始该会议的签到时自动记入。" +
			"书记批准后记为「请假」，不算缺席，也不会被提醒。",
		Where: bot.GroupOnly,
		// "请假 下午有课" while a check-in is open is said to the bot; at
		// other times 请假 starts sentences: slash then.
		Bare:      bot.BareWhenExpected,
		Expecting: &bot.Expecting{When: "本群有进行中（或刚结束半小时内）的签到时", Now: f.sessionOpen},
		Handler:   f.requestLeave,
		Subs: []bot.CommandSpec{
			{
				Name: "approve", Aliases: []string{"批准"}, Flat: []string{"absence_approve", "准假"},
				Summary: "批准请假（书记）",
				Usage:   "/absence approve <请假编号或姓名>",
				Role:    bot.RoleSecretary,
				Handler: f.decideLeave(LeaveApproved),
			},
			{
				Name: "reject", Aliases: []string{"驳回"}, Flat: []string{"absence_reject", "不准假"},
				Summary: "不批准请假（书记，须写理由）",
				Usage:   "/absence reject <请假编号或姓名> <理由>",
				Role:    bot.RoleSecretary,
				Handler: f.decideLeave(LeaveRejected),
			},
			{
				Name: "list", Aliases: []string{"名单"}, Flat: []string{"absence_list", "请假名单"},
				Summary: "查看一次签到的请假（书记）",
				Usage:   "/absence list [#签到编号]",
				Role:    bot.RoleSecretary,
				Handler: f.listLeave,
			},
		},
	}
}

// errNoSession: the group has had no check-in.
var errNoSession = bot.Errorf("本群还没有签到。")

var leaveWords = map[string]string{LeavePending: "待批准", LeaveApproved: "已批准", LeaveRejected: "未批准"}

// sessionArg reads an optional leading #N: the group's session #N, or its
// latest. Words written straight after the number, as phones do
// ("#1照片"), are the next argument.
func (f *Feature) sessionArg(ctx context.Context, r *bot.Request) (Session, []string, error) {
	args := r.Command.Args
	var (
		s   Session
		err error
	)
	if len(args) > 0 && strings.HasPrefix(args[0], "#") {
		digits := strings.TrimLeft(args[0][1:], "0123456789")
		num := args[0][1 : len(args[0])-len(digits)]
		n, perr := strconv.ParseInt(num, 10, 64)
		if perr != nil || n <= 0 {
			return s, nil, bot.Errorf("签到编号「%s」不对，应写成 #2。", args[0])
		}
		s, err = f.store.CheckinByNumber(ctx, r.Chat.ID, n)
		if errors.Is(err, bot.ErrNotFound) {
			return s, nil, bot.Errorf("本群没有签到 #%d。", n)
		}
		rest := args[1:]
		if digits != "" {
			rest = append([]string{digits}, rest...)
		}
		return s, rest, err
	}
	s, err = f.store.LatestCheckin(ctx, r.Chat.ID)
	if errors.Is(err, bot.ErrNotFound) {
		return s, nil, errNoSession
	}
	return s, args, err
}

func (f *Feature) requestLeave(ctx context.Context, r *bot.Request) error {
	me := r.Caller.Roster
	if me == nil {
		return bot.Errorf("请假按花名册记录，请先绑定花名册身份。%s", bot.LinkHowTo)
	}
	now := r.Now()
	s, reason, done, err := f.leaveAhead(ctx, r, now)
	if err != nil || done {
		return err
	}
	if s.ID == 0 {
		var rest []string
		if s, rest, err = f.sessionArg(ctx, r); err != nil {
			return err
		}
		if reason, err = leaveReason(rest); err != nil {
			return err
		}
	}
	switch {
	case s.Closed(now):
		return bot.Errorf("签到 #%d「%s」已结束，不能再请假。", s.Seq, s.Title)
	case s.UnitID == 0 || !r.Units().Contains(s.UnitID, me.UnitID):
		return bot.Errorf("你不在签到 #%d「%s」的应到名单（%s）上，不用请假。", s.Seq, s.Title, r.Units().Name(s.UnitID))
	}
	cs, err := f.store.Checkins(ctx, s.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(cs, func(c Checkin) bool { return c.RosterID == me.ID }) {
		return bot.Errorf("你已在签到 #%d「%s」签到，不用请假。", s.Seq, s.Title)
	}
	l := Leave{SessionID: s.ID, RosterID: me.ID, MemberID: r.Caller.Member.ID, Name: me.Name, Reason: reason, CreatedAt: now}
	err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		got, added, err := tx.RequestLeave(l)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("已收到你的请假 #%d（签到 #%d「%s」）：%s\n书记批准发送 /absence approve %d，不批准发送 /absence reject %d <理由>。",
			got.ID, s.Seq, s.Title, reason, got.ID, got.ID)
		if !added {
			text = fmt.Sprintf("你已为签到 #%d「%s」请过假（#%d，%s）：%s", s.Seq, s.Title, got.ID, leaveWords[got.Status], got.Reason)
		}
		_, _, err = tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text, MentionMember: r.Caller.Member.ID})
		return err
	})
	if err != nil {
		return fmt.Errorf("leave request for session %d: %w", s.ID, err)
	}
	return nil
}

// leaveReason is the reason a request gives, checked.
func leaveReason(rest []string) (string, error) {
	reason := strings.TrimSpace(strings.Join(rest, " "))
	switch {
	case !bot.HasWords(reason): // 请假！ gives no reason
		return "", bot.Errorf("请写明请假理由，例：/请假 下午有课")
	case utf8.RuneCountInString(reason) > maxReason:
		return "", bot.Errorf("请假理由太长（最多 %d 字）。", maxReason)
	}
	return reason, nil
}

func (f *Feature) decideLeave(status string) bot.Handler {
	return func(ctx context.Context, r *bot.Request) error {
		args := r.Command.Args
		if len(args) == 0 || (status == LeaveRejected && len(args) < 2) {
			return bot.Errorf("用法：%s", r.Spec.Usage)
		}
		n, err := strconv.ParseInt(strings.TrimLeft(args[0], "#＃"), 10, 64)
		if err != nil || n <= 0 {
			// 准假 张三: the one pending request of that name in this
			// group, in its latest check-in or asked ahead.
			if n, err = f.pendingLeaveOf(ctx, r.Chat.ID, args[0], r.Spec.Usage); err != nil {
				return err
			}
		}
		l, err := f.store.CheckinLeave(ctx, n)
		if errors.Is(err, bot.ErrNotFound) {
			return bot.Errorf("本群没有请假 #%d。", n)
		}
		if err != nil {
			return err
		}
		now := r.Now()
		chat, what, err := f.leaveTarget(ctx, l, now)
		if err != nil {
			return err
		}
		if chat != r.Chat.ID {
			return bot.Errorf("本群没有请假 #%d。", n)
		}
		if l.Status != LeavePending {
			return bot.Errorf("请假 #%d（%s）%s。", l.ID, l.Name, leaveWords[l.Status])
		}
		to := l
		to.Status, to.DecidedBy, to.DeciderName, to.DecidedAt = status, r.Caller.Member.ID, r.Caller.Name(), now
		to.Note = strings.TrimSpace(strings.Join(args[1:], " "))
		text := fmt.Sprintf("你的请假 #%d（%s）已由 %s 批准，记为请假。", l.ID, what, to.DeciderName)
		if status == LeaveRejected {
			text = fmt.Sprintf("你的请假 #%d（%s）未被批准：%s（%s）", l.ID, what, to.Note, to.DeciderName)
		}
		err = f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
			if err := tx.DecideLeave(to); err != nil {
				return err
			}
			_, _, err := tx.Enqueue(bot.Outgoing{ChatID: r.Chat.ID, Text: text, MentionMember: l.MemberID})
			return err
		})
		if errors.Is(err, ErrStale) {
			return bot.Errorf("请假 #%d 刚刚已被处理。", l.ID)
		}
		if err != nil {
			return fmt.Errorf("decide leave %d: %w", l.ID, err)
		}
		return nil
	}
}

// pendingLeaveOf finds the request a secretary names by the member's name
// or roster number instead of its number: the one waiting for a decision
// in the group's latest check-in or asked ahead in the group.
func (f *Feature) pendingLeaveOf(ctx context.Context, chatID int64, who, usage string) (int64, error) {
	ls, err := f.store.LeavesAhead(ctx, chatID)
	if err != nil {
		return 0, err
	}
	s, err := f.store.LatestCheckin(ctx, chatID)
	switch {
	case err == nil:
		in, err := f.store.CheckinLeaves(ctx, s.ID)
		if err != nil {
			return 0, err
		}
		ls = append(ls, in...)
	case !errors.Is(err, bot.ErrNotFound):
		return 0, err
	}
	var ids []string
	var id int64
	var decided *Leave
	for i, l := range ls {
		if l.Name != who {
			continue
		}
		if l.Status != LeavePending {
			decided = &ls[i]
			continue
		}
		id = l.ID
		ids = append(ids, fmt.Sprintf("#%d", l.ID))
	}
	switch {
	case len(ids) == 0 && decided != nil:
		return 0, bot.Errorf("请假 #%d（%s）%s。", decided.ID, decided.Name, leaveWords[decided.Status])
	case len(ids) == 0:
		return 0, bot.Errorf("本群没有「%s」待批准的请假。发送 /absence list 查看请假和编号。用法：%s", who, usage)
	case len(ids) == 1:
		return id, nil
	}
	return 0, bot.Errorf("「%s」有 %d 条待批准的请假（%s），请写编号。", who, len(ids), strings.Join(ids, "、"))
}

func (f *Feature) listLeave(ctx context.Context, r *bot.Request) error {
	var ahead []string
	if len(r.Command.Args) == 0 {
		var err error
		if ahead, err = f.aheadLines(ctx, r); err != nil {
			return err
		}
	}
	s, rest, err := f.sessionArg(ctx, r)
	if errors.Is(err, errNoSession) {
		if len(ahead) == 0 {
			return bot.Errorf("本群还没有签到，也没有提前请假。")
		}
		return r.Reply(ctx, strings.Join(ahead, "\n"))
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return bot.Errorf("用法：%s", r.Spec.Usage)
	}
	ls, err := f.store.CheckinLeaves(ctx, s.ID)
	if err != nil {
		return err
	}
	lines := []string{fmt.Sprintf("签到 #%d「%s」没有人请假。", s.Seq, s.Title)}
	if len(ls) > 0 {
		lines = []string{fmt.Sprintf("签到 #%d「%s」的请假：", s.Seq, s.Title)}
	}
	for _, l := range ls {
		lines = append(lines, leaveLine(l)+"）")
	}
	return r.Reply(ctx, strings.Join(append(lines, ahead...), "\n"))
}

// leaveLine is one request in a list, its closing parenthesis left open:
// "#3 张三：出差（已批准，周书记".
func leaveLine(l Leave) string {
	line := fmt.Sprintf("#%d %s：%s（%s", l.ID, l.Name, l.Reason, leaveWords[l.Status])
	if l.DeciderName != "" {
		line += "，" + l.DeciderName
	}
	if l.Note != "" {
		line += "：" + l.Note
	}
	return line
}
