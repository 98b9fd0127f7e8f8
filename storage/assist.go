package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/commands/assist"
)

// This file holds the storage of the optional model features
// (commands/assist): per-group retention of recent messages and the daily
// request budget.

var (
	_ assist.Store = (*DB)(nil)
	_ assist.Tx    = (*Tx)(nil)
)

// UpdateAssist implements assist.Store: fn runs in one write transaction.
func (db *DB) UpdateAssist(ctx context.Context, now time.Time, fn func(assist.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

const retentionCols = `chat_id, window_ms, set_by, set_at`

func scanRetention(row rowScanner) (assist.Retention, error) {
	var (
		r               assist.Retention
		windowMS, setAt int64
		setBy           sql.NullInt64
	)
	err := row.Scan(&r.ChatID, &windowMS, &setBy, &setAt)
	r.Window, r.SetBy, r.SetAt = time.Duration(windowMS)*time.Millisecond, setBy.Int64, fromMS(setAt)
	return r, err
}

// AssistRetention returns the chat's retention; ok is false when the chat
// has not opted in.
// It is read for every group message (assist.Feature.Observe), hence the
// statement prepared once.
func (db *DB) AssistRetention(ctx context.Context, chatID int64) (assist.Retention, bool, error) {
	r, err := scanRetention(db.readRow(ctx, `SELECT `+retentionCols+` FROM assist_retention WHERE chat_id = ?`, chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("retention of chat %d: %w", chatID, err)
	}
	return r, true, nil
}

// AssistRetentions implements assist.Tx.
func (t *Tx) AssistRetentions() ([]assist.Retention, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+retentionCols+` FROM assist_retention ORDER BY chat_id`)
	if err != nil {
		return nil, fmt.Errorf("list retentions: %w", err)
	}
	return collect(rows, scanRetention)
}

// SaveAssistRetention implements assist.Tx.
func (t *Tx) SaveAssistRetention(r assist.Retention) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO assist_retention(chat_id, window_ms, set_by, set_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(chat_id) DO UPDATE SET window_ms = excluded.window_ms, set_by = excluded.set_by, set_at = excluded.set_at`,
		r.ChatID, r.Window.Milliseconds(), nullID(r.SetBy), ms(r.SetAt)); err != nil {
		return fmt.Errorf("set retention of chat %d: %w", r.ChatID, err)
	}
	return nil
}

// DeleteAssistRetention implements assist.Tx.
func (t *Tx) DeleteAssistRetention(chatID int64) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM assist_retention WHERE chat_id = ?`, chatID)
	if err != nil {
		return false, fmt.Errorf("clear retention of chat %d: %w", chatID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DropRetainedMessagesBefore implements assist.Tx, along the (chat_id, at)
// index.
func (t *Tx) DropRetainedMessagesBefore(chatID int64, before time.Time) (int, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM assist_messages WHERE chat_id = ? AND at < ?`, chatID, ms(before))
	if err != nil {
		return 0, fmt.Errorf("trim retained messages of chat %d: %w", chatID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DropRetainedMessages implements assist.Tx.
func (t *Tx) DropRetainedMessages(chatID int64) (int, error) {
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM assist_messages WHERE chat_id = ?`, chatID)
	if err != nil {
		return 0, fmt.Errorf("delete retained messages of chat %d: %w", chatID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RetainMessage stores a message for a chat's summaries. The insert is
// conditional on the chat's retention, so that a message read while the
// chat opts out is not kept after it: it stores nothing, and returns false,
// if the chat has no retention when it is written.
func (db *DB) RetainMessage(ctx context.Context, m assist.RetainedMessage) (bool, error) {
	res, err := db.w.ExecContext(ctx, `INSERT INTO assist_messages(chat_id, member_id, sender, text, at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM assist_retention WHERE chat_id = ?)`,
		m.ChatID, nullID(m.MemberID), m.Sender, m.Text, ms(m.At), m.ChatID)
	if err != nil {
		return false, fmt.Errorf("retain message in chat %d: %w", m.ChatID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RetainedMessages lists a chat's retained messages said at or after since,
// oldest first; at most the newest limit of them.
func (db *DB) RetainedMessages(ctx context.Context, chatID int64, since time.Time, limit int) ([]assist.RetainedMessage, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, chat_id, COALESCE(member_id, 0), sender, text, at FROM (
			SELECT * FROM assist_messages WHERE chat_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, chatID, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("retained messages of chat %d: %w", chatID, err)
	}
	return collect(rows, func(r rowScanner) (assist.RetainedMessage, error) {
		var m assist.RetainedMessage
		var at int64
		err := r.Scan(&m.ID, &m.ChatID, &m.MemberID, &m.Sender, &m.Text, &at)
		m.At = fromMS(at)
		return m, err
	})
}

// CountRetainedMessages counts a chat's retained messages.
func (db *DB) CountRetainedMessages(ctx context.Context, chatID int64) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM assist_messages WHERE chat_id = ?`, chatID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count retained messages of chat %d: %w", chatID, err)
	}
	return n, nil
}

// AssistUsage implements assist.Tx.
func (t *Tx) AssistUsage(day string) (assist.Usage, error) {
	return scanUsage(day, t.tx.QueryRowContext(t.ctx, usageQuery, day))
}

// CountAssistRequest implements assist.Tx.
func (t *Tx) CountAssistRequest(day string) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO assist_budget(day, requests) VALUES (?, 1)
		ON CONFLICT(day) DO UPDATE SET requests = requests + 1`, day); err != nil {
		return fmt.Errorf("count model request for %s: %w", day, err)
	}
	return nil
}

const usageQuery = `SELECT requests, failures, prompt_tokens, completion_tokens FROM assist_budget WHERE day = ?`

func scanUsage(day string, row rowScanner) (assist.Usage, error) {
	u := assist.Usage{Day: day}
	err := row.Scan(&u.Requests, &u.Failures, &u.PromptTokens, &u.CompletionTokens)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("model usage for %s: %w", day, err)
	}
	return u, nil
}

// RecordAssistResult adds a finished request's tokens (or its failure) to
// day's usage.
func (db *DB) RecordAssistResult(ctx context.Context, day string, failed bool, promptTokens, completionTokens int) error {
	f := 0
	if failed {
		f = 1
	}
	_, err := db.w.ExecContext(ctx, `UPDATE assist_budget SET failures = failures + ?,
		prompt_tokens = prompt_tokens + ?, completion_tokens = completion_tokens + ? WHERE day = ?`,
		f, promptTokens, completionTokens, day)
	if err != nil {
		return fmt.Errorf("record model usage for %s: %w", day, err)
	}
	return nil
}

// AssistUsageOn returns day's usage (zero if nothing was used).
func (db *DB) AssistUsageOn(ctx context.Context, day string) (assist.Usage, error) {
	return scanUsage(day, db.r.QueryRowContext(ctx, usageQuery, day))
}

// PrivacyPeople lists everyone the bot knows by name: every roster entry
// with the display names of its linked members, then every unlinked member.
func (db *DB) PrivacyPeople(ctx context.Context) ([]assist.PrivacyPerson, error) {
	roster, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster ORDER BY id`)
	if err != nil {
		return nil, err
	}
	out := make([]assist.PrivacyPerson, 0, len(roster))
	idx := make(map[int64]int, len(roster))
	for _, r := range roster {
		idx[r.ID] = len(out)
		out = append(out, assist.PrivacyPerson{RosterID: r.ID, Name: r.Name, Number: r.Number, Phone: r.Phone})
	}
	// Every name a member has had (member_names, migration 0501): a former
	// display name still stands in older messages and tickets.
	rows, err := db.r.QueryContext(ctx, `SELECT m.id, m.name, COALESCE(m.roster_id, 0), COALESCE(n.name, '')
		FROM members m LEFT JOIN member_names n ON n.member_id = m.id AND n.name != m.name
		WHERE m.name != '' ORDER BY m.id, n.first_seen, n.name`)
	if err != nil {
		return nil, fmt.Errorf("member names: %w", err)
	}
	defer rows.Close()
	unlinked := map[int64]int{} // member id → index in out
	for rows.Next() {
		var id, rosterID int64
		var name, former string
		if err := rows.Scan(&id, &name, &rosterID, &former); err != nil {
			return nil, err
		}
		if i, ok := idx[rosterID]; ok && rosterID != 0 {
			if !slices.Contains(out[i].Aliases, name) {
				out[i].Aliases = append(out[i].Aliases, name)
			}
			if former != "" && !slices.Contains(out[i].Aliases, former) {
				out[i].Aliases = append(out[i].Aliases, former)
			}
			continue
		}
		i, ok := unlinked[id]
		if !ok {
			i = len(out)
			unlinked[id] = i
			out = append(out, assist.PrivacyPerson{MemberID: id, Name: name})
		}
		if former != "" {
			out[i].Aliases = append(out[i].Aliases, former)
		}
	}
	return out, rows.Err()
}
