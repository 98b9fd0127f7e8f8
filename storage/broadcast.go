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
)

// Broadcast statuses.
const (
	BroadcastReview   = "review"   // waiting for a review level
	BroadcastRejected = "rejected" // a reviewer rejected it
	BroadcastSent     = "sent"     // approved by every level and queued
)

// Broadcast is a notice to the groups of one or more units' subtrees.
type Broadcast struct {
	ID           int64
	AuthorMember int64
	AuthorName   string
	OriginChat   int64
	Target       string  // as typed: a unit name or #tag
	UnitIDs      []int64 // root units; their subtrees receive it
	ReviewUnit   int64   // the unit whose review chain applies
	Levels       int     // review levels at creation
	Level        int     // levels approved so far
	Text         string
	SendAt       time.Time // zero: at once
	Status       string
	Chats        int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// BroadcastEvent is one step in a broadcast's life: who did what, when.
type BroadcastEvent struct {
	ID          int64
	BroadcastID int64
	At          time.Time
	ActorMember int64
	ActorName   string
	Action      string // created, approved, rejected, sent
	Level       int    // 1-based level decided
	LevelName   string
	Note        string
}

const broadcastCols = `id, author_member, author_name, origin_chat, target, unit_ids, COALESCE(review_unit, 0), levels, level, text,
	COALESCE(send_at, 0), status, chats, created_at, updated_at`

func scanBroadcast(row rowScanner) (Broadcast, error) {
	var (
		b                        Broadcast
		units                    string
		sendAt, created, updated int64
	)
	err := row.Scan(&b.ID, &b.AuthorMember, &b.AuthorName, &b.OriginChat, &b.Target, &units, &b.ReviewUnit, &b.Levels, &b.Level, &b.Text,
		&sendAt, &b.Status, &b.Chats, &created, &updated)
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

func addEventTx(ctx context.Context, tx *sql.Tx, ev BroadcastEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO broadcast_events(broadcast_id, at, actor_member, actor_name, action, level, level_name, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.BroadcastID, ms(ev.At), nullID(ev.ActorMember), ev.ActorName, ev.Action, ev.Level, ev.LevelName, ev.Note)
	if err != nil {
		return fmt.Errorf("record broadcast event: %w", err)
	}
	return nil
}

// CreateBroadcast stores a new draft with its "created" event, and lets
// queue build the messages (acknowledgement, reviewer notices, or the
// fan-out for a chain of no levels) that are queued in the same transaction.
func (db *DB) CreateBroadcast(ctx context.Context, b Broadcast, queue func(Broadcast) []bot.Outgoing) (Broadcast, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO broadcasts(author_member, author_name, origin_chat, target, unit_ids, review_unit, levels, level, text, send_at, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`,
			b.AuthorMember, b.AuthorName, b.OriginChat, b.Target, joinIDs(b.UnitIDs), nullID(b.ReviewUnit), b.Levels, b.Text, nullMS0(b.SendAt), b.Status, ms(b.CreatedAt), ms(b.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert broadcast: %w", err)
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		b.UpdatedAt = b.CreatedAt
		if err := addEventTx(ctx, tx, BroadcastEvent{BroadcastID: b.ID, At: b.CreatedAt, ActorMember: b.AuthorMember, ActorName: b.AuthorName, Action: "created"}); err != nil {
			return err
		}
		return db.queueTx(ctx, tx, &b, queue)
	})
	return b, err
}

func nullMS0(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

func (db *DB) queueTx(ctx context.Context, tx *sql.Tx, b *Broadcast, queue func(Broadcast) []bot.Outgoing) error {
	if queue == nil {
		return nil
	}
	n := 0
	for _, m := range queue(*b) {
		_, ok, err := EnqueueTx(ctx, tx, m, b.UpdatedAt)
		if err != nil {
			return err
		}
		if ok && m.Bulk {
			n++
		}
	}
	if b.Status == BroadcastSent {
		b.Chats = n
		if _, err := tx.ExecContext(ctx, `UPDATE broadcasts SET chats = ? WHERE id = ?`, n, b.ID); err != nil {
			return err
		}
		if err := addEventTx(ctx, tx, BroadcastEvent{BroadcastID: b.ID, At: b.UpdatedAt, ActorName: "系统", Action: "sent", Note: strconv.Itoa(n)}); err != nil {
			return err
		}
	}
	return nil
}

// ErrStale reports that a broadcast changed since it was read (another
// reviewer decided first).
var ErrStale = errors.New("broadcast changed meanwhile")

// DecideBroadcast records a review decision on b, which must still be in
// review at the level it was read at. next is b after the decision (status,
// level); queue builds the messages queued with it in one transaction.
func (db *DB) DecideBroadcast(ctx context.Context, b Broadcast, ev BroadcastEvent, next Broadcast, queue func(Broadcast) []bot.Outgoing) (Broadcast, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE broadcasts SET status = ?, level = ?, updated_at = ? WHERE id = ? AND status = 'review' AND level = ?`,
			next.Status, next.Level, ms(next.UpdatedAt), b.ID, b.Level)
		if err != nil {
			return fmt.Errorf("update broadcast %d: %w", b.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		ev.BroadcastID = b.ID
		if err := addEventTx(ctx, tx, ev); err != nil {
			return err
		}
		return db.queueTx(ctx, tx, &next, queue)
	})
	return next, err
}

// Broadcast returns one broadcast.
func (db *DB) Broadcast(ctx context.Context, id int64) (Broadcast, error) {
	return scanBroadcast(db.r.QueryRowContext(ctx, `SELECT `+broadcastCols+` FROM broadcasts WHERE id = ?`, id))
}

// Broadcasts lists broadcasts, newest first; status "" means any.
func (db *DB) Broadcasts(ctx context.Context, status string, limit int) ([]Broadcast, error) {
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
func (db *DB) BroadcastEvents(ctx context.Context, id int64) ([]BroadcastEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, broadcast_id, at, COALESCE(actor_member, 0), actor_name, action, level, level_name, note
		FROM broadcast_events WHERE broadcast_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("list broadcast events: %w", err)
	}
	return collect(rows, func(r rowScanner) (BroadcastEvent, error) {
		var (
			ev BroadcastEvent
			at int64
		)
		err := r.Scan(&ev.ID, &ev.BroadcastID, &at, &ev.ActorMember, &ev.ActorName, &ev.Action, &ev.Level, &ev.LevelName, &ev.Note)
		ev.At = fromMS(at)
		return ev, err
	})
}

// BroadcastKeyPrefix is the outbox idempotency key prefix of a broadcast's
// fan-out; each group's message is BroadcastKeyPrefix(id)+chatID.
func BroadcastKeyPrefix(id int64) string { return fmt.Sprintf("bc:%d:", id) }

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
	q := `SELECT ` + rosterCols + ` FROM roster WHERE title IN (` + placeholders(max(len(titles), 1)) + `) OR number IN (` + placeholders(max(len(numbers), 1)) + `) ORDER BY id`
	if len(titles) == 0 {
		args = append([]any{"\x00"}, args...) // matches no title
	}
	if len(numbers) == 0 {
		args = append(args, "\x00")
	}
	return db.rosterQuery(ctx, q, args...)
}
