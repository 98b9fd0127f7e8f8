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

// Tick does the timed work, all of it derived from the database: routing
// tickets the assistant did not get to, the due-day reminders and the
// escalations of overdue tickets.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	unrouted, err := f.db.UnroutedTickets(ctx, now.Add(-routeGrace))
	if err != nil {
		return err
	}
	for _, t := range unrouted {
		f.routeTicket(ctx, t.ID, now)
	}
	return errors.Join(f.remind(ctx, now), f.escalate(ctx, now))
}

// remind sends, on the morning of the due day, one message per department
// listing its tickets due today that still wait for an answer.
func (f *Feature) remind(ctx context.Context, now time.Time) error {
	listed, err := f.db.TicketsToRemind(ctx, now, now)
	if err != nil {
		return fmt.Errorf("tickets to remind: %w", err)
	}
	var ts []Ticket
	for _, t := range listed {
		if remindDue(t, now) {
			ts = append(ts, t)
		}
	}
	units := f.engine.Units()
	var errs []error
	for _, group := range groupBy(ts, func(t Ticket) int64 { return t.DepartmentID }) {
		dept := group[0].DepartmentID
		chats, err := f.departmentChats(ctx, dept)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(chats) == 0 {
			f.log.Warn("reminder has no department chat; marking it done", "department", units.Name(dept), "tickets", len(group))
		}
		day := now.In(f.cal.Location()).Format(time.DateOnly)
		err = f.db.UpdateTickets(ctx, now, func(tx Tx) error {
			lines := []string{fmt.Sprintf("今日到期提醒（%s）：以下建议今天需要答复", units.Name(dept))}
			for _, t := range group {
				// Re-read inside the transaction: an answer may have come in.
				cur, err := tx.Ticket(t.ID)
				if err != nil {
					return err
				}
				if !remindDue(cur, now) {
					continue
				}
				cur.RemindedAt = now
				if err := tx.SaveTicket(cur); err != nil {
					return err
				}
				if _, err := tx.AddTicketEvent(Event{TicketID: t.ID, Kind: "remind"}); err != nil {
					return err
				}
				line := fmt.Sprintf("#%d %s 截止 · %s", cur.ID, cur.DueAt.In(f.cal.Location()).Format("15:04"), summary(cur.Text, 30))
				if name := f.rosterName(ctx, cur.AssigneeRosterID); name != "" {
					line += " · 指派：" + name
				}
				lines = append(lines, line)
			}
			if len(lines) == 1 {
				return nil
			}
			lines = append(lines, "答复请发送 /answer <编号> <答复内容>")
			for _, c := range chats {
				key := fmt.Sprintf("tickets:remind:%d:%s:%d", c.ID, day, group[0].ID)
				if err := queue(tx, bot.Outgoing{ChatID: c.ID, Text: strings.Join(lines, "\n"), IdemKey: key}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s: %w", units.Name(dept), err))
		}
	}
	return errors.Join(errs...)
}

// escalate reports each overdue unanswered ticket, once, to the supervisor
// chat (or, when none is configured or found, to the chats of the
// department's nearest parent unit that has one), saying how late it is.
func (f *Feature) escalate(ctx context.Context, now time.Time) error {
	listed, err := f.db.TicketsToEscalate(ctx, escalateBefore(now, f.cfg.EscalateAfter))
	if err != nil {
		return fmt.Errorf("tickets to escalate: %w", err)
	}
	var ts []Ticket
	for _, t := range listed {
		if escalationDue(t, now, f.cfg.EscalateAfter) {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	units := f.engine.Units()
	var supervisors []bot.Chat
	if f.cfg.SupervisorChat != "" {
		if supervisors, err = f.db.ActiveGroupsByTitle(ctx, f.cfg.SupervisorChat); err != nil {
			return err
		}
	}
	// Group the tickets by where they go.
	type batch struct {
		chats   []bot.Chat
		tickets []Ticket
	}
	var order []string
	batches := map[string]*batch{}
	for _, t := range ts {
		dest := supervisors
		if len(dest) == 0 {
			for _, up := range units.Ancestors(t.DepartmentID) {
				if dest, err = f.departmentChats(ctx, up); err != nil {
					return err
				}
				if len(dest) > 0 {
					break
				}
			}
		}
		if len(dest) == 0 {
			f.mu.Lock()
			warned := f.warnedDest[t.ID]
			f.warnedDest[t.ID] = true
			f.mu.Unlock()
			if !warned {
				f.log.Warn("overdue ticket has nowhere to be escalated: set sla.supervisor_chat to a group the bot is in",
					"ticket", t.ID, "department", units.Name(t.DepartmentID))
			}
			continue
		}
		ids := make([]string, len(dest))
		for i, c := range dest {
			ids[i] = fmt.Sprint(c.ID)
		}
		key := strings.Join(ids, ",")
		if batches[key] == nil {
			batches[key] = &batch{chats: dest}
			order = append(order, key)
		}
		batches[key].tickets = append(batches[key].tickets, t)
	}
	var errs []error
	for _, key := range order {
		b := batches[key]
		err := f.db.UpdateTickets(ctx, now, func(tx Tx) error {
			lines := []string{"逾期督办：以下建议已超过答复期限，仍未答复"}
			for _, t := range b.tickets {
				cur, err := tx.Ticket(t.ID)
				if err != nil {
					return err
				}
				if !escalationDue(cur, now, f.cfg.EscalateAfter) {
					continue
				}
				late := when.Span(now.Sub(cur.DueAt), when.DayAsDay)
				cur.EscalatedAt = now
				if err := tx.SaveTicket(cur); err != nil {
					return err
				}
				if _, err := tx.AddTicketEvent(Event{TicketID: t.ID, Kind: "escalate", Text: "已逾期 " + late}); err != nil {
					return err
				}
				lines = append(lines, fmt.Sprintf("#%d %s · %s · 期限 %s · 已逾期 %s", t.ID, units.Name(cur.DepartmentID),
					categoryOrNone(cur), f.shortDate(cur.DueAt, now), late))
			}
			if len(lines) == 1 {
				return nil
			}
			for _, c := range b.chats {
				k := fmt.Sprintf("tickets:escalate:%d:%d:%d", c.ID, b.tickets[0].ID, now.UnixMilli())
				if err := queue(tx, bot.Outgoing{ChatID: c.ID, Text: strings.Join(lines, "\n"), IdemKey: k}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("escalate: %w", err))
			continue
		}
		for _, t := range b.tickets {
			f.log.Info("ticket escalated", "ticket", t.ID, "department", units.Name(t.DepartmentID), "late", now.Sub(t.DueAt).Round(time.Minute))
		}
	}
	return errors.Join(errs...)
}

func categoryOrNone(t Ticket) string {
	if t.Category == "" {
		return "未分类"
	}
	return t.Category
}

// groupBy splits items into runs with the same key, keeping first-seen order.
func groupBy[T any](items []T, key func(T) int64) [][]T {
	var keys []int64
	m := map[int64][]T{}
	for _, it := range items {
		k := key(it)
		if _, ok := m[k]; !ok {
			keys = append(keys, k)
		}
		m[k] = append(m[k], it)
	}
	out := make([][]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
