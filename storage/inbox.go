package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/branchbot/branchbot/bot"
)

// inboxAdd is one Accept's items for the inbox writer.
type inboxAdd struct {
	platform string
	seq      int64
	entries  []bot.InboxEntry
}

// inboxWriters are the group-commit writers of the inbox: what concurrent
// adapters (webhook posts, several platforms) receive shares transactions,
// and so do the items their handlers finish without committing anything.
type inboxWriters struct {
	add  *groupCommit[inboxAdd, []int64]
	done *groupCommit[int64, struct{}]
}

func newInboxWriters(db *DB) inboxWriters {
	return inboxWriters{
		add: &groupCommit[inboxAdd, []int64]{db: db, name: "store received updates",
			run: func(ctx context.Context, t *Tx, in []inboxAdd) ([][]int64, error) { return t.addInbox(in) }},
		done: &groupCommit[int64, struct{}]{db: db, name: "mark updates handled",
			run: func(ctx context.Context, t *Tx, ids []int64) ([]struct{}, error) {
				return make([]struct{}, len(ids)), t.deleteInbox(ids)
			}},
	}
}

// AddInbox implements bot.Store: it stores received items in one
// transaction, shared with other callers storing at the same moment, and
// raises the platform's cursor to seq. It returns the items' ids in order.
// It waits for the commit even if ctx is cancelled meanwhile: the caller
// must know whether the items were stored.
func (db *DB) AddInbox(ctx context.Context, platform string, seq int64, entries []bot.InboxEntry) ([]int64, error) {
	return db.inbox.add.Do(bot.WithoutReceipt(context.WithoutCancel(ctx)), inboxAdd{platform: platform, seq: seq, entries: entries})
}

func (t *Tx) addInbox(in []inboxAdd) ([][]int64, error) {
	st, err := t.db.txStmt(t.ctx, t.tx, `INSERT INTO inbox(platform, lane, seq, payload, received_at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, fmt.Errorf("store received updates: %w", err)
	}
	out := make([][]int64, len(in))
	for i, a := range in {
		for _, e := range a.entries {
			res, err := st.ExecContext(t.ctx, a.platform, e.Lane, e.Seq, string(e.Payload), ms(e.ReceivedAt))
			if err != nil {
				return nil, fmt.Errorf("store received update: %w", err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], id)
		}
		if a.seq > 0 {
			if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO inbox_cursor(platform, seq) VALUES (?, ?)
				ON CONFLICT(platform) DO UPDATE SET seq = max(seq, excluded.seq)`, a.platform, a.seq); err != nil {
				return nil, fmt.Errorf("raise %s update cursor: %w", a.platform, err)
			}
		}
	}
	return out, nil
}

// InboxCursor implements bot.Store: the highest update id stored for the
// platform, 0 if none.
func (db *DB) InboxCursor(ctx context.Context, platform string) (int64, error) {
	var seq int64
	err := db.readRow(ctx, `SELECT seq FROM inbox_cursor WHERE platform = ?`, platform).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s update cursor: %w", platform, err)
	}
	return seq, nil
}

// PendingInbox implements bot.Store: the platform's items not yet handled,
// in the order they were received.
func (db *DB) PendingInbox(ctx context.Context, platform string) ([]bot.InboxEntry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, platform, lane, seq, payload, received_at FROM inbox WHERE platform = ? ORDER BY id`, platform)
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	return collect(rows, func(r rowScanner) (bot.InboxEntry, error) {
		var (
			e       bot.InboxEntry
			payload string
			at      int64
		)
		err := r.Scan(&e.ID, &e.Platform, &e.Lane, &e.Seq, &payload, &at)
		e.Payload, e.ReceivedAt = []byte(payload), fromMS(at)
		return e, err
	})
}

// InboxDone implements bot.Store: the item was handled by a handler that
// committed nothing (which would have deleted it).
func (db *DB) InboxDone(ctx context.Context, id int64) error {
	_, err := db.inbox.done.Do(bot.WithoutReceipt(ctx), id)
	return err
}

// InboxCount counts the items not yet handled, of every platform; for
// tests and crash checks.
func (db *DB) InboxCount(ctx context.Context) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox`).Scan(&n)
	return n, err
}

func (t *Tx) deleteInbox(ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM inbox WHERE id IN (`+placeholders(len(ids))+`)`, int64Args(ids)...); err != nil {
		return fmt.Errorf("mark updates handled: %w", err)
	}
	return nil
}

// receiptsOf are the receipts still to be used among ctxs' (see
// bot.Receipt): the inbox items whose handling a transaction commits.
func receiptsOf(rs []*bot.Receipt) []int64 {
	var ids []int64
	for _, r := range rs {
		if r != nil {
			ids = append(ids, r.InboxID())
		}
	}
	return ids
}

// useReceipts deletes the inbox items of rs inside t; after the commit the
// receipts are marked used.
func (t *Tx) useReceipts(rs ...*bot.Receipt) error {
	ids := receiptsOf(rs)
	if len(ids) == 0 {
		return nil
	}
	if err := t.deleteInbox(ids); err != nil {
		return err
	}
	t.receipts = append(t.receipts, rs...)
	return nil
}
