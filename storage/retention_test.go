package storage

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
)

// Pruning deletes what left the queue before the cutoff, in batches, keeps
// what is still queued or referred to, and /broadcast status reads the same
// deliveries before and after.
func TestPruneOutboxKeepsWhatIsNeeded(t *testing.T) {
	ctx := context.Background()
	db, _ := fixtureDB(t, 2)
	end := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cutoff := end.AddDate(0, 0, -30)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.r.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Old messages something refers to: an open relay's list, a closed
	// relay's list, a check-in announcement, an edit still pending; and an
	// old message still pending.
	var old []int64
	rows, err := db.r.QueryContext(ctx, `SELECT id FROM outbox WHERE state = 'delivered' AND created_at < ? ORDER BY id LIMIT 5`, ms(cutoff))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		old = append(old, id)
	}
	rows.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE relays SET list_id = ?, closed_at = NULL WHERE id = (SELECT MIN(id) FROM relays)`, old[0])
	exec(`UPDATE relays SET list_id = ? WHERE id = (SELECT MAX(id) FROM relays)`, old[1])
	exec(`UPDATE checkin_sessions SET announce_id = ? WHERE id = (SELECT MIN(id) FROM checkin_sessions)`, old[2])
	exec(`INSERT INTO outbox(chat_id, platform, text, edit_of, not_before, created_at) SELECT chat_id, platform, '改', id, ?1, ?1 FROM outbox WHERE id = ?2`, ms(end), old[3])
	exec(`UPDATE outbox SET state = 'pending' WHERE id = ?`, old[4])

	var bc int64
	if err := db.r.QueryRowContext(ctx, `SELECT MIN(id) FROM broadcasts`).Scan(&bc); err != nil {
		t.Fatal(err)
	}
	before, err := db.BroadcastDeliveries(ctx, bc)
	if err != nil || len(before) != 4 {
		t.Fatalf("deliveries before: %v %v", before, err)
	}
	exec(`DELETE FROM broadcast_deliveries`) // as before migration 0901: only the outbox knows
	newer := count(`SELECT COUNT(*) FROM outbox WHERE created_at >= ?`, ms(cutoff))
	total := count(`SELECT COUNT(*) FROM outbox`)

	deleted, next, err := db.PruneOutbox(ctx, cutoff, 0, 10_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if next != 0 {
		t.Fatalf("pass not complete: next %d", next)
	}
	left := count(`SELECT COUNT(*) FROM outbox`)
	if deleted != total-left || left != newer+3 {
		t.Fatalf("deleted %d of %d; %d left, want the %d newer and 3 still needed", deleted, total, left, newer)
	}
	for i, id := range old {
		want := 1
		if i == 1 || i == 2 { // the closed relay's list and the closed session's announcement
			want = 0
		}
		if got := count(`SELECT COUNT(*) FROM outbox WHERE id = ?`, id); got != want {
			t.Errorf("old message %d (%d): %d rows, want %d", i, id, got, want)
		}
	}
	if n := count(`SELECT COUNT(*) FROM relays WHERE list_id IS NOT NULL`); n != 1 {
		t.Errorf("%d relays still refer to a list", n)
	}
	after, err := db.BroadcastDeliveries(ctx, bc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(before, after, func(a, b broadcast.Delivery) bool {
		return a.ChatID == b.ChatID && a.State == b.State && a.DeliveredAt.Equal(b.DeliveredAt) && a.State == bot.OutboxDelivered
	}) {
		t.Fatalf("deliveries after pruning:\n%+v\nbefore:\n%+v", after, before)
	}
	// A second pass finds nothing more; small limits stop early and resume.
	if n, _, err := db.PruneOutbox(ctx, cutoff, 0, 10_000, 0); err != nil || n != 0 {
		t.Fatalf("second pass deleted %d: %v", n, err)
	}
}

// A pass stops after max deletions and the next one resumes where it
// stopped.
func TestPruneOutboxInSteps(t *testing.T) {
	ctx := context.Background()
	db, _ := fixtureDB(t, 1)
	cutoff := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	total := 0
	from := int64(0)
	for i := 0; ; i++ {
		n, next, err := db.PruneOutbox(ctx, cutoff, from, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if next == 0 {
			break
		}
		if next <= from || i > 100 {
			t.Fatalf("no progress: from %d to %d", from, next)
		}
		from = next
	}
	var left int
	db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox`).Scan(&left)
	if left != 0 || total == 0 {
		t.Fatalf("deleted %d, %d left", total, left)
	}
}
