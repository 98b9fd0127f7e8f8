package tickets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// suggest is /suggest <内容>.
func (f *Feature) suggest(ctx context.Context, r *bot.Request) error {
	return f.file(ctx, r, strings.TrimSpace(r.Command.ArgText), false)
}

// suggestAnon is /suggest -a <内容> (匿名建议).
func (f *Feature) suggestAnon(ctx context.Context, r *bot.Request) error {
	return f.file(ctx, r, strings.TrimSpace(r.Command.ArgText), true)
}

// route picks the category and department by the configured keywords.
func (f *Feature) route(text string, units *bot.UnitTree) (category, keyword string, dept int64) {
	lower := strings.ToLower(text)
	for _, c := range f.cfg.Categories {
		for _, k := range c.Keywords {
			if strings.Contains(lower, strings.ToLower(k)) {
				if u, ok := units.ByName(c.Department); ok {
					return c.Name, k, u.ID
				}
			}
		}
	}
	return "", "", f.defaultDepartment(units)
}

func (f *Feature) defaultDepartment(units *bot.UnitTree) int64 {
	if u, ok := units.ByName(f.cfg.DefaultDepartment); ok {
		return u.ID
	}
	if all := units.All(); len(all) > 0 {
		return all[0].ID
	}
	return 0
}

func (f *Feature) file(ctx context.Context, r *bot.Request, text string, anonymous bool) error {
	usage := "/suggest <内容>，匿名请用 /suggest -a <内容>"
	if err := f.checkText(text, usage); err != nil {
		return err
	}
	f.notePrivate(ctx, r)
	units := r.Units()
	now := r.Now()
	// Filed when the member sent it: the deadline counts from then.
	filed := r.At()
	due, remind := f.deadlines(filed)
	category, keyword, dept := f.route(text, units)
	if dept == 0 {
		return bot.Errorf("尚未配置受理建议的部门，请联系管理员。")
	}
	t := Ticket{
		FilerMemberID: r.Caller.Member.ID, Anonymous: anonymous, ChatID: r.Chat.ID, Text: text,
		Category: category, Keyword: keyword, DepartmentID: dept, DecidedBy: DecidedByKeywords,
		State: StateOpen, CreatedAt: filed, FirstDueAt: due, DueAt: due, RemindAt: remind,
	}
	if r.Caller.Roster != nil {
		t.FilerRosterID = r.Caller.Roster.ID
	}
	if !anonymous {
		t.FilerName = r.Caller.Name()
		if r.Caller.Roster != nil {
			t.FilerUnitID = r.Caller.Roster.UnitID
		}
	}
	if f.assistant == nil {
		t.RoutedAt = now // keywords decide at once
	}
	err := f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		var err error
		if t, err = tx.InsertTicket(t); err != nil {
			return err
		}
		if _, err := tx.AddTicketEvent(Event{TicketID: t.ID, Kind: "filed", ByFiler: true, Text: text}); err != nil {
			return err
		}
		if err := queue(tx, f.fileAck(ctx, r, t)); err != nil {
			return err
		}
		if !t.RoutedAt.IsZero() {
			return f.announceNew(ctx, tx, t, units)
		}
		return nil
	})
	if err != nil {
		if anonymous {
			// Keep the filer out of the engine's log line (it names the chat).
			f.log.Error("file anonymous ticket", "err", err)
			return bot.Errorf("处理命令时出错了，已记录。请稍后再试或联系管理员。")
		}
		return fmt.Errorf("file ticket: %w", err)
	}
	if t.RoutedAt.IsZero() {
		f.log.Info("ticket filed", "ticket", t.ID, "anonymous", anonymous)
		f.routeTicket(ctx, t.ID, now)
	} else {
		f.log.Info("ticket filed", "ticket", t.ID, "department", units.Name(dept), "anonymous", anonymous)
	}
	return nil
}

// fileAck is the acknowledgement to the filer, queued with the ticket.
func (f *Feature) fileAck(ctx context.Context, r *bot.Request, t Ticket) bot.Outgoing {
	out := bot.Outgoing{ChatID: r.Chat.ID}
	if !t.Anonymous {
		out.Text = fmt.Sprintf("已收到建议 #%d，将于 %s 前答复。发送 /mytickets 查看进度。", t.ID, f.longDate(t.DueAt))
		if r.Chat.Kind == bot.Group {
			out.MentionMember = r.Caller.Member.ID
		}
		return out
	}
	lines := []string{fmt.Sprintf("已收到匿名建议 #%d，将于 %s 前答复。工作人员看不到提交人。", t.ID, f.longDate(t.DueAt))}
	if r.Chat.Kind == bot.Group {
		if r.Capabilities().Private {
			if _, err := f.db.PrivateChat(ctx, r.Caller.Member.ID); err == nil {
				lines = append(lines, "答复将私信发给你。")
			} else {
				lines = append(lines, "请先私聊机器人一次（例如发送 /mytickets），答复才能私信发给你；否则答复将发在本群，不会提到任何人。")
			}
		} else {
			lines = append(lines, "答复将发在本群，不会提到任何人。")
		}
		lines = append(lines, "提示：在群里发送时群成员仍能看到是谁发的；想完全匿名，请私聊机器人提交。")
	}
	out.Text = strings.Join(lines, "\n")
	return out
}

// announceNew tells the department's staff chats about a new ticket.
func (f *Feature) announceNew(ctx context.Context, tx Tx, t Ticket, units *bot.UnitTree) error {
	chats, err := f.departmentChats(ctx, t.DepartmentID)
	if err != nil {
		return err
	}
	if len(chats) == 0 {
		f.log.Warn("department has no bound group chat; the ticket is listed by /tickets only",
			"ticket", t.ID, "department", units.Name(t.DepartmentID))
		return nil
	}
	text := strings.Join([]string{
		fmt.Sprintf("新建议 #%d · %s", t.ID, categoryLabel(t)),
		"提交人：" + filerLabel(t, units),
		"内容：" + t.Text,
		"答复期限：" + f.longDate(t.DueAt),
		fmt.Sprintf("答复请发送 /answer %d <答复内容>", t.ID),
	}, "\n")
	for _, c := range chats {
		if err := queue(tx, bot.Outgoing{ChatID: c.ID, Text: text, IdemKey: fmt.Sprintf("ticket:%d:new:%d", t.ID, c.ID)}); err != nil {
			return err
		}
	}
	return nil
}

// routeTicket lets the assistant classify a ticket whose department was not
// told yet, then tells the department. Keyword rules decide when there is no
// assistant, when it fails, or when it answers with an unknown category.
func (f *Feature) routeTicket(ctx context.Context, id int64, now time.Time) {
	t, err := f.db.Ticket(ctx, id)
	if err != nil || !t.RoutedAt.IsZero() {
		return
	}
	units := f.engine.Units()
	category, dept, decided := t.Category, t.DepartmentID, DecidedByKeywords
	keyword := t.Keyword
	if f.assistant != nil {
		names := make([]string, len(f.cfg.Categories))
		for i, c := range f.cfg.Categories {
			names[i] = c.Name
		}
		got, err := f.assistant.Classify(ctx, t.Text, names)
		switch {
		case err != nil:
			f.log.Warn("assistant could not classify; keyword rules decide", "ticket", id, "err", err)
		default:
			for _, c := range f.cfg.Categories {
				if c.Name == strings.TrimSpace(got) {
					if u, ok := units.ByName(c.Department); ok {
						category, dept, decided, keyword = c.Name, u.ID, DecidedByLLM, ""
					}
				}
			}
			if decided != DecidedByLLM {
				f.log.Info("assistant answered no known category; keyword rules decide", "ticket", id)
			}
		}
	}
	err = f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		t, err := tx.Ticket(id)
		if err != nil || !t.RoutedAt.IsZero() {
			return err
		}
		t.Category, t.Keyword, t.DepartmentID, t.DecidedBy, t.RoutedAt = category, keyword, dept, decided, now
		if err := tx.SaveTicket(t); err != nil {
			return err
		}
		return f.announceNew(ctx, tx, t, units)
	})
	if err != nil {
		f.log.Error("route ticket", "ticket", id, "err", err)
		return
	}
	f.log.Info("ticket routed", "ticket", id, "department", units.Name(dept), "decided_by", decided)
}

// ownTicket loads a ticket of the caller; another member's ticket looks the
// same as one that does not exist.
func (f *Feature) ownTicket(ctx context.Context, r *bot.Request, n int64) (Ticket, error) {
	t, err := f.db.Ticket(ctx, n)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return t, fmt.Errorf("load ticket %d: %w", n, err)
	}
	own := err == nil && (t.FilerMemberID == r.Caller.Member.ID ||
		(t.FilerRosterID != 0 && r.Caller.Roster != nil && t.FilerRosterID == r.Caller.Roster.ID))
	if !own {
		return Ticket{}, notYours(r, n)
	}
	return t, nil
}

// notYours is the answer about a ticket that is not the caller's. In a
// group it is also the answer about the caller's own anonymous ticket, so
// that the group cannot tell the two apart.
func notYours(r *bot.Request, n int64) error {
	if r.Chat.Kind == bot.Group {
		return bot.Errorf("没有找到你的建议 #%d。发送 /mytickets 查看你提过的建议；匿名建议只能在与机器人的私聊中查看和补充。", n)
	}
	return bot.Errorf("没有找到你的建议 #%d。发送 /mytickets 查看你提过的建议。", n)
}

// ownTicketHere loads the caller's ticket for use in the request's chat. In
// a group an anonymous ticket is answered as if it were not the caller's
// (the group must not learn whose it is); what the caller asked for is
// not done, and they are told privately where the platform allows it.
func (f *Feature) ownTicketHere(ctx context.Context, r *bot.Request, n int64, what string) (Ticket, error) {
	t, err := f.ownTicket(ctx, r, n)
	if err != nil || !t.Anonymous || r.Chat.Kind != bot.Group {
		return t, err
	}
	if pc, err := f.db.PrivateChat(ctx, r.Caller.Member.ID); err == nil && r.Capabilities().Private && pc.Platform == r.Chat.Platform {
		text := fmt.Sprintf("为保护你的匿名身份，你在群里发送的%s（匿名建议 #%d）没有处理，群里的回答与别人的建议相同。请在这里重新发送。", what, n)
		if _, err := f.engine.Send(ctx, bot.Outgoing{ChatID: pc.ID, Text: text}); err != nil {
			return Ticket{}, err
		}
	}
	return Ticket{}, notYours(r, n)
}

func (f *Feature) mytickets(ctx context.Context, r *bot.Request) error {
	f.notePrivate(ctx, r)
	now := r.Now()
	units := r.Units()
	if len(r.Command.Args) > 0 {
		n, ok := parseNumber(r.Command.Args[0])
		if !ok {
			return bot.Errorf("建议编号应为数字，例如 /mytickets 3")
		}
		t, err := f.ownTicketHere(ctx, r, n, "查看请求")
		if err != nil {
			return err
		}
		evs, err := f.db.TicketEvents(ctx, t.ID)
		if err != nil {
			return err
		}
		label := "建议"
		if t.Anonymous {
			label = "匿名建议"
		}
		lines := []string{
			fmt.Sprintf("%s #%d · %s · %s负责", label, t.ID, stateText(t, now), units.Name(t.DepartmentID)),
			"提交于 " + f.shortDate(t.CreatedAt, now) + "，答复期限 " + f.shortDate(t.DueAt, now),
			"内容：" + t.Text,
		}
		for _, e := range evs {
			switch e.Kind {
			case "followup":
				lines = append(lines, fmt.Sprintf("%s 你补充：%s", f.shortDate(e.At, now), e.Text))
			case "answer":
				lines = append(lines, fmt.Sprintf("%s %s答复：%s", f.shortDate(e.At, now), units.Name(t.DepartmentID), e.Text))
			case "close":
				l := fmt.Sprintf("%s 已关闭", f.shortDate(e.At, now))
				if e.Text != "" {
					l += "，理由：" + e.Text
				}
				lines = append(lines, l)
			case "reopen":
				lines = append(lines, fmt.Sprintf("%s 已重新打开", f.shortDate(e.At, now)))
			}
		}
		return r.Reply(ctx, strings.Join(lines, "\n"))
	}
	var rosterID int64
	if r.Caller.Roster != nil {
		rosterID = r.Caller.Roster.ID
	}
	ts, err := f.db.TicketsOfFiler(ctx, r.Caller.Member.ID, rosterID, 20)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return r.Reply(ctx, "你还没有提过建议。发送 /suggest <内容> 提建议。")
	}
	hidden := 0
	lines := []string{"你的建议（最近 20 条）："}
	for _, t := range ts {
		anon := ""
		if t.Anonymous {
			if r.Chat.Kind == bot.Group {
				hidden++ // listing it here would tell the group whose it is
				continue
			}
			anon = "匿名 · "
		}
		lines = append(lines, fmt.Sprintf("#%d %s · %s答复期限 %s · %s", t.ID, stateText(t, now), anon, f.shortDate(t.DueAt, now), summary(t.Text, 20)))
	}
	if hidden > 0 {
		lines = append(lines, fmt.Sprintf("另有 %d 条匿名建议，请私聊机器人查看。", hidden))
	}
	lines = append(lines, "发送 /mytickets <编号> 查看答复和全部记录。")
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

func (f *Feature) followup(ctx context.Context, r *bot.Request) error {
	usage := "/followup <编号> <内容>，例：/followup 3 三楼也有同样的问题"
	n, text, ok := numberAndText(r)
	if !ok {
		return bot.Errorf("用法：%s", usage)
	}
	if err := f.checkText(text, usage); err != nil {
		return err
	}
	f.notePrivate(ctx, r)
	t, err := f.ownTicketHere(ctx, r, n, "补充")
	if err != nil {
		return err
	}
	if t.State == StateClosed {
		return bot.Errorf("建议 #%d 已关闭，不能再补充。如有新的问题，请重新提建议。", n)
	}
	units := r.Units()
	now := r.Now()
	chats, err := f.departmentChats(ctx, t.DepartmentID)
	if err != nil {
		return err
	}
	who := "提建议人"
	if !t.Anonymous {
		who = t.FilerName
	}
	err = f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		id, err := tx.AddTicketEvent(Event{TicketID: t.ID, Kind: "followup", ByFiler: true, Text: text})
		if err != nil {
			return err
		}
		note := fmt.Sprintf("建议 #%d 有补充（%s）：%s", t.ID, who, text)
		if t.State == StateAnswered {
			note += fmt.Sprintf("\n该建议已答复；如需继续处理，请发送 /reopen %d", t.ID)
		}
		for _, c := range chats {
			if err := queue(tx, bot.Outgoing{ChatID: c.ID, Text: note, IdemKey: fmt.Sprintf("ticket:%d:event:%d:%d", t.ID, id, c.ID)}); err != nil {
				return err
			}
		}
		ack := bot.Outgoing{ChatID: r.Chat.ID, Text: fmt.Sprintf("已补充到建议 #%d，已转给%s。", t.ID, units.Name(t.DepartmentID))}
		if !t.Anonymous && r.Chat.Kind == bot.Group {
			ack.MentionMember = r.Caller.Member.ID
		}
		return queue(tx, ack)
	})
	if err != nil {
		if t.Anonymous {
			f.log.Error("follow up anonymous ticket", "ticket", t.ID, "err", err)
			return bot.Errorf("处理命令时出错了，已记录。请稍后再试或联系管理员。")
		}
		return fmt.Errorf("follow up ticket %d: %w", t.ID, err)
	}
	return nil
}

// toFiler addresses a message about a ticket to its filer, where they filed:
// a group reply naming them, or the private chat they filed in. For an
// anonymous ticket filed in a group it is a private message where the
// platform allows one and the member's private chat is known, else a group
// message that names no one.
func (f *Feature) toFiler(ctx context.Context, t Ticket, text, anonText string) (bot.Outgoing, error) {
	chat, err := f.db.Chat(ctx, t.ChatID)
	if err != nil {
		return bot.Outgoing{}, fmt.Errorf("chat of ticket %d: %w", t.ID, err)
	}
	private := func() (bot.Chat, bool) {
		if !f.engine.Capabilities(chat.Platform).Private {
			return bot.Chat{}, false
		}
		pc, err := f.db.PrivateChat(ctx, t.FilerMemberID)
		if err != nil || pc.Platform != chat.Platform {
			return bot.Chat{}, false
		}
		return pc, true
	}
	if chat.Kind == bot.Private {
		return bot.Outgoing{ChatID: chat.ID, Text: text}, nil
	}
	if !t.Anonymous {
		if !chat.Active {
			if pc, ok := private(); ok {
				return bot.Outgoing{ChatID: pc.ID, Text: text}, nil
			}
		}
		return bot.Outgoing{ChatID: chat.ID, Text: text, MentionMember: t.FilerMemberID}, nil
	}
	if pc, ok := private(); ok {
		return bot.Outgoing{ChatID: pc.ID, Text: text}, nil
	}
	return bot.Outgoing{ChatID: chat.ID, Text: anonText}, nil
}
