package tickets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The desk: the staff operations of the chat commands (/tickets, /ticket,
// /answer, /close, /reopen) for a staff member acting outside a chat, the
// web console. The scope rules are the chat's (staff act for their
// department and the units below it, admins everywhere), checked here; the
// views carry only what staff may see, so an anonymous ticket's filer is
// in none of them.

// Urgency of an open ticket's deadline, for the queue's colours.
const (
	UrgencyNone    = ""        // answered, or due after today
	UrgencyDueDay  = "dueday"  // due today, not yet overdue
	UrgencyOverdue = "overdue" // unanswered past its deadline
)

// QueueFilter narrows the department queue. Zero values do not filter.
type QueueFilter struct {
	Department int64  // a department in the caller's purview (0: all of it)
	Status     string // 待答复, 已逾期 or 已答复
	Category   string // a category name, or 未分类
	Overdue    bool   // only unanswered tickets past their deadline
}

// QueueItem is one ticket of the queue as staff see it.
type QueueItem struct {
	ID         int64
	Status     string // 待答复, 已逾期, 已答复
	Urgency    string
	Department string
	Category   string
	Filer      string // 匿名 for an anonymous ticket
	Assignee   string
	Summary    string
	Due        string // 11月25日(周三) 17:30
	DueAt      time.Time
	Left       string // 剩余 5 工作小时 / 已逾期 3 工作小时 / 已答复
}

// Queue is the department queue of a caller: tickets not closed, earliest
// deadline first, with the departments and categories it may filter by.
type Queue struct {
	Items       []QueueItem
	Departments []bot.Unit // the departments in the caller's purview
	Categories  []string
	// Truncated: more tickets are open than one page holds (QueueLimit);
	// the queue has those with the earliest deadlines.
	Truncated bool
}

// QueueLimit bounds one page of the queue.
const QueueLimit = 1000

// DeskQueue lists the tickets not closed that c may see as staff, filtered.
func (f *Feature) DeskQueue(ctx context.Context, c bot.Caller, filter QueueFilter) (Queue, error) {
	units := f.engine.Units()
	if err := bot.Require(c, units, bot.RoleStaff, 0); err != nil {
		return Queue{}, err
	}
	var q Queue
	var depts []int64 // nil: every department
	if !c.Admin {
		if c.Roster == nil {
			return q, bot.Errorf("你的花名册身份没有所属部门，无法查看待办。")
		}
		depts = units.Subtree(c.Roster.UnitID)
	}
	for id := range f.departmentIDs(units) {
		if depts == nil || slices.Contains(depts, id) {
			u, _ := units.Get(id)
			q.Departments = append(q.Departments, u)
		}
	}
	slices.SortFunc(q.Departments, func(a, b bot.Unit) int { return int(a.ID - b.ID) })
	for _, cat := range f.cfg.Categories {
		q.Categories = append(q.Categories, cat.Name)
	}
	if filter.Department != 0 {
		if err := bot.Require(c, units, bot.RoleStaff, filter.Department); err != nil {
			return q, err
		}
		depts = units.Subtree(filter.Department)
	}
	ts, err := f.db.OpenTickets(ctx, depts, QueueLimit)
	if err != nil {
		return q, fmt.Errorf("desk queue: %w", err)
	}
	q.Truncated = len(ts) == QueueLimit
	now := f.engine.Now()
	names := map[int64]string{}
	for _, t := range ts {
		it := f.queueItem(ctx, t, now, units, names)
		switch {
		case filter.Status != "" && it.Status != filter.Status,
			filter.Overdue && it.Urgency != UrgencyOverdue,
			filter.Category != "" && filter.Category != categoryName(t):
			continue
		}
		q.Items = append(q.Items, it)
	}
	return q, nil
}

func categoryName(t Ticket) string {
	if t.Category == "" {
		return "未分类"
	}
	return t.Category
}

func (f *Feature) queueItem(ctx context.Context, t Ticket, now time.Time, units *bot.UnitTree, names map[int64]string) QueueItem {
	it := QueueItem{ID: t.ID, Status: stateText(t, now), Department: units.Name(t.DepartmentID), Category: categoryName(t),
		Filer: filerLabel(t, units), Summary: summary(t.Text, 40), Due: f.shortDate(t.DueAt, now), DueAt: t.DueAt}
	if t.AssigneeRosterID != 0 {
		name, ok := names[t.AssigneeRosterID]
		if !ok {
			name = f.rosterName(ctx, t.AssigneeRosterID)
			names[t.AssigneeRosterID] = name
		}
		it.Assignee = name
	}
	it.Urgency, it.Left = f.countdown(t, now)
	return it
}

// countdown is how an open ticket's deadline stands at now: its urgency and
// the working time left (or past) on the official calendar.
func (f *Feature) countdown(t Ticket, now time.Time) (urgency, left string) {
	switch {
	case t.State == StateClosed:
		return UrgencyNone, "已关闭"
	case t.State == StateAnswered:
		return UrgencyNone, "已答复"
	case now.After(t.DueAt):
		return UrgencyOverdue, "已逾期 " + workHours(f.cal.BusinessDuration(t.DueAt, now))
	}
	left = "剩余 " + workHours(f.cal.BusinessDuration(now, t.DueAt))
	ny, nm, nd := now.In(f.cal.Location()).Date()
	dy, dm, dd := t.DueAt.In(f.cal.Location()).Date()
	if ny == dy && nm == dm && nd == dd {
		return UrgencyDueDay, left
	}
	return UrgencyNone, left
}

// workHours writes a business duration: 5 工作小时 30 分, 40 分钟.
func workHours(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d 分钟", m)
	case m == 0:
		return fmt.Sprintf("%d 工作小时", h)
	}
	return fmt.Sprintf("%d 工作小时 %d 分", h, m)
}

// TicketView is one ticket with its whole history as staff see it.
type TicketView struct {
	QueueItem
	Open          bool // waiting for an answer or answered, not closed
	Answered      bool // has a staff answer
	Text          string
	Filed         string
	FirstResponse string
	History       []HistoryLine
}

// HistoryLine is one entry of a ticket's history.
type HistoryLine struct {
	At   string
	Text string
}

// DeskTicket is ticket n with its history, if c may act on it as staff.
func (f *Feature) DeskTicket(ctx context.Context, c bot.Caller, n int64) (TicketView, error) {
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return TicketView{}, err
	}
	evs, err := f.db.TicketEvents(ctx, t.ID)
	if err != nil {
		return TicketView{}, fmt.Errorf("history of ticket %d: %w", t.ID, err)
	}
	now := f.engine.Now()
	units := f.engine.Units()
	v := TicketView{QueueItem: f.queueItem(ctx, t, now, units, map[int64]string{}), Open: t.State != StateClosed,
		Answered: hasAnswer(evs), Text: t.Text, Filed: f.shortDate(t.CreatedAt, now)}
	v.Category = categoryLabel(t)
	if t.State == StateClosed {
		v.Status = "已关闭"
	}
	if !t.FirstResponseAt.IsZero() {
		v.FirstResponse = f.shortDate(t.FirstResponseAt, now)
	}
	for _, e := range evs {
		if text := eventText(e); text != "" {
			v.History = append(v.History, HistoryLine{At: f.shortDate(e.At, now), Text: text})
		}
	}
	return v, nil
}

// DeskAnswer answers ticket n as c, exactly as /answer does: the answer
// reaches the filer through the outbox. It returns the acknowledgement.
func (f *Feature) DeskAnswer(ctx context.Context, c bot.Caller, n int64, text string) (string, error) {
	return f.answerTicket(ctx, c, n, text, "答复内容", 0)
}

// DeskClose closes ticket n as c, exactly as /close does (a ticket never
// answered needs a reason). It returns the acknowledgement.
func (f *Feature) DeskClose(ctx context.Context, c bot.Caller, n int64, reason string) (string, error) {
	ack, err := f.closeTicket(ctx, c, n, reason, "关闭理由", 0)
	if errors.Is(err, errClosedAlready) {
		return ack, nil
	}
	return ack, err
}

// DeskReopen reopens ticket n as c, exactly as /reopen does. It returns the
// acknowledgement.
func (f *Feature) DeskReopen(ctx context.Context, c bot.Caller, n int64) (string, error) {
	ack, err := f.reopenTicket(ctx, c, n, 0)
	if errors.Is(err, errOpenAlready) {
		return ack, nil
	}
	return ack, err
}

// DeskReport is the monthly SLA report as /sla gives it (every department;
// staff and admins), for a month as people write it (empty: this month).
func (f *Feature) DeskReport(ctx context.Context, c bot.Caller, month string) (*Report, error) {
	if err := bot.Require(c, f.engine.Units(), bot.RoleStaff, 0); err != nil {
		return nil, err
	}
	return f.monthReport(ctx, month)
}

// OnTimeRate is the share of filed tickets first answered by their deadline
// (0 when none were filed).
func (d DepartmentStats) OnTimeRate() float64 {
	if d.Filed == 0 {
		return 0
	}
	return float64(d.OnTime) / float64(d.Filed)
}

// OnTimeText is the on-time rate as the report writes it (85%, or - when
// nothing was filed).
func (d DepartmentStats) OnTimeText() string { return d.onTimeRate() }

// MedianText is the median first response as the report writes it.
func (d DepartmentStats) MedianText() string { return d.medianText() }
