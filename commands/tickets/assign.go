package tickets

import (
	"context"
	"fmt"

	"github.com/branchbot/branchbot/bot"
)

// Assigning a ticket to a staff member of its department: /assign in a
// chat, the assign form of the web console (DeskAssign). Both go through
// assignTicket, so the rules and the notices are the same.

// assignTicket assigns ticket n as c to the staff member named by who (a
// name or a 工号): the department's groups are told (the assignee
// mentioned where linked on that platform), and the assignee's private
// chats when no group reaches them by mention. The acknowledgement
// (returned) also goes to ackChat unless it is 0.
func (f *Feature) assignTicket(ctx context.Context, c bot.Caller, n int64, who string, ackChat int64) (string, error) {
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return "", err
	}
	if t.State == StateClosed {
		return "", bot.Errorf("建议 #%d 已关闭，不能指派。", n)
	}
	staff, err := f.findStaff(ctx, who, t.DepartmentID, f.engine.Units())
	if err != nil {
		return "", err
	}
	now := f.engine.Now()
	chats, err := f.departmentChats(ctx, t.DepartmentID)
	if err != nil {
		return "", err
	}
	members, err := f.db.MembersOfRoster(ctx, staff.ID)
	if err != nil {
		return "", err
	}
	private, err := f.db.PrivateChatsOf(ctx, members)
	if err != nil {
		return "", err
	}
	ack := fmt.Sprintf("已把建议 #%d 指派给 %s。", t.ID, staff.Name)
	err = f.db.UpdateTickets(ctx, now, func(tx Tx) error {
		cur, err := tx.Ticket(t.ID)
		if err != nil {
			return err
		}
		cur.AssigneeRosterID = staff.ID
		if err := tx.SaveTicket(cur); err != nil {
			return err
		}
		id, err := tx.AddTicketEvent(staffEvent(c, cur, "assign", staff.Name))
		if err != nil {
			return err
		}
		if ackChat != 0 {
			if err := queue(tx, bot.Outgoing{ChatID: ackChat, Text: ack}); err != nil {
				return err
			}
		}
		mentioned := false
		for _, ch := range chats {
			if ch.ID == ackChat {
				continue
			}
			out := bot.Outgoing{ChatID: ch.ID, Text: fmt.Sprintf("建议 #%d 已指派给 %s，答复期限 %s。", t.ID, staff.Name, f.longDate(cur.DueAt)),
				IdemKey: fmt.Sprintf("ticket:%d:event:%d:%d", t.ID, id, ch.ID)}
			for _, m := range members {
				if m.Platform == ch.Platform {
					out.MentionMember = m.ID
					out.Text = fmt.Sprintf("建议 #%d 已指派给你，答复期限 %s。", t.ID, f.longDate(cur.DueAt))
					mentioned = true
					break
				}
			}
			if err := queue(tx, out); err != nil {
				return err
			}
		}
		if mentioned {
			return nil
		}
		// No department group names them: tell them privately where the
		// bot has a private chat with them.
		for _, pc := range private {
			if pc.ID == ackChat {
				continue
			}
			out := bot.Outgoing{ChatID: pc.ID, Text: fmt.Sprintf("建议 #%d（%s）已指派给你，答复期限 %s。发送 /ticket %d 查看。",
				t.ID, f.engine.Units().Name(t.DepartmentID), f.longDate(cur.DueAt), t.ID),
				IdemKey: fmt.Sprintf("ticket:%d:event:%d:p%d", t.ID, id, pc.ID)}
			if err := queue(tx, out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("assign ticket %d: %w", t.ID, err)
	}
	f.log.Info("ticket assigned", "ticket", t.ID, "assignee", staff.ID)
	return ack, nil
}

// Assignee is a staff member a ticket may be assigned to.
type Assignee struct {
	Number string
	Name   string
	Title  string
}

// DeskAssignees lists the people ticket n may be assigned to, if c may act
// on it: staff of its department or a unit above it, and admins there.
func (f *Feature) DeskAssignees(ctx context.Context, c bot.Caller, n int64) ([]Assignee, error) {
	t, err := f.callerTicket(ctx, c, n)
	if err != nil {
		return nil, err
	}
	units := f.engine.Units()
	ids := append([]int64{t.DepartmentID}, units.Ancestors(t.DepartmentID)...)
	es, err := f.db.RosterOfUnits(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("staff of department %d: %w", t.DepartmentID, err)
	}
	var out []Assignee
	for _, e := range es {
		if e.Role == bot.RoleAdmin || e.Role == bot.RoleStaff {
			out = append(out, Assignee{Number: e.Number, Name: e.Name, Title: e.Describe(units)})
		}
	}
	return out, nil
}

// DeskAssign assigns ticket n as c to the staff member with the 工号
// number, exactly as /assign does. It returns the acknowledgement.
func (f *Feature) DeskAssign(ctx context.Context, c bot.Caller, n int64, number string) (string, error) {
	if number == "" {
		return "", bot.Errorf("请选择要指派的工作人员。")
	}
	return f.assignTicket(ctx, c, n, number, 0)
}
