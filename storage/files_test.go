package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The database, its WAL and shared-memory files and its folder are the bot's
// user's only, also when an older version left them wider.
func TestDatabaseFilesAreTheOwnersOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "b.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.EnsureChat(context.Background(), "terminal", "g", bot.Group, "g")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Enqueue(context.Background(), bot.Outgoing{ChatID: c.ID, Text: "x"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := perm(t, p); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", p, m)
		}
	}
	if m := perm(t, dir); m != 0o700 {
		t.Errorf("%s: mode %o, want 700", dir, m)
	}
	db.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o644)
	}
	db2, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if m := perm(t, path); m != 0o600 {
		t.Errorf("an old 0644 database is left %o", m)
	}
}

func perm(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
