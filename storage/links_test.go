package storage

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/commands/core"
)

// Links made before codes existed keep working and are marked as made the
// old way; display names, broadcast authors and closes without an answer
// are carried over too.
func TestMigrationKeepsExistingLinks(t *testing.T) {
	path := openAt(t, 500, `
		INSERT INTO units(id, name) VALUES (1, '一支部');
		INSERT INTO roster(id, name, number, unit_id, title, role, updated_at) VALUES (1, '张三', '2023001', 1, '党员', 'member', 0),
			(2, '周书记', 'T0007', 1, '书记', 'secretary', 0);
		INSERT INTO members(id, platform, external_id, name, roster_id, linked_at, created_at) VALUES
			(1, 'telegram', '42', '张三', 1, 5, 1), (2, 'telegram', '43', '周书记', 2, 5, 1), (3, 'telegram', '44', '路人', NULL, NULL, 1);
		INSERT INTO chats(id, platform, external_id, kind, title, unit_id, created_at) VALUES (1, 'telegram', '-100', 'group', '一支部群', 1, 0);
		INSERT INTO broadcasts(id, author_member, author_name, origin_chat, target, unit_ids, levels, text, status, created_at, updated_at)
			VALUES (1, 2, '周书记', 1, '一支部', '1', 1, '开会', 'review', 0, 0);
		INSERT INTO tickets(id, filer_member_id, chat_id, text, department_id, state, created_at, first_due_at, due_at, remind_at, first_response_at, closed_at)
			VALUES (1, 1, 1, '甲', 1, 'closed', 0, 10, 10, 5, 3, 3), (2, 1, 1, '乙', 1, 'closed', 0, 10, 10, 5, 4, 6);
		INSERT INTO ticket_events(ticket_id, at, kind) VALUES (1, 3, 'close'), (2, 4, 'answer'), (2, 6, 'close');`)
	db := openTestDB(t, path)
	ctx := context.Background()
	links, err := db.LinksOfRoster(ctx, []int64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(links[1]) != 1 || links[1][0].Method != core.MethodLegacy || len(links[2]) != 1 || links[2][0].Method != core.MethodLegacy {
		t.Fatalf("links after the migration: %+v", links)
	}
	c, err := db.EnsureMember(ctx, "telegram", "42", "张三")
	if err != nil || c.RosterID != 1 {
		t.Fatalf("张三 after the migration: %+v %v", c, err)
	}
	var names int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM member_names`).Scan(&names); err != nil || names != 3 {
		t.Fatalf("member_names: %d %v", names, err)
	}
	b, err := db.Broadcast(ctx, 1)
	if err != nil || b.AuthorRoster != 2 {
		t.Fatalf("broadcast author roster: %+v %v", b, err)
	}
	t1, _ := db.Ticket(ctx, 1)
	t2, _ := db.Ticket(ctx, 2)
	if !t1.FirstResponseAt.IsZero() || t2.FirstResponseAt.IsZero() {
		t.Fatalf("first responses: closed unanswered %v, answered %v", t1.FirstResponseAt, t2.FirstResponseAt)
	}
}

// A renamed member keeps every name it had, for the assistant's privacy
// filter.
func TestFormerNamesAreKept(t *testing.T) {
	db := openTestDB(t, "")
	ctx := context.Background()
	m, err := db.EnsureMember(ctx, "wechat", "群/小张", "小张")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"张同学", "小张", "张三（学委）"} {
		if _, err := db.EnsureMember(ctx, "wechat", "群/小张", n); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.r.Query(`SELECT name FROM member_names WHERE member_id = ? ORDER BY first_seen, name`, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		got = append(got, n)
	}
	if strings.Join(got, ",") == "" || len(got) != 3 {
		t.Fatalf("names: %q", got)
	}
}

// Codes: one usable per entry, used once, expired after their time; failed
// attempts are counted in their window and forgotten after it.
func TestLinkCodesAndFailures(t *testing.T) {
	db := openTestDB(t, "")
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "一支部"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`INSERT INTO roster(id, name, number, unit_id, role, updated_at) VALUES (1, '张三', '2023001', 1, 'member', 0)`); err != nil {
		t.Fatal(err)
	}
	m, _ := db.EnsureMember(ctx, "terminal", "张三", "张三")
	var first, second int64
	err := db.UpdateLinks(ctx, now, func(tx core.Tx) error {
		var err error
		if first, err = tx.IssueLinkCode(core.LinkCode{RosterID: 1, Salt: []byte("s1"), Hash: []byte("h1"), IssuedBy: "x", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		second, err = tx.IssueLinkCode(core.LinkCode{RosterID: 1, Salt: []byte("s2"), Hash: []byte("h2"), IssuedBy: "x", IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.UsableLinkCode(ctx, 1, now)
	if err != nil || c.ID != second || string(c.Hash) != "h2" {
		t.Fatalf("usable code %+v %v: want the second, the first revoked", c, err)
	}
	if err := db.UpdateLinks(ctx, now, func(tx core.Tx) error { return tx.UseLinkCode(first, m.ID) }); err != core.ErrStale {
		t.Fatalf("a revoked code was used: %v", err)
	}
	if err := db.UpdateLinks(ctx, now.Add(2*time.Hour), func(tx core.Tx) error { return tx.UseLinkCode(second, m.ID) }); err != core.ErrStale {
		t.Fatalf("an expired code was used: %v", err)
	}
	if err := db.UpdateLinks(ctx, now, func(tx core.Tx) error { return tx.UseLinkCode(second, m.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateLinks(ctx, now, func(tx core.Tx) error { return tx.UseLinkCode(second, m.ID) }); err != core.ErrStale {
		t.Fatalf("a code was used twice: %v", err)
	}
	for i := range 3 {
		at := now.Add(time.Duration(i) * 40 * time.Minute)
		if err := db.UpdateLinks(ctx, at, func(tx core.Tx) error { return tx.AddLinkFailure(m.ID, 1, at.Add(-time.Hour)) }); err != nil {
			t.Fatal(err)
		}
	}
	byMember, onEntry, err := db.LinkFailures(ctx, m.ID, 1, now.Add(80*time.Minute-time.Hour))
	if err != nil || byMember != 2 || onEntry != 2 {
		t.Fatalf("failures in the window: %d %d %v", byMember, onEntry, err)
	}
}
