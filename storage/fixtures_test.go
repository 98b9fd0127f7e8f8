package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/branchbot/branchbot/commands/core"
)

// fixtureDB is a small Population with a year of history: 4 groups of 10
// members, every member linked.
func fixtureDB(t *testing.T, years int) (*DB, []int64) {
	t.Helper()
	ctx := context.Background()
	db := openTestDB(t, "")
	defs := []core.UnitDef{{Name: "部门"}}
	for i := range 4 {
		defs = append(defs, core.UnitDef{Name: fmt.Sprintf("支部%d", i)})
	}
	if err := db.SyncUnits(ctx, defs); err != nil {
		t.Fatal(err)
	}
	us, err := db.Units(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range us[1:] {
		ids = append(ids, u.ID)
	}
	end := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := db.Populate(ctx, Population{Platform: "memchat", Units: ids, PerUnit: 10, Linked: 10, Chats: true, Private: true, At: end.AddDate(-years, 0, -1)}); err != nil {
		t.Fatal(err)
	}
	h := YearOfHistory("memchat", end, 10, []int64{us[0].ID})
	h.Years, h.Tickets, h.Replies = years, 100, 50
	if err := db.GenerateHistory(ctx, h); err != nil {
		t.Fatal(err)
	}
	return db, ids
}

func TestFixturesMakeTheirVolumes(t *testing.T) {
	db, _ := fixtureDB(t, 2)
	ctx := context.Background()
	count := func(table string) int {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for table, want := range map[string]int{
		"roster": 40, "members": 40, "chats": 44, "private_chats": 40,
		"checkin_sessions": 4 * 6 * 2, "checkins": 4 * 6 * 2 * 8, "relays": 4 * 2 * 2, "relay_entries": 4 * 2 * 2 * 6,
		"tickets": 200, "broadcasts": 40, "push_runs": 500,
		// per session 4, per relay 1, per ticket 1 or 2, per broadcast 4, replies
		"outbox": 48*4 + 16 + 200 + 190 + 40*4 + 100,
	} {
		if got := count(table); got != want {
			t.Errorf("%s: %d rows, want %d", table, got, want)
		}
	}
	m, err := db.MemberByExternalID(ctx, "memchat", fmt.Sprint(FixtureMemberID(2, 3, 10)))
	if err != nil || m.RosterID == 0 {
		t.Fatalf("member of unit 2 seat 3: %+v %v", m, err)
	}
	r, err := db.RosterEntry(ctx, m.RosterID)
	if err != nil || r.Number != FixtureNumber(2, 3, 10) {
		t.Fatalf("roster of unit 2 seat 3: %+v %v", r, err)
	}
	c, err := db.ChatByExternalID(ctx, "memchat", fmt.Sprint(FixtureChatID(1)))
	if err != nil || c.UnitID == 0 {
		t.Fatalf("chat of unit 1: %+v %v", c, err)
	}
}
