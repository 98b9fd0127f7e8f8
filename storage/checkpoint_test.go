package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Commits never checkpoint by themselves (no automatic checkpoints on the
// write connection); the checkpointer copies the WAL back into the database
// file beside them, and under writes without a pause the WAL stays bounded
// (the writer restarts it).
func TestCheckpointerKeepsTheWALBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db := openTestDB(t, path)
	var auto int
	if err := db.w.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	// Commits back to back, each dirtying a few pages: a WAL never
	// restarted would hold all of them (over 100 MB).
	const commits = 10_000
	var largest int64
	start := time.Now()
	for i := range commits {
		if _, err := db.EnsureChat(ctx, "terminal", fmt.Sprintf("群%05d", i), bot.Group, fmt.Sprintf("群%05d", i)); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest {
				largest = fi.Size()
			}
		}
	}
	t.Logf("%d commits in %v; largest WAL %d bytes; %d checkpoints, %d restarts", commits, time.Since(start), largest,
		db.ckpt.runs.Load(), db.ckpt.restarts.Load())
	if largest > 64<<20 {
		t.Fatalf("the WAL grew to %d bytes", largest)
	}
	if db.ckpt.restarts.Load() == 0 {
		t.Fatal("writes without a pause never had the WAL restarted")
	}
}

// walSalt reads the salt of the WAL's header, which changes whenever the
// WAL starts over.
func walSalt(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 32)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", hdr[16:24])
}

// After a checkpoint that copied the whole WAL back, the checkpointer starts
// the next WAL itself, so the next commit (a check-in's first write) does
// not: with synchronous=NORMAL, starting the WAL over syncs its header to
// disk, milliseconds that the check-in waited for. The checkpointer's own
// write pokes no one, so a quiet database stays quiet.
func TestCheckpointerStartsTheNextWALItself(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	db := openTestDB(t, path)
	settle := func(what string, fresh int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for db.ckpt.fresh.Load() < fresh {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no new WAL started by the checkpointer (%d checkpoints run)", what, db.ckpt.runs.Load())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := range 3 {
		if _, err := db.EnsureChat(ctx, "terminal", fmt.Sprintf("群%d", i), bot.Group, "群"); err != nil {
			t.Fatal(err)
		}
		settle(fmt.Sprintf("commit %d", i+1), int64(i+1))
		before := walSalt(t, path)
		if _, err := db.EnsureChat(ctx, "terminal", fmt.Sprintf("另一群%d", i), bot.Group, "群"); err != nil {
			t.Fatal(err)
		}
		if after := walSalt(t, path); after != before {
			t.Fatalf("commit %d after the checkpointer's new WAL started the WAL over again (salt %s, then %s)", i+1, before, after)
		}
		settle(fmt.Sprintf("commit %d's second write", i+1), int64(i+2))
	}
	// Nothing written: nothing more to checkpoint, no WAL started.
	runs, fresh := db.ckpt.runs.Load(), db.ckpt.fresh.Load()
	time.Sleep(300 * time.Millisecond)
	if db.ckpt.runs.Load() != runs || db.ckpt.fresh.Load() != fresh {
		t.Fatalf("a quiet database was checkpointed again: runs %d → %d, new WALs %d → %d", runs, db.ckpt.runs.Load(), fresh, db.ckpt.fresh.Load())
	}
}
