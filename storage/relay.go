package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Relay is an activity sign-up list (接龙) in a group.
type Relay struct {
	ID        int64
	ChatID    int64
	Platform  string // the chat's platform
	Title     string
	Cap       int       // places; 0 = no limit
	Until     time.Time // closes itself then; zero = only by hand
	StartedBy int64
	CreatedAt time.Time
	ClosedAt  time.Time // zero while open
	ListID    int64     // outbox id of the list message that is edited in place
}

// Open reports whether the relay takes joins at now.
func (r Relay) Open(now time.Time) bool {
	return r.ClosedAt.IsZero() && (r.Until.IsZero() || now.Before(r.Until))
}

// RelayEntry is one member on a relay.
type RelayEntry struct {
	ID        int64
	RelayID   int64
	MemberID  int64
	RosterID  int64
	Name      string
	Note      string
	JoinedAt  time.Time
	UpdatedAt time.Time
	// Place is the entry's 1-based rank on the relay; with a limit, places
	// beyond it are on the waitlist.
	Place int
}

// Waitlisted reports whether the entry at place is on the relay's waitlist.
func (r Relay) Waitlisted(place int) bool { return r.Cap > 0 && place > r.Cap }

const relayCols = `r.id, r.chat_id, c.platform, r.title, r.cap, r.until, r.started_by, r.created_at, r.closed_at, COALESCE(r.list_id, 0)`
const relayFrom = ` FROM relays r JOIN chats c ON c.id = r.chat_id `

func scanRelay(row interface{ Scan(...any) error }) (Relay, error) {
	var (
		r              Relay
		until, created int64
		closed         sql.NullInt64
	)
	err := row.Scan(&r.ID, &r.ChatID, &r.Platform, &r.Title, &r.Cap, &until, &r.StartedBy, &created, &closed, &r.ListID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, bot.ErrNotFound
	}
	r.Until, r.CreatedAt, r.ClosedAt = fromMS(until), fromMS(created), nullMS(closed)
	return r, err
}

// StartRelay stores a new relay and, in the same transaction, queues its
// list message (rendered by list) and remembers it as the message to edit.
func (db *DB) StartRelay(ctx context.Context, r Relay, list func(Relay, []RelayEntry) bot.Outgoing, now time.Time) (Relay, error) {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT platform FROM chats WHERE id = ?`, r.ChatID).Scan(&r.Platform); err != nil {
			return fmt.Errorf("chat %d: %w", r.ChatID, err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO relays(chat_id, title, cap, until, started_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			r.ChatID, r.Title, r.Cap, ms(r.Until), r.StartedBy, ms(r.CreatedAt))
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if r.ListID, _, err = EnqueueTx(ctx, tx, list(r, nil), now); err != nil {
			return fmt.Errorf("queue list: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE relays SET list_id = ? WHERE id = ?`, r.ListID, r.ID)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("start relay in chat %d: %w", r.ChatID, err)
	}
	return r, nil
}

// Relay loads a relay by id.
func (db *DB) Relay(ctx context.Context, id int64) (Relay, error) {
	return scanRelay(db.r.QueryRowContext(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.id = ?`, id))
}

// OpenRelays lists the relays of a chat open at now, oldest first.
func (db *DB) OpenRelays(ctx context.Context, chatID int64, now time.Time) ([]Relay, error) {
	return db.relayQuery(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.chat_id = ? AND r.closed_at IS NULL AND (r.until = 0 OR r.until > ?) ORDER BY r.id`,
		chatID, ms(now))
}

// RelaysDue lists relays still open whose closing time is at or before now.
func (db *DB) RelaysDue(ctx context.Context, now time.Time) ([]Relay, error) {
	// Every tick: +r.id lets SQLite read the open relays with a deadline from
	// relays_open instead of every relay in id order.
	return db.relayQuery(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.closed_at IS NULL AND r.until > 0 AND r.until <= ? ORDER BY +r.id`, ms(now))
}

func (db *DB) relayQuery(ctx context.Context, q string, args ...any) ([]Relay, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query relays: %w", err)
	}
	return collect(rows, scanRelay)
}

// RelayEntries lists a relay's entries in order, with their places.
func (db *DB) RelayEntries(ctx context.Context, relayID int64) ([]RelayEntry, error) {
	return relayEntries(ctx, db.r, relayID)
}

func relayEntries(ctx context.Context, q querier, relayID int64) ([]RelayEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, relay_id, member_id, COALESCE(roster_id, 0), name, note, joined_at, updated_at
		FROM relay_entries WHERE relay_id = ? ORDER BY id`, relayID)
	if err != nil {
		return nil, fmt.Errorf("entries of relay %d: %w", relayID, err)
	}
	defer rows.Close()
	var out []RelayEntry
	for rows.Next() {
		var e RelayEntry
		var joined, updated int64
		if err := rows.Scan(&e.ID, &e.RelayID, &e.MemberID, &e.RosterID, &e.Name, &e.Note, &joined, &updated); err != nil {
			return nil, err
		}
		e.JoinedAt, e.UpdatedAt = fromMS(joined), fromMS(updated)
		e.Place = len(out) + 1
		out = append(out, e)
	}
	return out, rows.Err()
}

// CloseRelay closes a relay at now and, in the same transaction, queues the
// messages final renders from its last list. It reports false (and queues
// nothing) if the relay was already closed.
func (db *DB) CloseRelay(ctx context.Context, id int64, now time.Time, final func(Relay, []RelayEntry) []bot.Outgoing) (bool, error) {
	closed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE relays SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		closed = true
		r, err := scanRelay(tx.QueryRowContext(ctx, `SELECT `+relayCols+relayFrom+` WHERE r.id = ?`, id))
		if err != nil {
			return err
		}
		es, err := relayEntries(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, m := range final(r, es) {
			if _, _, err := EnqueueTx(ctx, tx, m, now); err != nil {
				return fmt.Errorf("queue final list: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("close relay %d: %w", id, err)
	}
	return closed, nil
}

// RelayOpKind says whether a member joins or leaves.
type RelayOpKind int

const (
	RelayJoin RelayOpKind = iota
	RelayLeave
)

// RelayOp is one member joining (or changing their note on) or leaving a
// relay of a chat.
type RelayOp struct {
	Kind     RelayOpKind
	ChatID   int64
	RelayID  int64 // 0: the chat's newest open relay
	MemberID int64
	RosterID int64
	Name     string
	Note     string
	At       time.Time
}

// RelayOutcome is what became of a RelayOp.
type RelayOutcome int

const (
	RelayJoined      RelayOutcome = iota // a new entry
	RelayNoteChanged                     // the member was on it; the note changed
	RelayAlready                         // the member was on it; nothing changed
	RelayLeft                            // the entry was removed
	RelayNotIn                           // leave by someone not on the relay
	RelayNone                            // no open relay in the chat
	RelayNotFound                        // no relay with that number in the chat
	RelayClosed                          // the relay is closed
)

// RelayResult reports an op's outcome, the relay, and the member's place
// after the op (0 after leaving).
type RelayResult struct {
	Outcome RelayOutcome
	Relay   Relay
	Place   int
	Total   int // entries on the relay after the batch
}

// RelayWriter applies joins and leaves through a group-commit writer: each
// transaction holds many members' ops and queues one list message per relay
// it changed, rendered by list.
type RelayWriter struct {
	g    *groupCommit[RelayOp, RelayResult]
	list func(Relay, []RelayEntry) bot.Outgoing
}

// NewRelayWriter makes a writer; list renders the list message queued after
// each batch that changed a relay.
func (db *DB) NewRelayWriter(list func(Relay, []RelayEntry) bot.Outgoing) *RelayWriter {
	w := &RelayWriter{list: list}
	w.g = &groupCommit[RelayOp, RelayResult]{db: db, name: "store relay entries", run: w.run}
	return w
}

// Do applies one op and returns once it is committed.
func (w *RelayWriter) Do(ctx context.Context, op RelayOp) (RelayResult, error) {
	return w.g.Do(ctx, op)
}

func (w *RelayWriter) run(ctx context.Context, t *Tx, in []RelayOp) ([]RelayResult, error) {
	tx := t.tx
	out := make([]RelayResult, len(in))
	type relayState struct {
		r       Relay
		changed bool
		at      time.Time
	}
	relays := map[int64]*relayState{}
	var order []*relayState
	load := func(q string, args ...any) (*relayState, error) {
		r, err := scanRelay(tx.QueryRowContext(ctx, `SELECT `+relayCols+relayFrom+q, args...))
		if err != nil {
			return nil, err
		}
		if st := relays[r.ID]; st != nil {
			return st, nil
		}
		st := &relayState{r: r}
		relays[r.ID] = st
		order = append(order, st)
		return st, nil
	}
	for i, op := range in {
		res := &out[i]
		var (
			st  *relayState
			err error
		)
		if op.RelayID == 0 {
			st, err = load(` WHERE r.chat_id = ? AND r.closed_at IS NULL AND (r.until = 0 OR r.until > ?) ORDER BY r.id DESC LIMIT 1`, op.ChatID, ms(op.At))
			if errors.Is(err, bot.ErrNotFound) {
				res.Outcome = RelayNone
				continue
			}
		} else {
			st, err = load(` WHERE r.id = ? AND r.chat_id = ?`, op.RelayID, op.ChatID)
			if errors.Is(err, bot.ErrNotFound) {
				res.Outcome = RelayNotFound
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("find relay: %w", err)
		}
		res.Relay = st.r
		if !st.r.Open(op.At) {
			res.Outcome = RelayClosed
			continue
		}
		var (
			entryID int64
			note    string
		)
		err = tx.QueryRowContext(ctx, `SELECT id, note FROM relay_entries WHERE relay_id = ? AND member_id = ?`, st.r.ID, op.MemberID).Scan(&entryID, &note)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("find entry: %w", err)
		}
		exists := err == nil
		switch {
		case op.Kind == RelayLeave && !exists:
			res.Outcome = RelayNotIn
			continue
		case op.Kind == RelayLeave:
			if _, err := tx.ExecContext(ctx, `DELETE FROM relay_entries WHERE id = ?`, entryID); err != nil {
				return nil, fmt.Errorf("remove entry: %w", err)
			}
			res.Outcome = RelayLeft
			st.changed, st.at = true, op.At
			continue
		case exists && (op.Note == "" || op.Note == note):
			res.Outcome = RelayAlready
		case exists:
			if _, err := tx.ExecContext(ctx, `UPDATE relay_entries SET note = ?, updated_at = ? WHERE id = ?`, op.Note, ms(op.At), entryID); err != nil {
				return nil, fmt.Errorf("change note: %w", err)
			}
			res.Outcome = RelayNoteChanged
			st.changed, st.at = true, op.At
		default:
			r, err := tx.ExecContext(ctx, `INSERT INTO relay_entries(relay_id, member_id, roster_id, name, note, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				st.r.ID, op.MemberID, nullID(op.RosterID), op.Name, op.Note, ms(op.At), ms(op.At))
			if err != nil {
				return nil, fmt.Errorf("add entry: %w", err)
			}
			if entryID, err = r.LastInsertId(); err != nil {
				return nil, err
			}
			res.Outcome = RelayJoined
			st.changed, st.at = true, op.At
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_entries WHERE relay_id = ? AND id <= ?`, st.r.ID, entryID).Scan(&res.Place); err != nil {
			return nil, fmt.Errorf("place: %w", err)
		}
	}
	totals := map[int64]int{}
	for _, st := range order {
		if !st.changed {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_entries WHERE relay_id = ?`, st.r.ID).Scan(&n); err != nil {
				return nil, err
			}
			totals[st.r.ID] = n
			continue
		}
		es, err := relayEntries(ctx, tx, st.r.ID)
		if err != nil {
			return nil, err
		}
		totals[st.r.ID] = len(es)
		if w.list != nil {
			if _, _, err := t.enqueueAt(w.list(st.r, es), st.at); err != nil {
				return nil, fmt.Errorf("queue list of relay %d: %w", st.r.ID, err)
			}
		}
	}
	for i := range out {
		out[i].Total = totals[out[i].Relay.ID]
	}
	return out, nil
}
