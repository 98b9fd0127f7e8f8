package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SyncUnits(context.Background(), []UnitDef{{Name: "支部"}}); err != nil {
		t.Fatal(err)
	}
	return db
}

// The memo must never answer with a row that a write has changed, whatever
// code made the write.
func TestMemoFollowsEveryWrite(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	us, _ := db.Units(ctx)
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "1", UnitID: us[0].ID, Title: "党员"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e, _ := db.RosterByNumber(ctx, "1")
	m, err := db.EnsureMember(ctx, "terminal", "u1", "张三")
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.EnsureChat(ctx, "terminal", "g1", bot.Group, "群")
	if err != nil {
		t.Fatal(err)
	}
	// Warm the memo.
	for range 2 {
		if _, err := db.EnsureMember(ctx, "terminal", "u1", "张三"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RosterEntry(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EnsureChat(ctx, "terminal", "g1", bot.Group, "群"); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := db.memo.member("terminal", "u1"); !ok {
		t.Fatal("member not remembered")
	}

	// Writes through this package's methods.
	if err := db.LinkMember(ctx, m.ID, e.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EnsureMember(ctx, "terminal", "u1", "张三"); got.RosterID != e.ID {
		t.Fatalf("after LinkMember: roster %d, want %d", got.RosterID, e.ID)
	}
	if err := db.BindChat(ctx, c.ID, us[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EnsureChat(ctx, "terminal", "g1", bot.Group, "群"); got.UnitID != us[0].ID {
		t.Fatalf("after BindChat: unit %d", got.UnitID)
	}
	if _, _, err := db.ImportRoster(ctx, []bot.RosterEntry{{Name: "张三", Number: "1", UnitID: us[0].ID, Title: "书记", Role: bot.RoleSecretary}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.RosterEntry(ctx, e.ID); got.Role != bot.RoleSecretary {
		t.Fatalf("after ImportRoster: role %v", got.Role)
	}

	// A write in some other feature's transaction, in SQL this file never saw.
	_, _ = db.EnsureMember(ctx, "terminal", "u1", "张三")
	if err := db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE members SET roster_id = NULL WHERE id = ?`, m.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EnsureMember(ctx, "terminal", "u1", "张三"); got.RosterID != 0 {
		t.Fatalf("after a raw update: roster %d, want 0", got.RosterID)
	}
	_, _ = db.EnsureChat(ctx, "terminal", "g1", bot.Group, "群")
	if _, err := db.w.ExecContext(ctx, `UPDATE chats SET active = 0 WHERE id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.EnsureChat(ctx, "terminal", "g1", bot.Group, "群"); got.Active {
		t.Fatal("after an autocommit update the chat is still active")
	}
}

// A lookup inside a transaction (which holds the only writer connection)
// must not wait for itself.
func TestMemoInsideTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.EnsureMember(ctx, "terminal", "u1", "张三"); err != nil {
		t.Fatal(err)
	}
	db.memo.written(0, "main", "members", 0) // forget it
	done := make(chan error, 1)
	go func() {
		done <- db.Tx(ctx, func(tx *sql.Tx) error {
			m, err := db.EnsureMember(ctx, "terminal", "u1", "张三")
			if err == nil && m.Name != "张三" {
				err = fmt.Errorf("got %+v", m)
			}
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lookup inside a transaction deadlocked")
	}
}

// Readers racing a writer end up with the last write.
func TestMemoUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.EnsureMember(ctx, "terminal", "u1", "v0"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.memoMember(ctx, "terminal", "u1"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 1; i <= 200; i++ {
		if _, err := db.w.ExecContext(ctx, `UPDATE members SET name = ? WHERE external_id = 'u1'`, fmt.Sprintf("v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if m, _ := db.memoMember(ctx, "terminal", "u1"); m.Name != "v200" {
		t.Fatalf("memo says %q after the last write v200", m.Name)
	}
}
