package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/study"
)

var (
	_ study.Store = (*DB)(nil)
	_ study.Tx    = (*Tx)(nil)
)

const contentCols = `id, slug, column_name, title, summary, link, body, tags, units, published_at`

func scanContent(row rowScanner) (study.Item, error) {
	var (
		it          study.Item
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
func (db *DB) UpsertContent(ctx context.Context, items []study.Item, now time.Time) (added, updated int, err error) {
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
func (db *DB) ContentItem(ctx context.Context, id int64) (study.Item, error) {
	return scanContent(db.r.QueryRowContext(ctx, `SELECT `+contentCols+` FROM content_items WHERE id = ?`, id))
}

// LatestStudyTask returns the item pushed to the chat most recently whose
// study deadline is after now (bot.ErrNotFound: none).
func (db *DB) LatestStudyTask(ctx context.Context, chatID int64, now time.Time) (study.Item, error) {
	return scanContent(db.r.QueryRowContext(ctx, `SELECT `+contentCols+` FROM content_items WHERE id =
		(SELECT item_id FROM study_tasks WHERE chat_id = ? AND deadline > ? ORDER BY pushed_at DESC LIMIT 1)`, chatID, ms(now)))
}

// ContentBySlugOrTitle finds an item by its slug or exact title.
func (db *DB) ContentBySlugOrTitle(ctx context.Context, key string) (study.Item, error) {
	return scanContent(db.r.QueryRowContext(ctx, `SELECT `+contentCols+` FROM content_items WHERE slug = ? OR title = ? ORDER BY slug = ? DESC, id LIMIT 1`, key, key, key))
}

// PublishedContent lists items published at or before now, newest first;
// column "" means every column.
func (db *DB) PublishedContent(ctx context.Context, column string, now time.Time) ([]study.Item, error) {
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

// UpdateStudy implements study.Store: fn runs in one write transaction.
func (db *DB) UpdateStudy(ctx context.Context, now time.Time, fn func(study.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// StudyMark implements study.Tx.
func (t *Tx) StudyMark(itemID, rosterID int64) (study.Mark, bool, error) {
	m := study.Mark{ItemID: itemID, RosterID: rosterID}
	var (
		chat sql.NullInt64
		at   int64
	)
	err := t.tx.QueryRowContext(t.ctx, `SELECT member_id, chat_id, at FROM study_marks WHERE item_id = ? AND roster_id = ?`,
		itemID, rosterID).Scan(&m.MemberID, &chat, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read study mark: %w", err)
	}
	m.ChatID, m.At = chat.Int64, fromMS(at)
	return m, true, nil
}

// InsertStudyMark implements study.Tx.
func (t *Tx) InsertStudyMark(m study.Mark) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO study_marks(item_id, roster_id, member_id, chat_id, at) VALUES (?, ?, ?, ?, ?)`,
		m.ItemID, m.RosterID, m.MemberID, nullID(m.ChatID), ms(m.At)); err != nil {
		return fmt.Errorf("mark studied: %w", err)
	}
	return nil
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

func scanPushRun(row rowScanner) (study.PushRun, error) {
	var (
		r       study.PushRun
		occ, st int64
	)
	err := row.Scan(&r.Schedule, &occ, &r.Status, &r.Manual, &r.Skipped, &r.Chats, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.Occurrence, r.StartedAt = time.Unix(occ, 0), fromMS(st)
	return r, err
}

const pushRunCols = `schedule, occurrence, status, manual, skipped, chats, started_at`

// LastPushRun is the latest scheduled (not manual) occurrence handled.
func (db *DB) LastPushRun(ctx context.Context, schedule string) (study.PushRun, error) {
	return scanPushRun(db.r.QueryRowContext(ctx, `SELECT `+pushRunCols+` FROM push_runs WHERE schedule = ? AND manual = 0 ORDER BY occurrence DESC LIMIT 1`, schedule))
}

// RunningPushes lists fan-outs that started and did not finish.
func (db *DB) RunningPushes(ctx context.Context) ([]study.PushRun, error) {
	// Every tick: the status is written out so that push_runs_running, a
	// partial index of the runs still running, serves it.
	rows, err := db.r.QueryContext(ctx, `SELECT `+pushRunCols+` FROM push_runs WHERE status = 'running' ORDER BY occurrence`)
	if err != nil {
		return nil, fmt.Errorf("list running pushes: %w", err)
	}
	return collect(rows, scanPushRun)
}

// InsertPushRun implements study.Tx: INSERT OR IGNORE on the run's
// (schedule, occurrence).
func (t *Tx) InsertPushRun(r study.PushRun) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT OR IGNORE INTO push_runs(schedule, occurrence, status, manual, skipped, chats, started_at, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Schedule, r.Occurrence.Unix(), r.Status, r.Manual, r.Skipped, r.Chats, ms(r.StartedAt), nullTime(r.DoneAt))
	if err != nil {
		return false, fmt.Errorf("record push %s at %d: %w", r.Schedule, r.Occurrence.Unix(), err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishPushRun implements study.Tx.
func (t *Tx) FinishPushRun(r study.PushRun) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE push_runs SET status = ?, chats = ?, done_at = ? WHERE schedule = ? AND occurrence = ?`,
		r.Status, r.Chats, nullTime(r.DoneAt), r.Schedule, r.Occurrence.Unix())
	if err != nil {
		return fmt.Errorf("finish push %s at %d: %w", r.Schedule, r.Occurrence.Unix(), err)
	}
	return nil
}

// RecordPushDelivery implements study.Tx.
func (t *Tx) RecordPushDelivery(d study.Delivery) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT OR IGNORE INTO push_deliveries(chat_id, item_id, schedule, occurrence, outbox_id) VALUES (?, ?, ?, ?, ?)`,
		d.ChatID, d.ItemID, d.Schedule, d.Occurrence.Unix(), d.OutboxID); err != nil {
		return fmt.Errorf("record push delivery: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT OR IGNORE INTO study_tasks(chat_id, item_id, pushed_at, deadline) VALUES (?, ?, ?, ?)`,
		d.ChatID, d.ItemID, ms(d.Pushed), ms(d.Due)); err != nil {
		return fmt.Errorf("record study task of item %d in chat %d: %w", d.ItemID, d.ChatID, err)
	}
	return nil
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
