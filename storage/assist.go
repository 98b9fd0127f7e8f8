package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// This file holds the storage of the optional model features
// (commands/assist): per-group retention of recent messages and the daily
// request budget.

// RetainedMessage is one group message kept for /summary.
type RetainedMessage struct {
	ID       int64
	ChatID   int64
	MemberID int64
	Sender   string // roster name if linked, else display name, when it was said
	Text     string
	At       time.Time
}

// Retention is a group's opt-in to keep its recent messages.
type Retention struct {
	ChatID int64
	Window time.Duration
	SetBy  int64
	SetAt  time.Time
}

// AssistRetention returns the chat's retention; ok is false when the chat
// has not opted in.
func (db *DB) AssistRetention(ctx context.Context, chatID int64) (r Retention, ok bool, err error) {
	var windowMS, setAt int64
	var setBy sql.NullInt64
	err = db.r.QueryRowContext(ctx, `SELECT chat_id, window_ms, set_by, set_at FROM assist_retention WHERE chat_id = ?`, chatID).
		Scan(&r.ChatID, &windowMS, &setBy, &setAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("retention of chat %d: %w", chatID, err)
	}
	r.Window, r.SetBy, r.SetAt = time.Duration(windowMS)*time.Millisecond, setBy.Int64, fromMS(setAt)
	return r, true, nil
}

// SetAssistRetention opts a chat in (or changes its window) and drops
// retained messages that fall outside the new window.
func (db *DB) SetAssistRetention(ctx context.Context, r Retention) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assist_retention(chat_id, window_ms, set_by, set_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(chat_id) DO UPDATE SET window_ms = excluded.window_ms, set_by = excluded.set_by, set_at = excluded.set_at`,
			r.ChatID, r.Window.Milliseconds(), nullID(r.SetBy), ms(r.SetAt)); err != nil {
			return fmt.Errorf("set retention of chat %d: %w", r.ChatID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM assist_messages WHERE chat_id = ? AND at < ?`,
			r.ChatID, ms(r.SetAt.Add(-r.Window))); err != nil {
			return fmt.Errorf("trim retained messages of chat %d: %w", r.ChatID, err)
		}
		return nil
	})
}

// ClearAssistRetention opts a chat out and deletes every message retained
// for it. It returns how many messages were deleted and whether the chat had
// opted in.
func (db *DB) ClearAssistRetention(ctx context.Context, chatID int64) (deleted int, was bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM assist_retention WHERE chat_id = ?`, chatID)
		if err != nil {
			return fmt.Errorf("clear retention of chat %d: %w", chatID, err)
		}
		n, _ := res.RowsAffected()
		was = n > 0
		res, err = tx.ExecContext(ctx, `DELETE FROM assist_messages WHERE chat_id = ?`, chatID)
		if err != nil {
			return fmt.Errorf("delete retained messages of chat %d: %w", chatID, err)
		}
		n, _ = res.RowsAffected()
		deleted = int(n)
		return nil
	})
	return deleted, was, err
}

// RetainMessage stores a message of a chat that has opted in. It stores
// nothing, and returns false, if the chat has not.
func (db *DB) RetainMessage(ctx context.Context, m RetainedMessage) (bool, error) {
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
func (db *DB) RetainedMessages(ctx context.Context, chatID int64, since time.Time, limit int) ([]RetainedMessage, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, chat_id, COALESCE(member_id, 0), sender, text, at FROM (
			SELECT * FROM assist_messages WHERE chat_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, chatID, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("retained messages of chat %d: %w", chatID, err)
	}
	return collect(rows, func(r rowScanner) (RetainedMessage, error) {
		var m RetainedMessage
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

// PurgeRetainedMessages deletes every retained message older than its
// chat's window at now, one chat at a time along the (chat_id, at) index.
// It returns how many it deleted. (Messages of chats that opted out are
// deleted with the opt-out itself, by ClearAssistRetention.)
func (db *DB) PurgeRetainedMessages(ctx context.Context, now time.Time) (int, error) {
	deleted := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT chat_id, window_ms FROM assist_retention ORDER BY chat_id`)
		if err != nil {
			return err
		}
		type cut struct{ chat, before int64 }
		var cuts []cut
		for rows.Next() {
			var chat, window int64
			if err := rows.Scan(&chat, &window); err != nil {
				rows.Close()
				return err
			}
			cuts = append(cuts, cut{chat, ms(now) - window})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range cuts {
			res, err := tx.ExecContext(ctx, `DELETE FROM assist_messages WHERE chat_id = ? AND at < ?`, c.chat, c.before)
			if err != nil {
				return fmt.Errorf("chat %d: %w", c.chat, err)
			}
			n, _ := res.RowsAffected()
			deleted += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("purge retained messages: %w", err)
	}
	return deleted, nil
}

// AssistUsage is one day's use of the model.
type AssistUsage struct {
	Day              string
	Requests         int // requests sent (or attempted), successful or not
	Failures         int
	PromptTokens     int
	CompletionTokens int
}

// ReserveAssistRequest counts one request against day's budget of limit
// requests. It returns false, counting nothing, when the budget is used up.
func (db *DB) ReserveAssistRequest(ctx context.Context, day string, limit int) (bool, error) {
	res, err := db.w.ExecContext(ctx, `INSERT INTO assist_budget(day, requests) SELECT ?, 1 WHERE ? > 0
		ON CONFLICT(day) DO UPDATE SET requests = requests + 1 WHERE requests < ?`, day, limit, limit)
	if err != nil {
		return false, fmt.Errorf("reserve model request for %s: %w", day, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
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
func (db *DB) AssistUsageOn(ctx context.Context, day string) (AssistUsage, error) {
	u := AssistUsage{Day: day}
	err := db.r.QueryRowContext(ctx, `SELECT requests, failures, prompt_tokens, completion_tokens FROM assist_budget WHERE day = ?`, day).
		Scan(&u.Requests, &u.Failures, &u.PromptTokens, &u.CompletionTokens)
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	if err != nil {
		return u, fmt.Errorf("model usage for %s: %w", day, err)
	}
	return u, nil
}

// PrivacyPerson is someone whose identifying details must not leave the bot:
// a roster entry (with its linked members' display names) or an unlinked
// member.
type PrivacyPerson struct {
	RosterID int64
	MemberID int64    // for an unlinked member
	Name     string   // roster name, or the unlinked member's display name
	Aliases  []string // display names of linked members
	Number   string   // 学号/工号
	Phone    string
}

// PrivacyPeople lists everyone the bot knows by name: every roster entry
// with the display names of its linked members, then every unlinked member.
func (db *DB) PrivacyPeople(ctx context.Context) ([]PrivacyPerson, error) {
	roster, err := db.rosterQuery(ctx, `SELECT `+rosterCols+` FROM roster ORDER BY id`)
	if err != nil {
		return nil, err
	}
	out := make([]PrivacyPerson, 0, len(roster))
	idx := make(map[int64]int, len(roster))
	for _, r := range roster {
		idx[r.ID] = len(out)
		out = append(out, PrivacyPerson{RosterID: r.ID, Name: r.Name, Number: r.Number, Phone: r.Phone})
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, COALESCE(roster_id, 0) FROM members WHERE name != '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("member names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, rosterID int64
		var name string
		if err := rows.Scan(&id, &name, &rosterID); err != nil {
			return nil, err
		}
		if i, ok := idx[rosterID]; ok && rosterID != 0 {
			out[i].Aliases = append(out[i].Aliases, name)
			continue
		}
		out = append(out, PrivacyPerson{MemberID: id, Name: name})
	}
	return out, rows.Err()
}
