package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

const outboxCols = `o.id, o.chat_id, o.text, o.buttons, COALESCE(o.mention_member, 0), o.reply_to, COALESCE(o.idem_key, ''),
	o.merge_key, COALESCE(o.edit_of, 0), o.bulk, o.not_before, o.state, o.attempts, o.last_error, o.platform_msg_id,
	o.created_at, o.delivered_at, c.platform, c.external_id, c.kind, c.active,
	COALESCE(m.external_id, ''), COALESCE(m.name, ''), o.file, o.parts_sent, o.mentions`

const outboxFrom = ` FROM outbox o JOIN chats c ON c.id = o.chat_id LEFT JOIN members m ON m.id = o.mention_member `

func scanOutbox(row rowScanner) (bot.OutboxMessage, error) {
	var (
		m                    bot.OutboxMessage
		buttons, state, kind string
		notBefore, created   int64
		delivered            sql.NullInt64
		mentionID, mention   string
		mentions             string
	)
	err := row.Scan(&m.ID, &m.ChatID, &m.Text, &buttons, &m.MentionMember, &m.ReplyTo, &m.IdemKey,
		&m.MergeKey, &m.EditOf, &m.Bulk, &notBefore, &state, &m.Attempts, &m.LastError, &m.PlatformMsgID,
		&created, &delivered, &m.Platform, &m.ChatExternalID, &kind, &m.ChatActive, &mentionID, &mention, &m.File, &m.PartsSent, &mentions)
	if errors.Is(err, sql.ErrNoRows) {
		return m, bot.ErrNotFound
	}
	if err != nil {
		return m, err
	}
	if buttons != "" {
		if err := json.Unmarshal([]byte(buttons), &m.Buttons); err != nil {
			return m, fmt.Errorf("outbox %d: buttons: %w", m.ID, err)
		}
	}
	if m.MentionMember != 0 {
		m.Mention = &bot.Mention{UserID: mentionID, Name: mention}
	}
	if mentions != "" {
		if err := json.Unmarshal([]byte(mentions), &m.Mentions); err != nil {
			return m, fmt.Errorf("outbox %d: mentions: %w", m.ID, err)
		}
	}
	m.State, m.ChatKind = bot.OutboxState(state), bot.ChatKind(kind)
	m.NotBefore, m.CreatedAt, m.DeliveredAt = fromMS(notBefore), fromMS(created), nullMS(delivered)
	return m, nil
}

// encodeMentions stores the members a message names, ” for none.
func encodeMentions(ms []bot.Mention) (string, error) {
	if len(ms) == 0 {
		return "", nil
	}
	j, err := json.Marshal(ms)
	return string(j), err
}

func encodeButtons(b [][]bot.Button) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	j, err := json.Marshal(b)
	return string(j), err
}

// Enqueue implements bot.Store. In one transaction it honours the idempotency
// key, turns an edit of a message that is still unsent into a change of that
// message, and lets a message with a merge key replace the pending one with
// the same key: in place for a plain snapshot (it keeps that one's place in
// the queue and its id), else by superseding it.
func (db *DB) Enqueue(ctx context.Context, m bot.Outgoing, now time.Time) (id int64, inserted bool, err error) {
	err = db.Update(ctx, now, func(t *Tx) error {
		id, inserted, err = t.Enqueue(m)
		return err
	})
	return id, inserted, err
}

// enqueueTx queues m in tx and reports the platform of its chat.
func enqueueTx(ctx context.Context, tx *sql.Tx, m bot.Outgoing, buttons string, now time.Time) (int64, bool, string, error) {
	var id int64
	if m.IdemKey != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM outbox WHERE idem_key = ?`, m.IdemKey).Scan(&id)
		if err == nil {
			return id, false, "", nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, "", fmt.Errorf("check idempotency key: %w", err)
		}
	}
	var platform string
	if err := tx.QueryRowContext(ctx, `SELECT platform FROM chats WHERE id = ?`, m.ChatID).Scan(&platform); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, "", fmt.Errorf("chat %d: %w", m.ChatID, bot.ErrNotFound)
		}
		return 0, false, "", err
	}
	if m.EditOf != 0 {
		var (
			state string
			parts int
		)
		if err := tx.QueryRowContext(ctx, `SELECT state, parts_sent FROM outbox WHERE id = ?`, m.EditOf).Scan(&state, &parts); err != nil {
			return 0, false, "", fmt.Errorf("message %d to edit: %w", m.EditOf, err)
		}
		if state == string(bot.OutboxPending) && parts == 0 {
			// Not sent yet: change it instead of sending an edit later.
			_, err := tx.ExecContext(ctx, `UPDATE outbox SET text = ?, buttons = ? WHERE id = ?`, m.Text, buttons, m.EditOf)
			return m.EditOf, false, platform, err
		}
	}
	mentions, err := encodeMentions(m.Mentions)
	if err != nil {
		return 0, false, "", fmt.Errorf("encode mentions: %w", err)
	}
	if m.MergeKey != "" {
		if m.IdemKey == "" && m.EditOf == 0 && m.NotBefore.IsZero() {
			// A snapshot takes the place of its still-unsent predecessor
			// (see snapshotReplaceSQL).
			err := tx.QueryRowContext(ctx, `UPDATE outbox SET text = ?, buttons = ?, mention_member = ?, mentions = ?, reply_to = ?, bulk = ?
				WHERE chat_id = ? AND merge_key = ? AND merge_key != '' AND state = 'pending' AND +edit_of IS NULL AND +idem_key IS NULL AND parts_sent = 0 RETURNING id`,
				m.Text, buttons, nullID(m.MentionMember), mentions, m.ReplyTo, m.Bulk, m.ChatID, m.MergeKey).Scan(&id)
			if err == nil {
				return id, false, platform, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return 0, false, "", fmt.Errorf("replace %s: %w", m.MergeKey, err)
			}
		}
		// (merge_key != '' lets SQLite use the partial index outbox_merge.)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'superseded' WHERE chat_id = ? AND merge_key = ? AND merge_key != '' AND state = 'pending'`,
			m.ChatID, m.MergeKey); err != nil {
			return 0, false, "", fmt.Errorf("supersede %s: %w", m.MergeKey, err)
		}
	}
	notBefore := m.NotBefore
	if notBefore.IsZero() {
		notBefore = now
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO outbox(chat_id, platform, text, buttons, mention_member, mentions, reply_to, idem_key, merge_key, edit_of, bulk, not_before, created_at, file)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ChatID, platform, m.Text, buttons, nullID(m.MentionMember), mentions, m.ReplyTo, nullStr(m.IdemKey), m.MergeKey, nullID(m.EditOf), m.Bulk, ms(notBefore), ms(now), m.File)
	if err != nil {
		return 0, false, "", fmt.Errorf("insert outbox: %w", err)
	}
	id, err = res.LastInsertId()
	return id, true, platform, err
}

// CountQueued counts the messages ever queued, in any state, whose
// idempotency key starts with prefix (e.g. every group's message of one
// push).
func (t *Tx) CountQueued(prefix string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM outbox WHERE idem_key >= ? AND idem_key < ?`, prefix, prefix+"\U0010FFFF").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count messages queued as %s…: %w", prefix, err)
	}
	return n, nil
}

// OutboxHeads implements bot.Store. A message scheduled for later (a
// NotBefore in the future, never attempted) does not hold back the messages
// queued after it in the same chat; a message waiting to be retried does, so
// that a chat's messages keep their order.
//
// It reads one head per waiting chat, whatever the backlog behind it: the
// chats with pending messages are found by skipping from one to the next
// along outbox_pending, and each chat's head is its first message that may
// go (usually its first). Grouping every pending message by chat read the
// whole backlog (a broadcast's thousands, every retry held by a 429) on
// every round of the sender. Each head is joined by its id, so the only
// temporary b-tree is the final sort of the heads (`o.id IN (…)` built one
// more); the sender reads the heads after every message queued.
func (db *DB) OutboxHeads(ctx context.Context, platform string, now time.Time, limit int) ([]bot.OutboxMessage, error) {
	rows, err := db.readRows(ctx, `WITH RECURSIVE waiting(chat) AS (
			SELECT (SELECT MIN(chat_id) FROM outbox WHERE platform = ?1 AND state = 'pending')
			UNION ALL
			SELECT (SELECT MIN(chat_id) FROM outbox WHERE platform = ?1 AND state = 'pending' AND chat_id > chat)
			FROM waiting WHERE chat IS NOT NULL)
		SELECT `+outboxCols+` FROM waiting w
		JOIN outbox o ON o.id = (SELECT MIN(id) FROM outbox WHERE platform = ?1 AND state = 'pending' AND chat_id = w.chat
		                         AND (not_before <= ?2 OR attempts > 0 OR last_error != ''))
		JOIN chats c ON c.id = o.chat_id LEFT JOIN members m ON m.id = o.mention_member
		WHERE w.chat IS NOT NULL AND o.not_before <= ?2
		ORDER BY o.bulk, o.id LIMIT ?3`, platform, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("query outbox heads: %w", err)
	}
	return collect(rows, scanOutbox)
}

// PendingMerged implements broadcast.Tx, along outbox_merge.
func (t *Tx) PendingMerged(chatID int64, mergeKey string) (string, bool, error) {
	var text string
	err := t.tx.QueryRowContext(t.ctx, `SELECT text FROM outbox WHERE chat_id = ? AND merge_key = ? AND state = 'pending' AND merge_key != ''
		ORDER BY id DESC LIMIT 1`, chatID, mergeKey).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("pending message %q of chat %d: %w", mergeKey, chatID, err)
	}
	return text, true, nil
}

// OutboxFollowing implements bot.Store.
func (db *DB) OutboxFollowing(ctx context.Context, chatID, afterID int64, now time.Time, limit int) ([]bot.OutboxMessage, error) {
	// Naming the chat's platform lets SQLite walk the chat's pending messages
	// in outbox_pending instead of every message after afterID.
	return db.outboxQuery(ctx, `SELECT `+outboxCols+outboxFrom+`
		WHERE o.platform = (SELECT platform FROM chats WHERE chats.id = ?1) AND o.chat_id = ?1
		  AND o.id > ?2 AND o.state = 'pending' AND o.not_before <= ?3
		ORDER BY o.id LIMIT ?4`, chatID, afterID, ms(now), limit)
}

// OlderReplyElsewhere implements bot.Store.
func (db *DB) OlderReplyElsewhere(ctx context.Context, platform string, chatID, id int64, now time.Time) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE platform = ? AND state = 'pending'
		AND id < ? AND chat_id != ? AND bulk = 0 AND not_before <= ? LIMIT 1)`, platform, id, chatID, ms(now)).Scan(&n)
	return n > 0, err
}

// OutboxMessage implements bot.Store.
func (db *DB) OutboxMessage(ctx context.Context, id int64) (bot.OutboxMessage, error) {
	return scanOutbox(db.r.QueryRowContext(ctx, `SELECT `+outboxCols+outboxFrom+` WHERE o.id = ?`, id))
}

// OutboxByIdemPrefix lists messages whose idempotency key starts with prefix
// (e.g. every message of one broadcast), by id.
func (db *DB) OutboxByIdemPrefix(ctx context.Context, prefix string) ([]bot.OutboxMessage, error) {
	return db.outboxQuery(ctx, `SELECT `+outboxCols+outboxFrom+` WHERE o.idem_key >= ? AND o.idem_key < ? ORDER BY o.id`, prefix, prefix+"\U0010FFFF")
}

// OutboxOfChat lists a chat's messages, newest last; for tests and status.
func (db *DB) OutboxOfChat(ctx context.Context, chatID int64) ([]bot.OutboxMessage, error) {
	return db.outboxQuery(ctx, `SELECT `+outboxCols+outboxFrom+` WHERE o.chat_id = ? ORDER BY o.id`, chatID)
}

func (db *DB) outboxQuery(ctx context.Context, q string, args ...any) ([]bot.OutboxMessage, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query outbox: %w", err)
	}
	return collect(rows, scanOutbox)
}

// NextOutboxDue implements bot.Store.
func (db *DB) NextOutboxDue(ctx context.Context, platform string, after time.Time) (time.Time, bool, error) {
	var v sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT MIN(not_before) FROM outbox WHERE platform = ? AND state = 'pending' AND not_before > ?`, platform, ms(after)).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return fromMS(v.Int64), true, nil
}

// MarkDelivered implements bot.Store.
func (db *DB) MarkDelivered(ctx context.Context, ids []int64, platformMsgID string, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'delivered', platform_msg_id = ?, delivered_at = ?, last_error = '' WHERE id = ?`,
				platformMsgID, ms(at), id); err != nil {
				return fmt.Errorf("mark %d delivered: %w", id, err)
			}
		}
		return nil
	})
}

// MarkSending implements bot.Store. It switches the still-pending messages
// to sending and returns their content as it is at that moment, in id order.
func (db *DB) MarkSending(ctx context.Context, ids []int64) ([]bot.ClaimedMessage, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := db.w.QueryContext(ctx, `UPDATE outbox SET state = 'sending' WHERE state = 'pending' AND id IN (`+placeholders(len(ids))+`)
		RETURNING id, text, buttons, parts_sent`, int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("mark sending: %w", err)
	}
	claimed, err := collect(rows, func(r rowScanner) (bot.ClaimedMessage, error) {
		var (
			c       bot.ClaimedMessage
			buttons string
		)
		if err := r.Scan(&c.ID, &c.Text, &buttons, &c.PartsSent); err != nil {
			return c, err
		}
		if buttons != "" {
			if err := json.Unmarshal([]byte(buttons), &c.Buttons); err != nil {
				return c, fmt.Errorf("outbox %d: buttons: %w", c.ID, err)
			}
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark sending: %w", err)
	}
	slices.SortFunc(claimed, func(a, b bot.ClaimedMessage) int { return cmp.Compare(a.ID, b.ID) })
	return claimed, nil
}

// ResetSending implements bot.Store.
func (db *DB) ResetSending(ctx context.Context, platform string) (int, error) {
	res, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'pending' WHERE platform = ? AND state = 'sending'`, platform)
	if err != nil {
		return 0, fmt.Errorf("reset interrupted sends: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MarkRetry implements bot.Store.
func (db *DB) MarkRetry(ctx context.Context, id int64, notBefore time.Time, countAttempt bool, errText string) error {
	inc := 0
	if countAttempt {
		inc = 1
	}
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'pending', not_before = ?, attempts = attempts + ?, last_error = ? WHERE id = ? AND state IN ('pending', 'sending')`,
		ms(notBefore), inc, errText, id)
	return err
}

// MarkUnknown implements bot.Store.
func (db *DB) MarkUnknown(ctx context.Context, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'unknown', last_error = ? WHERE state IN ('pending', 'sending') AND id IN (`+placeholders(len(ids))+`)`,
		append([]any{reason}, int64Args(ids)...)...)
	return err
}

// MarkPartsSent implements bot.Store.
func (db *DB) MarkPartsSent(ctx context.Context, id int64, n int) error {
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET parts_sent = ? WHERE id = ?`, n, id)
	return err
}

// MarkFailed implements bot.Store.
func (db *DB) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := db.w.ExecContext(ctx, `UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ? AND state IN ('pending', 'sending')`, reason, id)
	return err
}

// PendingCount implements bot.Store.
func (db *DB) PendingCount(ctx context.Context, platform string, now time.Time) (int, error) {
	var n int
	// Two counts, each served by a partial index (outbox_pending,
	// outbox_sending): it is polled while the bot drains at exit.
	err := db.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM outbox WHERE platform = ?1 AND state = 'pending' AND not_before <= ?2)
		+ (SELECT COUNT(*) FROM outbox WHERE platform = ?1 AND state = 'sending' AND not_before <= ?2)`, platform, ms(now)).Scan(&n)
	return n, err
}

// CancelQueued withdraws the pending messages whose idempotency key starts
// with prefix (a scheduled broadcast taken back): they become cancelled and
// are never sent. It reports how many it withdrew, and how many of those
// keys had left the queue already (sending or delivered), which it cannot
// take back.
func (t *Tx) CancelQueued(prefix string) (cancelled, gone int, err error) {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE outbox SET state = ? WHERE idem_key >= ? AND idem_key < ? AND state = 'pending'`,
		bot.OutboxCancelled, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return 0, 0, fmt.Errorf("cancel messages queued as %s…: %w", prefix, err)
	}
	n, _ := res.RowsAffected()
	err = t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*) FROM outbox WHERE idem_key >= ? AND idem_key < ? AND state IN ('sending', 'delivered')`,
		prefix, prefix+"\U0010FFFF").Scan(&gone)
	if err != nil {
		return 0, 0, fmt.Errorf("count messages queued as %s…: %w", prefix, err)
	}
	return int(n), gone, nil
}
