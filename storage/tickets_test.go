package storage

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/commands/tickets"
)

// A member's tickets are those filed under the member or under the roster
// entry linked to them, newest first, at most the limit; the open tickets
// of departments are the open and answered ones, by deadline, at most the
// limit.
func TestTicketListsAcrossTheirIndexes(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	unit := testUnit(t, db)
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "部门"}}); err != nil {
		t.Fatal(err)
	}
	us, _ := db.Units(ctx)
	depts := []int64{us[0].ID, us[1].ID}
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "1", UnitID: unit}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, _ := db.RosterByNumber(ctx, "1")
	tg, _ := db.EnsureMember(ctx, "telegram", "7", "张三")
	wx, _ := db.EnsureMember(ctx, "wechat", "g/张三", "张三")
	other, _ := db.EnsureMember(ctx, "telegram", "8", "李四")
	chat, _ := db.EnsureChat(ctx, "telegram", "-1", bot.Group, "群")
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	type filed struct {
		member, roster int64
		state          tickets.State
		due            int // days after base
	}
	var ids []int64
	for i, f := range []filed{
		{tg.ID, 0, tickets.StateOpen, 9}, {wx.ID, r.ID, tickets.StateAnswered, 3}, {other.ID, 0, tickets.StateOpen, 1},
		{tg.ID, r.ID, tickets.StateClosed, 2}, {wx.ID, r.ID, tickets.StateOpen, 5}, {other.ID, 0, tickets.StateAnswered, 4},
		{tg.ID, 0, tickets.StateAnswered, 7},
	} {
		err := db.Update(ctx, base, func(tx *Tx) error {
			tk, err := tx.InsertTicket(tickets.Ticket{FilerMemberID: f.member, FilerRosterID: f.roster, ChatID: chat.ID, Text: "建议",
				DepartmentID: depts[i%2], DecidedBy: "keywords", State: f.state, CreatedAt: base,
				FirstDueAt: base.AddDate(0, 0, f.due), DueAt: base.AddDate(0, 0, f.due), RemindAt: base})
			ids = append(ids, tk.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	idsOf := func(ts []tickets.Ticket, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.ID)
		}
		return out
	}
	for _, c := range []struct {
		member, roster int64
		limit          int
		want           []int64
	}{
		{tg.ID, r.ID, 20, []int64{ids[6], ids[4], ids[3], ids[1], ids[0]}},
		{tg.ID, r.ID, 2, []int64{ids[6], ids[4]}},
		{tg.ID, 0, 20, []int64{ids[6], ids[3], ids[0]}},
		{wx.ID, r.ID, 3, []int64{ids[4], ids[3], ids[1]}},
	} {
		if got := idsOf(db.TicketsOfFiler(ctx, c.member, c.roster, c.limit)); !slices.Equal(got, c.want) {
			t.Errorf("tickets of member %d roster %d limit %d: %v, want %v", c.member, c.roster, c.limit, got, c.want)
		}
	}
	// By deadline: 2 (day 1), 1 (3), 5 (4), 4 (5), 6 (7), 0 (9); 3 is closed.
	if got, want := idsOf(db.OpenTickets(ctx, nil, 20)), []int64{ids[2], ids[1], ids[5], ids[4], ids[6], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("open tickets: %v, want %v", got, want)
	}
	if got, want := idsOf(db.OpenTickets(ctx, nil, 3)), []int64{ids[2], ids[1], ids[5]}; !slices.Equal(got, want) {
		t.Errorf("open tickets, three: %v, want %v", got, want)
	}
	if got, want := idsOf(db.OpenTickets(ctx, []int64{depts[0]}, 20)), []int64{ids[2], ids[4], ids[6], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("open tickets of the unit: %v, want %v", got, want)
	}
}
