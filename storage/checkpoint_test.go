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
