package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/relay"
)

// The relay feature's statements: relays, their entries, and the
// group-commit writer joins and leaves go through. The feature decides;
// these store what it decided.
var (
	_ relay.Store = (*DB)(nil)
	_ relay.Tx    = (*Tx)(nil)
)

const relayCols = `r.id, r.seq, r.chat_id, c.platform, r.title, r.cap, r.until, r.started_by, r.created_at, r.closed_at, COALESCE(r.list_id, 0), COALESCE(r.target_unit, 0)`
const relayFrom = ` FROM relays r JOIN chats c ON c.id = r.chat_id `

func scanRelay(row rowScanner) (relay.Relay, error) {
	var (
		r              relay.Relay
		until, created int64
		closed         sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.Seq, &r.ChatID, &r.Platform, &r.Title, &r.Cap, &until, &r.StartedBy, &created, &closed, &r.ListID, &r.Target)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.Until, r.CreatedAt, r.ClosedAt = fromMS(until), fromMS(created), nullMS(closed)
	return r, err
}

// UpdateRelays runs fn in one write transaction (see Update).
func (db *DB) UpdateRelays(ctx context.Context, now time.Time, fn func(relay.Tx) error) error {
	return db.Update(ctx, now, func(t *Tx) error { return fn(t) })
}

// Relay loads a relay by id.
func (db *DB) Relay(ctx context.Context, id int64) (relay.Relay, error) {
	return scanRelay(db.r.QueryRowContext(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.id = ?`, id))
}

// RelayByNumber loads the chat's relay numbered seq.
func (db *DB) RelayByNumber(ctx context.Context, chatID, seq int64) (relay.Relay, error) {
	return scanRelay(db.r.QueryRowContext(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.chat_id = ? AND r.seq = ?`, chatID, seq))
}

// openRelaysSQL lists the relays of a chat open at a time, oldest first.
const openRelaysSQL = `SELECT ` + relayCols + relayFrom + ` WHERE r.chat_id = ? AND r.closed_at IS NULL AND (r.until = 0 OR r.until > ?) ORDER BY r.id`

// OpenRelays lists the relays of a chat open at now, oldest first.
func (db *DB) OpenRelays(ctx context.Context, chatID int64, now time.Time) ([]relay.Relay, error) {
	return relayQuery(ctx, db.r, openRelaysSQL, chatID, ms(now))
}

// RelaysDue lists relays still open whose closing time is at or before now.
func (db *DB) RelaysDue(ctx context.Context, now time.Time) ([]relay.Relay, error) {
	// Every tick: +r.id lets SQLite read the open relays with a deadline from
	// relays_open instead of every relay in id order.
	return relayQuery(ctx, db.r, `SELECT `+relayCols+relayFrom+` WHERE r.closed_at IS NULL AND r.until > 0 AND r.until <= ? ORDER BY +r.id`, ms(now))
}

func relayQuery(ctx context.Context, q querier, query string, args ...any) ([]relay.Relay, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query relays: %w", err)
	}
	return collect(rows, scanRelay)
}

// RelayEntries lists a relay's entries in order, with their places.
func (db *DB) RelayEntries(ctx context.Context, relayID int64) ([]relay.Entry, error) {
	return relayEntries(ctx, db.r, relayID)
}

func relayEntries(ctx context.Context, q querier, relayID int64) ([]relay.Entry, error) {
	// One who joined before their link was confirmed counts as their roster
	// entry once linked, as a check-in does.
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.relay_id, COALESCE(e.member_id, 0), COALESCE(e.roster_id, m.roster_id, 0), e.name, e.note, e.joined_at, e.updated_at,
		COALESCE(e.added_by, 0), e.proxy FROM relay_entries e LEFT JOIN members m ON m.id = e.member_id AND e.roster_id IS NULL
		WHERE e.relay_id = ? ORDER BY e.id`, relayID)
	if err != nil {
		return nil, fmt.Errorf("entries of relay %d: %w", relayID, err)
	}
	es, err := collect(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("entries of relay %d: %w", relayID, err)
	}
	for i := range es {
		es[i].Place = i + 1
	}
	return es, nil
}

func scanEntry(row rowScanner) (relay.Entry, error) {
	var e relay.Entry
	var joined, updated int64
	err := row.Scan(&e.ID, &e.RelayID, &e.MemberID, &e.RosterID, &e.Name, &e.Note, &joined, &updated, &e.AddedBy, &e.ProxyName)
	e.JoinedAt, e.UpdatedAt = fromMS(joined), fromMS(updated)
	return e, err
}

// Relay loads a relay by id inside the transaction.
func (t *Tx) Relay(id int64) (relay.Relay, error) {
	return scanRelay(t.tx.QueryRowContext(t.ctx, `SELECT `+relayCols+relayFrom+` WHERE r.id = ?`, id))
}

// RelayByNumber loads the chat's relay numbered seq inside the transaction.
func (t *Tx) RelayByNumber(chatID, seq int64) (relay.Relay, error) {
	return scanRelay(t.tx.QueryRowContext(t.ctx, `SELECT `+relayCols+relayFrom+` WHERE r.chat_id = ? AND r.seq = ?`, chatID, seq))
}

// OpenRelaysAt lists the relays of a chat open at at, oldest first.
func (t *Tx) OpenRelaysAt(chatID int64, at time.Time) ([]relay.Relay, error) {
	return relayQuery(t.ctx, t.tx, openRelaysSQL, chatID, ms(at))
}

// NewestOpenRelay is the newest relay of a chat open at at.
func (t *Tx) NewestOpenRelay(chatID int64, at time.Time) (relay.Relay, error) {
	return scanRelay(t.tx.QueryRowContext(t.ctx, `SELECT `+relayCols+relayFrom+
		` WHERE r.chat_id = ? AND r.closed_at IS NULL AND (r.until = 0 OR r.until > ?) ORDER BY r.id DESC LIMIT 1`, chatID, ms(at)))
}

// RelayEntries lists a relay's entries inside the transaction.
func (t *Tx) RelayEntries(relayID int64) ([]relay.Entry, error) {
	return relayEntries(t.ctx, t.tx, relayID)
}

// InsertRelay stores a new relay and returns it with its id, the next
// number of its chat and its chat's platform.
func (t *Tx) InsertRelay(r relay.Relay) (relay.Relay, error) {
	if err := t.tx.QueryRowContext(t.ctx, `SELECT platform FROM chats WHERE id = ?`, r.ChatID).Scan(&r.Platform); err != nil {
		return r, fmt.Errorf("chat %d: %w", r.ChatID, err)
	}
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO relays(chat_id, seq, title, cap, until, started_by, created_at, target_unit)
		VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM relays WHERE chat_id = ?1), ?, ?, ?, ?, ?, ?) RETURNING id, seq`,
		r.ChatID, r.Title, r.Cap, ms(r.Until), r.StartedBy, ms(r.CreatedAt), nullID(r.Target)).Scan(&r.ID, &r.Seq)
	if err != nil {
		return r, fmt.Errorf("insert relay: %w", err)
	}
	return r, nil
}

// SetRelayTerms changes a relay's limit and closing time.
func (t *Tx) SetRelayTerms(relayID int64, cap int, until time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE relays SET cap = ?, until = ? WHERE id = ?`, cap, ms(until), relayID); err != nil {
		return fmt.Errorf("relay %d: terms: %w", relayID, err)
	}
	return nil
}

// SetRelayList remembers the outbox id of a relay's list message.
func (t *Tx) SetRelayList(relayID, outboxID int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE relays SET list_id = ? WHERE id = ?`, outboxID, relayID); err != nil {
		return fmt.Errorf("relay %d: list: %w", relayID, err)
	}
	return nil
}

// CloseRelay closes a relay at at; it reports false if it was closed
// already.
func (t *Tx) CloseRelay(id int64, at time.Time) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `UPDATE relays SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("close relay %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// AddRelayEntry stores a new entry and returns its id.
func (t *Tx) AddRelayEntry(e relay.Entry) (int64, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO relay_entries(relay_id, member_id, roster_id, name, note, joined_at, updated_at, added_by, proxy)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.RelayID, nullID(e.MemberID), nullID(e.RosterID), e.Name, e.Note, ms(e.JoinedAt), ms(e.UpdatedAt), nullID(e.AddedBy), e.ProxyName)
	if err != nil {
		return 0, fmt.Errorf("add entry to relay %d: %w", e.RelayID, err)
	}
	return res.LastInsertId()
}

// SetRelayNote changes an entry's note at at.
func (t *Tx) SetRelayNote(entryID int64, note string, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE relay_entries SET note = ?, updated_at = ? WHERE id = ?`, note, ms(at), entryID); err != nil {
		return fmt.Errorf("change note of relay entry %d: %w", entryID, err)
	}
	return nil
}

// RemoveRelayEntry deletes an entry.
func (t *Tx) RemoveRelayEntry(entryID int64) error {
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM relay_entries WHERE id = ?`, entryID); err != nil {
		return fmt.Errorf("remove relay entry %d: %w", entryID, err)
	}
	return nil
}

// RelayBatcher makes a group-commit writer for joins and leaves that runs
// b's batches (see groupCommit).
func (db *DB) RelayBatcher(b relay.Batch) relay.Batcher {
	return &groupCommit[relay.Op, relay.Answer]{db: db, name: "store relay entries",
		run:      func(ctx context.Context, t *Tx, in []relay.Op) ([]relay.Answer, error) { return b.Run(ctx, t, in) },
		prepare:  []string{snapshotReplaceSQL, snapshotSupersedeSQL, snapshotInsertSQL},
		receipts: true,
	}
}
