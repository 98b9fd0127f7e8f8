package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/core"
)

// A roster import made by another process (another DB on the same file) is
// seen by a running bot's cached lookups within rosterCheckEvery, and an
// import made in process at once.
func TestRosterCacheSeesImports(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	bot1 := openTestDB(t, path)
	unit := testUnit(t, bot1)
	bot1.cache.rosterCheckEvery = 50 * time.Millisecond
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, _, err := bot1.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "2024001", UnitID: unit, Role: bot.RoleMember}}, now); err != nil {
		t.Fatal(err)
	}
	e, err := bot1.RosterByNumber(ctx, "2024001")
	if err != nil {
		t.Fatal(err)
	}
	role := func() bot.Role {
		t.Helper()
		got, err := bot1.RosterEntry(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Role
	}
	if r := role(); r != bot.RoleMember {
		t.Fatalf("role %v, want member", r)
	}

	cli, err := Open(ctx, path) // `branchbot roster import` while the bot runs
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cli.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "2024001", UnitID: unit, Role: bot.RoleSecretary}}, now); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	deadline := time.Now().Add(2 * time.Second)
	for role() != bot.RoleSecretary {
		if time.Now().After(deadline) {
			t.Fatal("the import of another process was never seen")
		}
		time.Sleep(10 * time.Millisecond)
	}

	bot1.cache.rosterCheckEvery = time.Hour
	if _, _, err := bot1.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "2024001", UnitID: unit, Role: bot.RoleStaff}}, now); err != nil {
		t.Fatal(err)
	}
	if r := role(); r != bot.RoleStaff {
		t.Fatalf("after an import in process: role %v, want staff", r)
	}
}

// Linking one member forgets only that member's cached row.
func TestLinkMemberForgetsOnlyThatMember(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	a, _ := db.EnsureMember(ctx, "terminal", "a", "甲")
	b, _ := db.EnsureMember(ctx, "terminal", "b", "乙")
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{{Name: "甲", Number: "1", UnitID: testUnit(t, db)}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e, _ := db.RosterByNumber(ctx, "1")
	if err := db.LinkMember(ctx, a.ID, e.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok := db.cache.member("terminal", "b"); !ok {
		t.Fatal("linking a forgot b")
	}
	got, err := db.EnsureMember(ctx, "terminal", "a", "甲")
	if err != nil || got.RosterID != e.ID {
		t.Fatalf("a after linking: %+v %v", got, err)
	}
	if got, _ := db.EnsureMember(ctx, "terminal", "b", "乙"); got != b {
		t.Fatalf("b: %+v, want %+v", got, b)
	}
}

func testUnit(t *testing.T, db *DB) int64 {
	t.Helper()
	ctx := context.Background()
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "支部"}}); err != nil {
		t.Fatal(err)
	}
	us, err := db.Units(ctx)
	if err != nil || len(us) == 0 {
		t.Fatalf("units: %v %v", us, err)
	}
	return us[0].ID
}

// The triggers mark each changed roster entry with the version of its
// change, so a cache reads back only those; a deletion (not something the
// bot does, but an operator may) makes the cache read the roster anew, and
// the deleted entry is gone from it.
func TestRosterVersionMarksChangedEntries(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "t.db")
			db := openTestDB(t, path)
			db.cache.rosterCheckEvery = 0
			unit := testUnit(t, db)
			now := time.Now()
			var entries []bot.RosterEntry
			for _, n := range []string{"1", "2", "3"} {
				entries = append(entries, bot.RosterEntry{Name: "成员" + n, Number: n, UnitID: unit})
			}
			if _, _, err := db.ImportRoster(ctx, entries, now); err != nil {
				t.Fatal(err)
			}
			if cached { // every entry cached before the changes
				for _, e := range entries {
					got, err := db.RosterByNumber(ctx, e.Number)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := db.RosterEntry(ctx, got.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			ids := map[string]int64{}
			changed := map[string]int64{}
			read := func() {
				rows, err := db.r.QueryContext(ctx, `SELECT number, id, changed FROM roster`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var n string
					var id, c int64
					if err := rows.Scan(&n, &id, &c); err != nil {
						t.Fatal(err)
					}
					ids[n], changed[n] = id, c
				}
			}
			read()
			for _, n := range []string{"1", "2", "3"} {
				if e, err := db.RosterEntry(ctx, ids[n]); err != nil || e.Name != "成员"+n {
					t.Fatalf("entry %s: %+v %v", n, e, err)
				}
			}
			before := changed["1"]
			entries[1].Name = "改名"
			if _, _, err := db.ImportRoster(ctx, entries, now); err != nil {
				t.Fatal(err)
			}
			read()
			if changed["1"] != before || changed["2"] <= changed["3"] {
				t.Fatalf("changed marks after renaming 2: %v (1 was %d)", changed, before)
			}
			if e, _ := db.RosterEntry(ctx, ids["2"]); e.Name != "改名" {
				t.Fatalf("renamed entry reads %q", e.Name)
			}

			other, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.w.ExecContext(ctx, `DELETE FROM roster WHERE id = ?`, ids["3"]); err != nil {
				t.Fatal(err)
			}
			other.Close()
			if _, err := db.RosterEntry(ctx, ids["3"]); !errors.Is(err, bot.ErrNotFound) {
				t.Fatalf("deleted entry: %v", err)
			}
			if e, err := db.RosterEntry(ctx, ids["1"]); err != nil || e.Name != "成员1" {
				t.Fatalf("entry 1 after a deletion: %+v %v", e, err)
			}
		})
	}
}

// Members seen at the same moment are stored together, each once, and a
// new display name replaces the old one.
func TestEnsureMemberBatchesNewMembers(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t, "")
	var wg sync.WaitGroup
	got := make([]bot.Member, 300)
	for i := range got {
		wg.Go(func() {
			m, err := db.EnsureMember(ctx, "telegram", fmt.Sprint(i%150), fmt.Sprint("成员", i%150))
			if err != nil {
				t.Error(err)
			}
			got[i] = m
		})
	}
	wg.Wait()
	ids := map[int64]bool{}
	for i, m := range got {
		if m.ExternalID != fmt.Sprint(i%150) || m.Name != fmt.Sprint("成员", i%150) || m.ID == 0 {
			t.Fatalf("member %d: %+v", i, m)
		}
		if got[i%150].ID != m.ID {
			t.Fatalf("member %s stored twice: %d and %d", m.ExternalID, got[i%150].ID, m.ID)
		}
		ids[m.ID] = true
	}
	if len(ids) != 150 {
		t.Fatalf("%d members stored, want 150", len(ids))
	}
	m, err := db.EnsureMember(ctx, "telegram", "7", "新名字")
	if err != nil || m.Name != "新名字" || m.ID != got[7].ID {
		t.Fatalf("renamed: %+v %v (was %+v)", m, err, got[7])
	}
	db.cache.dropMembers()
	if m, _ := db.EnsureMember(ctx, "telegram", "7", ""); m.Name != "新名字" {
		t.Fatalf("read back: %+v", m)
	}
}

// An entry another process takes off the roster (roster import
// --remove-missing while the bot runs) is seen as left by the running
// bot's cache within rosterCheckEvery; putting it back is seen too.
func TestRosterCacheSeesRemovals(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	bot1 := openTestDB(t, path)
	unit := testUnit(t, bot1)
	bot1.cache.rosterCheckEvery = 50 * time.Millisecond
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	both := []bot.RosterEntry{{Name: "张三", Number: "1", UnitID: unit}, {Name: "李四", Number: "2", UnitID: unit}}
	if _, _, err := bot1.ImportRoster(ctx, both, now); err != nil {
		t.Fatal(err)
	}
	li, _ := bot1.RosterByNumber(ctx, "2")
	if _, err := bot1.RosterEntry(ctx, li.ID); err != nil { // cached before the removal
		t.Fatal(err)
	}
	left := func() bool {
		e, err := bot1.RosterEntry(ctx, li.ID)
		if err != nil {
			t.Fatal(err)
		}
		return !e.Left.IsZero()
	}
	sync := func(es []bot.RosterEntry) RosterImport {
		t.Helper()
		cli, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		r, err := cli.SyncRoster(ctx, es, now, true)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wait := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for left() != want {
			if time.Now().After(deadline) {
				t.Fatalf("the cache never saw 李四 left=%v", want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if r := sync(both[:1]); r.Removed != 1 || r.Unchanged != 1 || len(r.Missing) != 1 || r.Missing[0].Number != "2" {
		t.Fatalf("removal: %+v", r)
	}
	wait(true)
	if got, err := bot1.RosterOfUnits(ctx, []int64{unit}); err != nil || len(got) != 1 || got[0].Number != "1" {
		t.Errorf("the unit's roster after the removal: %+v, %v", got, err)
	}
	if _, err := bot1.RosterByNumber(ctx, "2"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a left entry is found by number: %v", err)
	}
	if r := sync(both); r.Updated != 1 || r.Unchanged != 1 || r.Removed != 0 {
		t.Fatalf("putting back: %+v", r)
	}
	wait(false)
}
