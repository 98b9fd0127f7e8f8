package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// TestButtonTokensKeptAcrossTableRename opens a database whose schema stops
// before 0401 (the table was telegram_buttons then), with a stored token, the
// way an older bot left it; the rename keeps the token and its data.
func TestButtonTokensKeptAcrossTableRename(t *testing.T) {
	ctx := context.Background()
	path := openAt(t, 401, `INSERT INTO telegram_buttons(token, data, created_at) VALUES ('~old', '/join #3 很长的备注', 1)`)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if data, err := db.ButtonData(ctx, "~old"); err != nil || data != "/join #3 很长的备注" {
		t.Fatalf("token stored before the rename: %q, %v", data, err)
	}
	// Saving again keeps the first data; unknown tokens are not found.
	if err := db.SaveButtonData(ctx, "~old", "/other", time.Now()); err != nil {
		t.Fatal(err)
	}
	if data, _ := db.ButtonData(ctx, "~old"); data != "/join #3 很长的备注" {
		t.Errorf("token data after saving again: %q", data)
	}
	if _, err := db.ButtonData(ctx, "~new"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'telegram_buttons'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("telegram_buttons still there (%d, %v)", n, err)
	}
}
