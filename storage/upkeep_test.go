package storage

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// Upkeep prunes the outbox past the retention window and, once lookups
// happened, saves the caches' use for `branchbot stats`.
func TestUpkeepPrunesAndReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, _ := fixtureDB(t, 1)
	end := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, err := db.ChatByExternalID(ctx, "memchat", fmt.Sprint(FixtureChatID(i))); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.RunUpkeep(ctx, Upkeep{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return end },
			OutboxRetention: 30 * 24 * time.Hour, Every: 20 * time.Millisecond, QuietAfter: 10 * time.Millisecond})
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var old int
		if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE created_at < ?`, ms(end.AddDate(0, 0, -30))).Scan(&old); err != nil {
			t.Fatal(err)
		}
		rs, ok, err := db.LastRuntimeStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if old == 0 && ok {
			if len(rs.Caches) != 3 || rs.Caches[0].Name != "chats" || rs.Caches[0].Misses != 3 {
				t.Fatalf("caches reported: %+v", rs.Caches)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %d old messages left, stats saved %v", old, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Memory given back after a burst includes the read connections' page
// caches: idle readers are closed, and reading opens them again.
func TestReleaseMemoryClosesIdleReaders(t *testing.T) {
	ctx := context.Background()
	db, _ := fixtureDB(t, 1)
	for i := range 3 {
		if _, err := db.ChatByExternalID(ctx, "memchat", fmt.Sprint(FixtureChatID(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := db.r.Stats().Idle; n == 0 {
		t.Fatal("no idle reader before the release")
	}
	db.releaseMemory(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if st := db.r.Stats(); st.OpenConnections != 0 {
		t.Fatalf("%d read connections open after the release", st.OpenConnections)
	}
	db.cache = newLookups(CacheLimits{})
	if _, err := db.ChatByExternalID(ctx, "memchat", fmt.Sprint(FixtureChatID(0))); err != nil {
		t.Fatalf("read after the release: %v", err)
	}
}
