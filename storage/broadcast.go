package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/broadcast"
)

var (
	_ broadcast.Store = (*DB)(nil)
	_ broadcast.Tx    = (*Tx)(nil)
)

const broadcastCols = `id, author_member, COALESCE((SELECT roster_id FROM broadcast_authors a WHERE a.broadcast_id = broadcasts.id), 0), author_name, origin_chat, target, unit_ids, COALESCE(review_unit, 0), levels, level, text,
	COALESCE(send_at, 0), status, chats, created_at, updated_at, confirm`

func scanBroadcast(row rowScanner) (broadcast.Broadcast, error) {
	var (
		b                        broadcast.Broadcast
		units                    string
		sendAt, created, updated int64
	)
	err := row.Scan(&b.ID, &b.AuthorMember, &b.AuthorRoster, &b.AuthorName, &b.OriginChat, &b.Target, &units, &b.ReviewUnit, &b.Levels, &b.Level, &b.Text,
		&sendAt, &b.Status, &b.Chats, &created, &updated, &b.Confirm)
	if errors.Is(err, sql.ErrNoRows) {
		return b, bot.ErrNotFound
	}
	if err != nil {
		return b, err
	}
	for _, s := range splitList(units) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return b, fmt.Errorf("broadcast %d: unit ids %q: %w", b.ID, units, err)
		}
		b.UnitIDs = append(b.UnitIDs, id)
	}
	b.SendAt, b.CreatedAt, b.UpdatedAt = fromMS(sendAt), fromMS(created), fromMS(updated)
	return b, nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// UpdateBroadcasts implements broadcast.Store: fn runs in one write
// transaction.
func (db *DB) UpdateBroadcasts(ctx context.Context, now time.Time, fn func(broadcast.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// InsertBroadcast implements broadcast.Tx.
func (t *Tx) InsertBroadcast(b broadcast.Broadcast) (broadcast.Broadcast, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO broadcasts(author_member, author_name, origin_chat, target, unit_ids, review_unit, levels, level, text, send_at, status, chats, created_at, updated_at, confirm)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.AuthorMember, b.AuthorName, b.OriginChat, b.Target, joinIDs(b.UnitIDs), nullID(b.ReviewUnit), b.Levels, b.Level, b.Text, nullTime(b.SendAt),
		b.Status, b.Chats, ms(b.CreatedAt), ms(b.UpdatedAt), b.Confirm)
	if err != nil {
		return b, fmt.Errorf("insert broadcast: %w", err)
	}
	if b.ID, err = res.LastInsertId(); err != nil {
		return b, err
	}
	if b.AuthorRoster != 0 {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO broadcast_authors(broadcast_id, roster_id) VALUES (?, ?)`, b.ID, b.AuthorRoster); err != nil {
			return b, fmt.Errorf("record the author of broadcast %d: %w", b.ID, err)
		}
	}
	return b, nil
}

// MoveBroadcast implements broadcast.Tx. The update is conditional on the
// status and level the broadcast was read with, so of two reviewers
// deciding at once only the first succeeds.
func (t *Tx) MoveBroadcast(from, to broadcast.Broadcast) error {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE broadcasts SET status = ?, level = ?, updated_at = ? WHERE id = ? AND status = ? AND level = ?`,
		to.Status, to.Level, ms(to.UpdatedAt), from.ID, from.Status, from.Level)
	if err != nil {
		return fmt.Errorf("update broadcast %d: %w", from.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return broadcast.ErrStale
	}
	return nil
}

// SetBroadcastChats implements broadcast.Tx.
func (t *Tx) SetBroadcastChats(id int64, chats int) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE broadcasts SET chats = ? WHERE id = ?`, chats, id); err != nil {
		return fmt.Errorf("broadcast %d: record chats: %w", id, err)
	}
	return nil
}

// AddBroadcastEvent implements broadcast.Tx.
func (t *Tx) AddBroadcastEvent(ev broadcast.Event) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO broadcast_events(broadcast_id, at, actor_member, actor_name, action, level, level_name, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.BroadcastID, ms(ev.At), nullID(ev.ActorMember), ev.ActorName, ev.Action, ev.Level, ev.LevelName, ev.Note)
	if err != nil {
		return fmt.Errorf("record broadcast event: %w", err)
	}
	return nil
}

// Broadcast returns one broadcast.
func (db *DB) Broadcast(ctx context.Context, id int64) (broadcast.Broadcast, error) {
	return scanBroadcast(db.r.QueryRowContext(ctx, `SELECT `+broadcastCols+` FROM broadcasts WHERE id = ?`, id))
}

// Broadcasts lists broadcasts, newest first; status "" means any.
func (db *DB) Broadcasts(ctx context.Context, status string, limit int) ([]broadcast.Broadcast, error) {
	q := `SELECT ` + broadcastCols + ` FROM broadcasts`
	var args []any
	if status != "" {
		q += ` WHERE status = ?`
		args = append(args, status)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	return collect(rows, scanBroadcast)
}

// BroadcastEvents lists a broadcast's events in order.
func (db *DB) BroadcastEvents(ctx context.Context, id int64) ([]broadcast.Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, broadcast_id, at, COALESCE(actor_member, 0), actor_name, action, level, level_name, note
		FROM broadcast_events WHERE broadcast_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("list broadcast events: %w", err)
	}
	return collect(rows, func(r rowScanner) (broadcast.Event, error) {
		var (
			ev broadcast.Event
			at int64
		)
		err := r.Scan(&ev.ID, &ev.BroadcastID, &at, &ev.ActorMember, &ev.ActorName, &ev.Action, &ev.Level, &ev.LevelName, &ev.Note)
		ev.At = fromMS(at)
		return ev, err
	})
}

// RosterWithTitles lists entries whose title is one of titles or whose
// number is one of numbers (a review level's reviewers).
func (db *DB) RosterWithTitles(ctx context.Context, titles, numbers []string) ([]bot.RosterEntry, error) {
	if len(titles)+len(numbers) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(titles)+len(numbers))
	for _, t := range titles {
		args = append(args, t)
	}
	for _, n := range numbers {
		args = append(args, n)
	}
	q := `SELECT ` + rosterCols + ` FROM roster WHERE (title IN (` + placeholders(max(len(titles), 1)) + `) OR number IN (` + placeholders(max(len(numbers), 1)) + `)) AND` + onRoster + `ORDER BY id`
	if len(titles) == 0 {
		args = append([]any{"\x00"}, args...) // matches no title
	}
	if len(numbers) == 0 {
		args = append(args, "\x00")
	}
	return db.rosterQuery(ctx, q, args...)
}

// ConfirmableBroadcast is the broadcast asking for confirmation that was
// delivered to the chat at or after since: number id, or the newest for 0.
func (db *DB) ConfirmableBroadcast(ctx context.Context, chatID, id int64, since time.Time) (broadcast.Broadcast, error) {
	return scanBroadcast(db.r.QueryRowContext(ctx, `SELECT `+broadcastCols+` FROM broadcasts
		WHERE confirm = 1 AND status = 'sent' AND (id = ?2 OR ?2 = 0) AND EXISTS (SELECT 1 FROM outbox o
			WHERE o.idem_key = 'bc:' || broadcasts.id || ':' || ?1 AND o.state = 'delivered' AND o.delivered_at >= ?3)
		ORDER BY id DESC LIMIT 1`, chatID, id, ms(since)))
}

// BroadcastReceipts lists who confirmed a broadcast: roster entry → when.
func (db *DB) BroadcastReceipts(ctx context.Context, id int64) (map[int64]time.Time, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT roster_id, at FROM broadcast_receipts WHERE broadcast_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("read receipts of broadcast %d: %w", id, err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var rid, at int64
		if err := rows.Scan(&rid, &at); err != nil {
			return nil, err
		}
		out[rid] = fromMS(at)
	}
	return out, rows.Err()
}

// AddReceipt implements broadcast.Tx: the person's first confirmation is
// kept; a later one reports false and the time of the first.
func (t *Tx) AddReceipt(r broadcast.Receipt) (bool, time.Time, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO broadcast_receipts(broadcast_id, roster_id, member_id, chat_id, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, r.BroadcastID, r.RosterID, r.MemberID, r.ChatID, ms(r.At))
	if err != nil {
		return false, time.Time{}, fmt.Errorf("record receipt of broadcast %d: %w", r.BroadcastID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, r.At, nil
	}
	var at int64
	err = t.tx.QueryRowContext(t.ctx, `SELECT at FROM broadcast_receipts WHERE broadcast_id = ? AND roster_id = ?`, r.BroadcastID, r.RosterID).Scan(&at)
	return false, fromMS(at), err
}

// CountReceipts counts a broadcast's confirmations.
func (t *Tx) CountReceipts(id int64) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM broadcast_receipts WHERE broadcast_id = ?`, id).Scan(&n)
	return n, err
}
