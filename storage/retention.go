package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/commands/broadcast"
)

// Outbox retention. A message that has left the queue (delivered, failed
// for good, or superseded by a newer snapshot) is only history once it is
// older than the retention window: PruneOutbox deletes such messages in
// small batches, each its own short write transaction, so pruning a backlog
// of years never holds up a check-in for long. Before a broadcast's message
// goes, its delivery is kept in broadcast_deliveries (/broadcast status
// reads both). A message something still refers to stays: the list of a
// relay still open, the announcement or result of a check-in still open,
// and a message a pending edit changes. Once the relay or session is
// closed, the reference is cleared and the message goes at the next pass.
//
// Deleted rows leave free pages in the file, which later rows reuse: the
// file stops growing once the window is full, and does not shrink by
// itself (VACUUM does that; see README, Retention).

// pruneBatch is how many messages one transaction deletes at most.
const pruneBatch = 500

// The statements of a pruning batch; the batch's ids are one JSON array
// parameter.
const (
	// A window of messages in id order (ids grow with queueing time).
	pruneWindowSQL  = `SELECT id, created_at, state IN ('delivered', 'failed', 'superseded') FROM outbox WHERE id > ? ORDER BY id LIMIT ?`
	pruneArchiveSQL = `INSERT INTO broadcast_deliveries(broadcast_id, chat_id, state, attempts, last_error, delivered_at)
		SELECT CAST(substr(o.idem_key, 4, instr(substr(o.idem_key, 4), ':') - 1) AS INTEGER), o.chat_id, o.state, o.attempts, o.last_error, o.delivered_at
		FROM json_each(?) j JOIN outbox o ON o.id = j.value
		WHERE o.idem_key >= 'bc:' AND o.idem_key < 'bc;' AND o.state IN ('delivered', 'failed')
		  AND CAST(substr(o.idem_key, 4, instr(substr(o.idem_key, 4), ':') - 1) AS INTEGER) IN (SELECT id FROM broadcasts)
		ON CONFLICT DO NOTHING`
	pruneRelaysSQL   = `UPDATE relays SET list_id = NULL WHERE list_id IN (SELECT value FROM json_each(?)) AND closed_at IS NOT NULL`
	pruneAnnounceSQL = `UPDATE checkin_sessions SET announce_id = NULL WHERE announce_id IN (SELECT value FROM json_each(?)) AND closed_at IS NOT NULL`
	pruneResultSQL   = `UPDATE checkin_sessions SET result_id = NULL WHERE result_id IN (SELECT value FROM json_each(?)) AND closed_at IS NOT NULL`
	pruneEditsSQL    = `UPDATE outbox SET edit_of = NULL WHERE edit_of IN (SELECT value FROM json_each(?)) AND state NOT IN ('pending', 'sending')`
	pruneDeleteSQL   = `DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?)) AND state IN ('delivered', 'failed', 'superseded')
		AND NOT EXISTS (SELECT 1 FROM relays r WHERE r.list_id = outbox.id)
		AND NOT EXISTS (SELECT 1 FROM checkin_sessions s WHERE s.announce_id = outbox.id)
		AND NOT EXISTS (SELECT 1 FROM checkin_sessions s WHERE s.result_id = outbox.id)
		AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.edit_of = outbox.id)`
)

// PruneOutbox deletes at most max messages queued before cutoff that have
// left the queue, starting after id from (0: the oldest), in batches of
// pruneBatch. It returns how many it deleted and the id to start from next
// time; next is 0 when it reached messages queued after cutoff (the pass is
// complete). pause is slept between batches, so the writer serves others.
func (db *DB) PruneOutbox(ctx context.Context, cutoff time.Time, from int64, max int, pause time.Duration) (deleted int, next int64, err error) {
	next = from
	for deleted < max {
		ids, last, done, err := db.pruneWindow(ctx, ms(cutoff), next)
		if err != nil {
			return deleted, next, err
		}
		if len(ids) > 0 {
			n, err := db.pruneBatch(ctx, ids)
			deleted += n
			if err != nil {
				return deleted, next, err
			}
		}
		next = last
		if done {
			return deleted, 0, nil
		}
		select {
		case <-ctx.Done():
			return deleted, next, ctx.Err()
		case <-time.After(pause):
		}
	}
	return deleted, next, nil
}

// pruneWindow reads the next pruneBatch messages after id from and returns
// those finished before cutoff, the last id it read, and whether it reached
// the end of what may be pruned.
func (db *DB) pruneWindow(ctx context.Context, cutoff, from int64) (ids []int64, last int64, done bool, err error) {
	rows, err := db.r.QueryContext(ctx, pruneWindowSQL, from, pruneBatch)
	if err != nil {
		return nil, from, false, fmt.Errorf("prune outbox: %w", err)
	}
	defer rows.Close()
	last, n := from, 0
	for rows.Next() {
		var id, created int64
		var finished bool
		if err := rows.Scan(&id, &created, &finished); err != nil {
			return nil, from, false, err
		}
		n++
		if created >= cutoff {
			return ids, last, true, rows.Err()
		}
		last = id
		if finished {
			ids = append(ids, id)
		}
	}
	return ids, last, n < pruneBatch, rows.Err()
}

// pruneBatch deletes the messages ids (finished, old) in one transaction,
// keeping the delivery records of broadcasts and the messages still
// referred to.
func (db *DB) pruneBatch(ctx context.Context, ids []int64) (int, error) {
	b, err := json.Marshal(ids)
	if err != nil {
		return 0, err
	}
	arg := string(b)
	var deleted int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{pruneArchiveSQL, pruneRelaysSQL, pruneAnnounceSQL, pruneResultSQL, pruneEditsSQL} {
			if _, err := tx.ExecContext(ctx, q, arg); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, pruneDeleteSQL, arg)
		if err != nil {
			return err
		}
		deleted, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune outbox: %w", err)
	}
	return int(deleted), nil
}

// BroadcastDeliveries implements broadcast.Store: a broadcast's delivery to
// each group, from its messages still in the outbox and from the records
// kept of those pruned, by chat.
func (db *DB) BroadcastDeliveries(ctx context.Context, id int64) ([]broadcast.Delivery, error) {
	prefix := broadcast.KeyPrefix(id)
	rows, err := db.r.QueryContext(ctx, `SELECT chat_id, state, attempts, last_error, delivered_at, 0 FROM broadcast_deliveries WHERE broadcast_id = ?1
		UNION ALL
		SELECT o.chat_id, o.state, o.attempts, o.last_error, o.delivered_at, o.not_before FROM outbox o
		WHERE o.idem_key >= ?2 AND o.idem_key < ?3
		  AND NOT EXISTS (SELECT 1 FROM broadcast_deliveries d WHERE d.broadcast_id = ?1 AND d.chat_id = o.chat_id)
		ORDER BY 1`, id, prefix, prefix+"\U0010FFFF")
	if err != nil {
		return nil, fmt.Errorf("deliveries of broadcast %d: %w", id, err)
	}
	return collect(rows, func(r rowScanner) (broadcast.Delivery, error) {
		var (
			d         broadcast.Delivery
			delivered sql.NullInt64
			notBefore int64
		)
		err := r.Scan(&d.ChatID, &d.State, &d.Attempts, &d.LastError, &delivered, &notBefore)
		d.DeliveredAt, d.NotBefore = nullMS(delivered), fromMS(notBefore)
		return d, err
	})
}
