package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

func (f *Feature) list(ctx context.Context, r *bot.Request) error {
	f.notePrivate(ctx, r)
	depts, err := f.viewScope(r)
	if err != nil {
		return err
	}
	units := r.Units()
	now := r.Now()
	scope := "全部部门"
	switch {
	case depts != nil && len(depts) > 0:
		scope = units.Name(depts[0])
	case depts != nil:
		return bot.Errorf("你的花名册身份没有所属部门，无法查看待办。")
	}
	ts, err := f.db.OpenTickets(ctx, depts, 50)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return r.Reply(ctx, fmt.Sprintf("%s没有待办建议。", scope))
	}
	lines := []string{fmt.Sprintf("%s待办建议 %d 条（按答复期限）：", scope, len(ts))}
	for _, t := range ts {
		line := fmt.Sprintf("#%d [%s] %s 截止 · %s", t.ID, stateText(t, now), f.shortDate(t.DueAt, now), filerLabel(t, units))
		if t.Category != "" {
			line += " · " + t.Category
		}
		if depts == nil || len(depts) > 1 {
			line += " · " + units.Name(t.DepartmentID)
		}
		if name := f.rosterName(ctx, t.AssigneeRosterID); name != "" {
			line += " · 指派：" + name
		}
		lines = append(lines, line, "  "+summary(t.Text, 40))
	}
	lines = append(lines, "发送 /ticket <编号> 查看详情，/answer <编号> <内容> 答复。")
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

func (f *Feature) rosterName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	e, err := f.db.RosterEntry(ctx, id)
	if err != nil {
		return ""
	}
	return e.Name
}

func (f *Feature) staffNumber(r *bot.Request, usage string) (int64, error) {
	if len(r.Command.Args) == 0 {
		return 0, bot.Errorf("用法：%s", usage)
	}
	n, ok := parseNumber(r.Command.Args[0])
	if !ok {
		return 0, bot.Errorf("建议编号应为数字。用法：%s", usage)
	}
	return n, nil
}

func (f *Feature) show(ctx context.Context, r *bot.Request) error {
	n, err := f.staffNumber(r, "/ticket <编号>")
	if err != nil {
		return err
	}
	t, err := f.staffTicket(ctx, r, n)
	if err != nil {
		return err
	}
	f.notePrivate(ctx, r)
	if _, err := f.viewScope(r); err != nil {
		return err
	}
	evs, err := f.db.TicketEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	units := r.Units()
	now := r.Now()
	lines := []string{
		fmt.Sprintf("建议 #%d [%s] · %s · %s", t.ID, stateText(t, now), units.Name(t.DepartmentID), categoryLabel(t)),
		"提交人：" + filerLabel(t, units),
		"提交时间：" + f.shortDate(t.CreatedAt, now),
		"答复期限：" + f.shortDate(t.DueAt, now),
	}
	if name := f.rosterName(ctx, t.AssigneeRosterID); name != "" {
		lines = append(lines, "指派给："+name)
	}
	if !t.FirstResponseAt.IsZero() {
		lines = append(lines, "首次响应："+f.shortDate(t.FirstResponseAt, now))
	}
	lines = append(lines, "内容："+t.Text, "记录：")
	for _, e := range evs {
		if text := eventText(e); text != "" {
			lines = append(lines, fmt.Sprintf("  %s %s", f.shortDate(e.At, now), text))
		}
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

// eventText is one history entry as staff read it, without its time; ""
// for a kind staff are not shown.
func eventText(e Event) string {
	switch e.Kind {
	case "filed":
		return "提交"
	case "followup":
		return "提建议人补充：" + e.Text
	case "answer":
		return e.ActorName + "答复：" + e.Text
	case "close":
		if e.Text != "" {
			return e.ActorName + "关闭：" + e.Text
		}
		return e.ActorName + "关闭"
	case "reopen":
		return e.ActorName + "重新打开" + e.Text
	case "assign":
		return e.ActorName + "指派给 " + e.Text
	case "remind":
		return "到期提醒"
	case "escalate":
		return fmt.Sprintf("逾期督办（%s）", e.Text)
	}
	return ""
}

// staffEvent is a history entry by the caller.
func staffEvent(c bot.Caller, t Ticket, kind, text string) Event {
	e := Event{TicketID: t.ID, Kind: kind, ActorName: c.Name(), Text: text}
	if c.Roster != nil {
		e.ActorRosterID = c.Roster.ID
	}
	return e
}

func (f *Feature) answer(ctx context.Context, r *bot.Request) error {
	usage := "/answer <编号> <答复内容>"
	n, text, ok := numberAndText(r)
	if !ok {
		return bot.Errorf("用法：%s", usage)
	}
	_, err := f.answerTicket(ctx, r.Caller, n, text, usage, r.Chat.ID)
	return err
}

// answerTicket answers ticket n as c: the answer goes to the filer, the
// acknowledgement (returned) also to ackChat unless it is 0.
func (f *Feature) answerTicket(ctx context.Context, c bot.Caller, n int64, text, usage string, ackChat int64) (string, error) {
	if err := f.checkText(text, usage); err != nil {
		return "", err
	}
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return "", err
	}
	if t.State == StateClosed {
		return "", bot.Errorf("建议 #%d 已关闭。如需再次答复，请先发送 /reopen %d", n, n)
	}
	units := f.engine.Units()
	now := f.engine.Now()
	dept := units.Name(t.DepartmentID)
	out, err := f.toFiler(ctx, t,
		fmt.Sprintf("你的建议 #%d 有了答复（%s）：\n%s", t.ID, dept, text),
		fmt.Sprintf("匿名建议 #%d 有了答复（%s）：\n%s", t.ID, dept, text))
	if err != nil {
		return "", err
	}
	ack := fmt.Sprintf("已答复建议 #%d，答复已发给提建议人。", t.ID)
	if t.Anonymous {
		ack = fmt.Sprintf("已答复建议 #%d，答复已发给提建议人（匿名，不显示身份）。", t.ID)
	}
	err = f.respond(ctx, c, t.ID, now, "answer", text, out, ack, ackChat, answered)
	if err != nil {
		return "", fmt.Errorf("answer ticket %d: %w", t.ID, err)
	}
	f.log.Info("ticket answered", "ticket", t.ID, "department", dept)
	return ack, nil
}

// respond records a staff response (an answer, a close) to ticket id in one
// transaction: change gives the ticket after the response (see answered and
// closed), the event is logged, out goes to the filer (keyed by the event,
// so it is never queued twice) and ack to the caller's chat ackChat (0:
// none, for a caller outside a chat).
func (f *Feature) respond(ctx context.Context, c bot.Caller, id int64, now time.Time, kind, text string, out bot.Outgoing, ack string, ackChat int64, change func(Ticket, time.Time) Ticket) error {
	return f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		cur, err := tx.Ticket(id)
		if err != nil {
			return err
		}
		cur = change(cur, now)
		if err := tx.SaveTicket(cur); err != nil {
			return err
		}
		ev, err := tx.AddTicketEvent(staffEvent(c, cur, kind, text))
		if err != nil {
			return err
		}
		out.IdemKey = fmt.Sprintf("ticket:%d:event:%d", id, ev)
		if err := queue(tx, out); err != nil {
			return err
		}
		if ackChat == 0 {
			return nil
		}
		return queue(tx, bot.Outgoing{ChatID: ackChat, Text: ack})
	})
}

func (f *Feature) close(ctx context.Context, r *bot.Request) error {
	usage := "/close <编号> [理由]"
	n, reason, ok := numberAndText(r)
	if !ok {
		return bot.Errorf("用法：%s", usage)
	}
	ack, err := f.closeTicket(ctx, r.Caller, n, reason, usage, r.Chat.ID)
	if errors.Is(err, errClosedAlready) {
		return r.Reply(ctx, ack)
	}
	return err
}

// errClosedAlready is closeTicket's answer for a ticket closed before: not a
// failure, the acknowledgement says so.
var errClosedAlready = errors.New("ticket closed already")

// closeTicket closes ticket n as c, with a reason (required when it was
// never answered): the filer is told, the acknowledgement (returned) also
// goes to ackChat unless it is 0.
func (f *Feature) closeTicket(ctx context.Context, c bot.Caller, n int64, reason, usage string, ackChat int64) (string, error) {
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return "", err
	}
	if t.State == StateClosed {
		return fmt.Sprintf("建议 #%d 已经是关闭状态。", n), errClosedAlready
	}
	evs, err := f.db.TicketEvents(ctx, t.ID)
	if err != nil {
		return "", err
	}
	unanswered := !hasAnswer(evs)
	if unanswered && strings.TrimSpace(reason) == "" {
		return "", bot.Errorf("建议 #%d 还没有答复。未答复就关闭须写明理由（会发给提建议人），例：/close %d 与建议 #3 重复，已合并处理。也可以先 /answer %d 答复再关闭。", n, n, n)
	}
	if reason != "" {
		if err := f.checkText(reason, usage); err != nil {
			return "", err
		}
	}
	now := f.engine.Now()
	dept := f.engine.Units().Name(t.DepartmentID)
	mine, anon := fmt.Sprintf("你的建议 #%d 已办结关闭。如有疑问，请联系工作人员。", t.ID), fmt.Sprintf("匿名建议 #%d 已办结关闭。", t.ID)
	if reason != "" {
		mine = fmt.Sprintf("你的建议 #%d 已关闭（%s），理由：%s\n如有疑问，请联系工作人员。", t.ID, dept, reason)
		anon = fmt.Sprintf("匿名建议 #%d 已关闭（%s），理由：%s", t.ID, dept, reason)
	}
	out, err := f.toFiler(ctx, t, mine, anon)
	if err != nil {
		return "", err
	}
	ack := fmt.Sprintf("已关闭建议 #%d，并通知了提建议人。", t.ID)
	if unanswered {
		ack = fmt.Sprintf("已关闭建议 #%d（未答复，理由已发给提建议人）。该建议在答复统计中计为「未答复关闭」，不算按时答复。", t.ID)
	}
	err = f.respond(ctx, c, t.ID, now, "close", reason, out, ack, ackChat, closed)
	if err != nil {
		return "", fmt.Errorf("close ticket %d: %w", t.ID, err)
	}
	return ack, nil
}

// hasAnswer reports whether a ticket's history has a staff answer.
func hasAnswer(evs []Event) bool {
	for _, e := range evs {
		if e.Kind == "answer" {
			return true
		}
	}
	return false
}

func (f *Feature) reopen(ctx context.Context, r *bot.Request) error {
	n, err := f.staffNumber(r, "/reopen <编号>")
	if err != nil {
		return err
	}
	ack, err := f.reopenTicket(ctx, r.Caller, n, r.Chat.ID)
	if errors.Is(err, errOpenAlready) {
		return r.Reply(ctx, ack)
	}
	return err
}

// errOpenAlready is reopenTicket's answer for a ticket still waiting for an
// answer: not a failure, the acknowledgement says so.
var errOpenAlready = errors.New("ticket open already")

// reopenTicket reopens ticket n as c with a new deadline counted from now:
// the filer is told, the acknowledgement (returned) also goes to ackChat
// unless it is 0.
func (f *Feature) reopenTicket(ctx context.Context, c bot.Caller, n int64, ackChat int64) (string, error) {
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return "", err
	}
	if t.State == StateOpen {
		return fmt.Sprintf("建议 #%d 仍在等待答复，无需重新打开。", n), errOpenAlready
	}
	now := f.engine.Now()
	due, remind := f.deadlines(now)
	dept := f.engine.Units().Name(t.DepartmentID)
	out, err := f.toFiler(ctx, t,
		fmt.Sprintf("你的建议 #%d 已由%s重新打开，将于 %s 前答复。", t.ID, dept, f.longDate(due)),
		fmt.Sprintf("匿名建议 #%d 已由%s重新打开，将于 %s 前答复。", t.ID, dept, f.longDate(due)))
	if err != nil {
		return "", err
	}
	ack := fmt.Sprintf("已重新打开建议 #%d，新的答复期限：%s，已通知提建议人。", t.ID, f.longDate(due))
	err = f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		cur, err := tx.Ticket(t.ID)
		if err != nil {
			return err
		}
		cur = reopened(cur, due, remind)
		if err := tx.SaveTicket(cur); err != nil {
			return err
		}
		ev, err := tx.AddTicketEvent(staffEvent(c, cur, "reopen", "，新期限 "+f.shortDate(due, now)))
		if err != nil {
			return err
		}
		out.IdemKey = fmt.Sprintf("ticket:%d:event:%d", t.ID, ev)
		if ackChat != 0 {
			if err := queue(tx, bot.Outgoing{ChatID: ackChat, Text: ack}); err != nil {
				return err
			}
		}
		return queue(tx, out)
	})
	if err != nil {
		return "", fmt.Errorf("reopen ticket %d: %w", t.ID, err)
	}
	return ack, nil
}

func (f *Feature) assign(ctx context.Context, r *bot.Request) error {
	usage := "/assign <编号> <姓名或工号>"
	n, who, ok := numberAndText(r)
	if !ok || who == "" {
		return bot.Errorf("用法：%s", usage)
	}
	_, err := f.assignTicket(ctx, r.Caller, n, who, r.Chat.ID)
	return err
}

// findStaff finds the staff member named by name or number who may handle
// the department's tickets.
func (f *Feature) findStaff(ctx context.Context, who string, dept int64, units *bot.UnitTree) (bot.RosterEntry, error) {
	var cands []bot.RosterEntry
	if e, err := f.db.RosterByNumber(ctx, who); err == nil {
		cands = append(cands, e)
	} else if !errors.Is(err, bot.ErrNotFound) {
		return bot.RosterEntry{}, err
	}
	if len(cands) == 0 {
		es, err := f.db.RosterByName(ctx, who)
		if err != nil {
			return bot.RosterEntry{}, err
		}
		cands = es
	}
	var ok []bot.RosterEntry
	for _, e := range cands {
		if e.Role == bot.RoleAdmin || e.Role == bot.RoleStaff && units.Contains(e.UnitID, dept) {
			ok = append(ok, e)
		}
	}
	switch {
	case len(cands) == 0:
		return bot.RosterEntry{}, bot.Errorf("花名册中没有「%s」。", summary(who, 20))
	case len(ok) == 0:
		return bot.RosterEntry{}, bot.Errorf("%s 不是%s的工作人员，不能指派。", summary(who, 20), units.Name(dept))
	case len(ok) > 1:
		return bot.RosterEntry{}, bot.Errorf("有 %d 位工作人员叫「%s」，请改用工号指派。", len(ok), who)
	}
	return ok[0], nil
}

func (f *Feature) draft(ctx context.Context, r *bot.Request) error {
	n, err := f.staffNumber(r, "/draft <编号>")
	if err != nil {
		return err
	}
	t, err := f.staffTicket(ctx, r, n)
	if err != nil {
		return err
	}
	f.notePrivate(ctx, r)
	if f.assistant == nil {
		return bot.Errorf("智能助手未启用，请直接用 /answer %d <答复内容> 答复。", n)
	}
	// The draft goes to the asking staff member only: their private chat.
	dest := r.Chat
	if r.Chat.Kind != bot.Private {
		pc, err := f.db.PrivateChat(ctx, r.Caller.Member.ID)
		if err != nil || !r.Capabilities().Private || pc.Platform != r.Chat.Platform {
			return bot.Errorf("草稿只发给你本人：请在与机器人的私聊中发送 /draft %d。", n)
		}
		dest = pc
	}
	evs, err := f.db.TicketEvents(ctx, t.ID)
	if err != nil {
		return err
	}
	var thread []string
	for _, e := range evs {
		switch e.Kind {
		case "followup":
			thread = append(thread, "提建议人补充："+e.Text)
		case "answer":
			thread = append(thread, "答复："+e.Text)
		}
	}
	text, err := f.assistant.Draft(ctx, t.Text, thread)
	if err != nil {
		f.log.Warn("assistant could not draft", "ticket", t.ID, "err", err)
		if ex, ok := f.assistant.(interface{ UserText(error) string }); ok {
			return bot.Errorf("%s 你也可以直接用 /answer %d 答复。", ex.UserText(err), n)
		}
		return bot.Errorf("智能助手暂时无法起草，请稍后再试或直接用 /answer %d 答复。", n)
	}
	if strings.TrimSpace(text) == "" {
		return bot.Errorf("智能助手没有给出草稿，请直接用 /answer %d 答复。", n)
	}
	msg := fmt.Sprintf("建议 #%d 的答复草稿（仅你可见，不会发给提建议人；确认后用 /answer %d <内容> 发送）：\n%s", t.ID, t.ID, text)
	if dest.ID == r.Chat.ID {
		return r.Reply(ctx, msg)
	}
	if _, err := f.engine.Send(ctx, bot.Outgoing{ChatID: dest.ID, Text: msg}); err != nil {
		return err
	}
	return r.Reply(ctx, fmt.Sprintf("建议 #%d 的答复草稿已私信发给你。", t.ID))
}

func (f *Feature) slaCommand(ctx context.Context, r *bot.Request) error {
	rep, err := f.monthReport(ctx, r.Command.ArgText)
	if err != nil {
		return err
	}
	return r.Reply(ctx, rep.Text())
}

// monthReport is the SLA report of a month as people write it (2026-11,
// 11月, 上月; empty: this month), not one still to come.
func (f *Feature) monthReport(ctx context.Context, month string) (*Report, error) {
	now := f.engine.Now().In(f.cal.Location())
	if strings.TrimSpace(month) == "" {
		month = "本月"
	}
	from, err := when.ParseMonth(month, now)
	if err != nil {
		return nil, bot.Errorf("%v", err)
	}
	if from.After(now) {
		return nil, bot.Errorf("%s还没到。", when.Month(from, now))
	}
	return BuildReport(ctx, f.db, f.cal, f.engine.Units(), from, from.AddDate(0, 1, 0), now)
}
