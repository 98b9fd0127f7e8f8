package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// ContentItem is one piece of study material.
type ContentItem struct {
	ID          int64
	Slug        string // the file name without .md; the key for re-imports
	Column      string // 栏目
	Title       string
	Summary     string
	Link        string
	Body        string
	Tags        []string
	Units       []string // unit names the item is for; empty: everyone
	PublishedAt time.Time
}

const contentCols = `id, slug, column_name, title, summary, link, body, tags, units, published_at`

func scanContent(row rowScanner) (ContentItem, error) {
	var (
		it          ContentItem
		tags, units string
		pub         int64
	)
	err := row.Scan(&it.ID, &it.Slug, &it.Column, &it.Title, &it.Summary, &it.Link, &it.Body, &tags, &units, &pub)
	if errors.Is(err, sql.ErrNoRows) {
		return it, bot.ErrNotFound
	}
	it.Tags, it.Units, it.PublishedAt = splitList(tags), splitList(units), fromMS(pub)
	return it, err
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// UpsertContent stores items by slug: new slugs are added, known ones
// updated in place (their id, and so studied marks, are kept).
func (db *DB) UpsertContent(ctx context.Context, items []ContentItem, now time.Time) (added, updated int, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			res, err := tx.ExecContext(ctx, `UPDATE content_items SET column_name = ?, title = ?, summary = ?, link = ?, body = ?, tags = ?, units = ?, published_at = ?, imported_at = ?
				WHERE slug = ?`, it.Column, it.Title, it.Summary, it.Link, it.Body, strings.Join(it.Tags, ","), strings.Join(it.Units, ","), ms(it.PublishedAt), ms(now), it.Slug)
			if err != nil {
				return fmt.Errorf("update content %s: %w", it.Slug, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				updated++
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO content_items(slug, column_name, title, summary, link, body, tags, units, published_at, imported_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, it.Slug, it.Column, it.Title, it.Summary, it.Link, it.Body, strings.Join(it.Tags, ","), strings.Join(it.Units, ","), ms(it.PublishedAt), ms(now)); err != nil {
				return fmt.Errorf("add content %s: %w", it.Slug, err)
			}
			added++
		}
		return nil
	})
	return added, updated, err
}

// ContentItem returns one item by id.
func (db *DB) ContentItem(ctx context.Context, id int64) (ContentItem, error) {
	return scanContent(db.r.QueryRowContext(ctx, `SELECT `+contentCols+` FROM content_items WHERE id = ?`, id))
}

// ContentBySlugOrTitle finds an item by its slug or exact title.
func (db *DB) ContentBySlugOrTitle(ctx context.Context, key string) (ContentItem, error) {
	return scanContent(db.r.QueryRowContext(ctx, `SELECT `+contentCols+` FROM content_items WHERE slug = ? OR title = ? ORDER BY slug = ? DESC, id LIMIT 1`, key, key, key))
}

// PublishedContent lists items published at or before now, newest first;
// column "" means every column.
func (db *DB) PublishedContent(ctx context.Context, column string, now time.Time) ([]ContentItem, error) {
	q := `SELECT ` + contentCols + ` FROM content_items WHERE published_at <= ?`
	args := []any{ms(now)}
	if column != "" {
		q += ` AND column_name = ?`
		args = append(args, column)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY published_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("list content: %w", err)
	}
	return collect(rows, scanContent)
}

// ContentColumns lists the columns that have items.
func (db *DB) ContentColumns(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT column_name FROM content_items ORDER BY column_name`)
	if err != nil {
		return nil, fmt.Errorf("list columns: %w", err)
	}
	return collect(rows, func(r rowScanner) (string, error) {
		var c string
		err := r.Scan(&c)
		return c, err
	})
}

// MarkStudied records that a roster entry studied an item. It reports false
// (and the earlier time) when it was already recorded. ack, if its text is
// not empty, is queued in the same transaction.
func (db *DB) MarkStudied(ctx context.Context, itemID, rosterID, memberID, chatID int64, at time.Time, ack func(first bool, when time.Time) bot.Outgoing) (first bool, when time.Time, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var prev int64
		err := tx.QueryRowContext(ctx, `SELECT at FROM study_marks WHERE item_id = ? AND roster_id = ?`, itemID, rosterID).Scan(&prev)
		switch {
		case err == nil:
			first, when = false, fromMS(prev)
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO study_marks(item_id, roster_id, member_id, chat_id, at) VALUES (?, ?, ?, ?, ?)`,
				itemID, rosterID, memberID, nullID(chatID), ms(at)); err != nil {
				return fmt.Errorf("mark studied: %w", err)
			}
			first, when = true, at
		default:
			return fmt.Errorf("read study mark: %w", err)
		}
		if ack != nil {
			if m := ack(first, when); m.Text != "" {
				if _, _, err := EnqueueTx(ctx, tx, m, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return first, when, err
}

// StudyMarks returns, for the roster entries, the set of item ids each has
// studied.
func (db *DB) StudyMarks(ctx context.Context, rosterIDs []int64) (map[int64]map[int64]bool, error) {
	return db.idSets(ctx, "read study marks", `SELECT roster_id, item_id FROM study_marks WHERE roster_id IN (`, rosterIDs)
}

// EnsurePushSchedule records when a schedule was first seen and returns it.
func (db *DB) EnsurePushSchedule(ctx context.Context, name string, now time.Time) (time.Time, error) {
	var first int64
	if err := db.r.QueryRowContext(ctx, `SELECT first_seen FROM push_schedules WHERE name = ?`, name).Scan(&first); err == nil {
		return time.Unix(first, 0), nil
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO push_schedules(name, first_seen) VALUES (?, ?)`, name, now.Unix()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT first_seen FROM push_schedules WHERE name = ?`, name).Scan(&first)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("push schedule %s: %w", name, err)
	}
	return time.Unix(first, 0), nil
}

// PushRun is one handled occurrence of a schedule.
type PushRun struct {
	Schedule   string
	Occurrence time.Time
	Status     string // running, done, skipped, manual
	Skipped    int
	Chats      int
	StartedAt  time.Time
}

func scanPushRun(row rowScanner) (PushRun, error) {
	var (
		r        PushRun
		occ, st  int64
		isManual bool
	)
	err := row.Scan(&r.Schedule, &occ, &r.Status, &isManual, &r.Skipped, &r.Chats, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.Occurrence, r.StartedAt = time.Unix(occ, 0), fromMS(st)
	return r, err
}

const pushRunCols = `schedule, occurrence, status, manual, skipped, chats, started_at`

// LastPushRun is the latest scheduled (not manual) occurrence handled.
func (db *DB) LastPushRun(ctx context.Context, schedule string) (PushRun, error) {
	return scanPushRun(db.r.QueryRowContext(ctx, `SELECT `+pushRunCols+` FROM push_runs WHERE schedule = ? AND manual = 0 ORDER BY occurrence DESC LIMIT 1`, schedule))
}

// RunningPushes lists fan-outs that started and did not finish.
func (db *DB) RunningPushes(ctx context.Context) ([]PushRun, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+pushRunCols+` FROM push_runs WHERE status = 'running' ORDER BY occurrence`)
	if err != nil {
		return nil, fmt.Errorf("list running pushes: %w", err)
	}
	return collect(rows, scanPushRun)
}

// IsManualRun reports whether a running push was started by /push now.
func (db *DB) IsManualRun(ctx context.Context, schedule string, occurrence time.Time) (bool, error) {
	var m bool
	err := db.r.QueryRowContext(ctx, `SELECT manual FROM push_runs WHERE schedule = ? AND occurrence = ?`, schedule, occurrence.Unix()).Scan(&m)
	return m, err
}

// StartPushRun records that an occurrence's fan-out starts. It reports false
// if the occurrence was already handled (or started).
func (db *DB) StartPushRun(ctx context.Context, schedule string, occurrence time.Time, manual bool, now time.Time) (bool, error) {
	res, err := db.w.ExecContext(ctx, `INSERT OR IGNORE INTO push_runs(schedule, occurrence, status, manual, started_at) VALUES (?, ?, 'running', ?, ?)`,
		schedule, occurrence.Unix(), manual, ms(now))
	if err != nil {
		return false, fmt.Errorf("start push %s at %d: %w", schedule, occurrence.Unix(), err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishPushRun marks an occurrence's fan-out complete.
func (db *DB) FinishPushRun(ctx context.Context, schedule string, occurrence time.Time, now time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE push_runs SET status = CASE manual WHEN 1 THEN 'manual' ELSE 'done' END, done_at = ?,
		chats = (SELECT COUNT(*) FROM outbox WHERE idem_key >= ? AND idem_key < ?)
		WHERE schedule = ? AND occurrence = ?`, ms(now), PushKeyPrefix(schedule, occurrence), PushKeyPrefix(schedule, occurrence)+"\U0010FFFF", schedule, occurrence.Unix())
	if err != nil {
		return fmt.Errorf("finish push %s at %d: %w", schedule, occurrence.Unix(), err)
	}
	return nil
}

// SkipPushRuns records that count occurrences up to last were missed beyond
// the catch-up window, and queues notices in the same transaction. It
// reports false when that was already recorded.
func (db *DB) SkipPushRuns(ctx context.Context, schedule string, last time.Time, count int, notices []bot.Outgoing, now time.Time) (bool, error) {
	var ok bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO push_runs(schedule, occurrence, status, skipped, started_at, done_at) VALUES (?, ?, 'skipped', ?, ?, ?)`,
			schedule, last.Unix(), count, ms(now), ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		ok = true
		for _, m := range notices {
			if _, _, err := EnqueueTx(ctx, tx, m, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("skip push %s at %d: %w", schedule, last.Unix(), err)
	}
	return ok, nil
}

// PushKeyPrefix is the outbox idempotency key prefix of one occurrence.
func PushKeyPrefix(schedule string, occurrence time.Time) string {
	return fmt.Sprintf("push:%s:%d:", schedule, occurrence.Unix())
}

// PushSend is one chat's message of a push fan-out.
type PushSend struct {
	Out    bot.Outgoing // IdemKey must be set
	ItemID int64        // the content item sent, 0 for plain text
}

// QueuePushes queues one batch of a fan-out in one transaction: each message
// once (by its IdemKey), with the item it carries recorded for the chat.
func (db *DB) QueuePushes(ctx context.Context, schedule string, occurrence time.Time, sends []PushSend, now time.Time) (int, error) {
	inserted := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for _, s := range sends {
			id, ok, err := EnqueueTx(ctx, tx, s.Out, now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			inserted++
			if s.ItemID != 0 {
				if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO push_deliveries(chat_id, item_id, schedule, occurrence, outbox_id) VALUES (?, ?, ?, ?, ?)`,
					s.Out.ChatID, s.ItemID, schedule, occurrence.Unix(), id); err != nil {
					return fmt.Errorf("record push delivery: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return inserted, fmt.Errorf("queue push %s: %w", schedule, err)
	}
	return inserted, nil
}

// PushedItems returns, per chat, the items already pushed to it.
func (db *DB) PushedItems(ctx context.Context, chatIDs []int64) (map[int64]map[int64]bool, error) {
	return db.idSets(ctx, "read pushed items", `SELECT chat_id, item_id FROM push_deliveries WHERE chat_id IN (`, chatIDs)
}

// PrivateChatsOf finds the private chats the bot has with the members: the
// chat whose platform id is the member's user id (Telegram, WeChat) or
// "private:<id>" (the terminal and the in-memory platform).
func (db *DB) PrivateChatsOf(ctx context.Context, members []bot.Member) ([]bot.Chat, error) {
	var out []bot.Chat
	seen := map[int64]bool{}
	for _, m := range members {
		rows, err := db.r.QueryContext(ctx, `SELECT `+chatCols+` FROM chats WHERE kind = 'private' AND active = 1 AND platform = ? AND external_id IN (?, ?)`,
			m.Platform, m.ExternalID, "private:"+m.ExternalID)
		if err != nil {
			return nil, fmt.Errorf("find private chat of member %d: %w", m.ID, err)
		}
		for rows.Next() {
			c, err := scanChat(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
