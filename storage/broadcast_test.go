package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/storage"
)

// A message scheduled for later must not hold back a reply queued after it
// in the same chat; a message waiting for a retry must (order is kept).
func TestOutboxHeadsSkipScheduled(t *testing.T) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c, err := db.EnsureChat(ctx, "terminal", "g", bot.Group, "g")
	if err != nil {
		t.Fatal(err)
	}
	later, _, err := db.Enqueue(ctx, bot.Outgoing{ChatID: c.ID, Text: "scheduled", NotBefore: now.Add(time.Hour), Bulk: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	reply, _, err := db.Enqueue(ctx, bot.Outgoing{ChatID: c.ID, Text: "reply"}, now)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := db.OutboxHeads(ctx, "terminal", now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != 1 || heads[0].ID != reply {
		t.Fatalf("heads = %v, want the reply %d", heads, reply)
	}
	// Once due, the scheduled message is the head again.
	if heads, _ = db.OutboxHeads(ctx, "terminal", now.Add(time.Hour), 10); len(heads) != 1 || heads[0].ID != later {
		t.Fatalf("heads at the scheduled time = %v, want %d", heads, later)
	}
	// A message in retry back-off keeps its place before later messages.
	if err := db.MarkRetry(ctx, later, now.Add(2*time.Hour), true, "boom"); err != nil {
		t.Fatal(err)
	}
	if heads, _ = db.OutboxHeads(ctx, "terminal", now.Add(time.Hour), 10); len(heads) != 0 {
		t.Fatalf("heads during back-off = %v, want none", heads)
	}
}
