package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// openAt makes a database whose schema stops before version upTo, the way
// an older bot left it, and runs setup on it.
func openAt(t *testing.T, upTo int, setup ...string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite3", dsn(path, false, DefaultWriterCache))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version >= upTo {
			continue
		}
		if _, err := old.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := old.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range setup {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// 0801 rebuilds broadcasts (a table broadcast_events refers to) with
// foreign keys off: the broadcasts and their events survive, 'cancelled'
// is a status, and foreign keys are enforced again afterwards.
func TestBroadcastRebuildKeepsRowsAndForeignKeys(t *testing.T) {
	ctx := context.Background()
	path := openAt(t, 801,
		`INSERT INTO chats(id, platform, external_id, kind, created_at) VALUES (1, 'terminal', 'g', 'group', 0)`,
		`INSERT INTO members(id, platform, external_id, created_at) VALUES (1, 'terminal', '李明', 0)`,
		`INSERT INTO broadcasts(id, author_member, author_name, origin_chat, target, unit_ids, levels, text, status, created_at, updated_at)
			VALUES (7, 1, '李明', 1, '第一党支部', '1', 2, '开会', 'review', 1, 1)`,
		`INSERT INTO broadcast_events(broadcast_id, at, actor_member, actor_name, action) VALUES (7, 1, 1, '李明', 'created')`,
	)
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.Broadcast(ctx, 7)
	if err != nil || b.Text != "开会" || b.Levels != 2 {
		t.Fatalf("broadcast 7 after the rebuild: %+v, %v", b, err)
	}
	if evs, err := db.BroadcastEvents(ctx, 7); err != nil || len(evs) != 1 {
		t.Fatalf("events of 7: %+v, %v", evs, err)
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE broadcasts SET status = 'cancelled' WHERE id = 7`); err != nil {
		t.Errorf("cancelled is not a status: %v", err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO broadcast_events(broadcast_id, at, actor_name, action) VALUES (99, 1, 'x', 'created')`); err == nil {
		t.Error("an event of a broadcast that does not exist was stored: foreign keys are off")
	}
}
