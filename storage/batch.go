package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// maxBatch bounds how many member actions share one transaction.
const maxBatch = 2000

// Lingering: under load (a batch of at least lingerMin actions), a writer
// that finds fewer actions waiting than its last batch held waits up to
// maxLinger for the callers it just acknowledged to come back with their
// next actions. A batch's fixed cost (BEGIN, each statement, COMMIT) is
// paid by the batch, so a handful of actions written right after a large
// batch costs several times more per action than a full one; waiting a
// moment keeps batches full and frees the writer for more actions per
// second. Alone or in a trickle (small batches) nothing waits.
const (
	lingerMin = 16
	maxLinger = 2 * time.Millisecond
)

// errRunAgain is returned (wrapped) by a statement of a group-commit batch
// that found the database changed under what the feature's writer keeps in
// memory (InsertCheckins: check-ins stored by another process): the batch
// is rolled back, the writer forgets what it kept (after) and the batch runs
// once more.
var errRunAgain = errors.New("database changed outside this writer")

// quietDelay is how long a writer with deferred work waits for more
// actions before it decides the moment is quiet: callers acknowledged by a
// batch usually come back with their next action well within it. When the
// last actions came further apart than that (light load: a check-in now and
// then), nothing is coming back and the deferred work runs at once, so a
// lone check-in's running count is not held up.
const quietDelay = 5 * time.Millisecond

// deferredWork is what a group-commit writer does in its own transaction
// when no action waits: work that need not share the actions' transaction
// and that, under load, would only make every batch longer. A batch that
// came alone after a pause (light load) does it in its own transaction.
type deferredWork interface {
	pending() bool // there is deferred work
	run(ctx context.Context, t *Tx) error
	after(err error) // how its transaction ended
}

// groupCommit is a group-commit writer: callers hand it one action each and
// wait; whichever actions are waiting when the writer is free go into one
// write transaction, so under a burst a single commit stores hundreds of
// actions. Every caller gets its own result only after the transaction that
// holds its action has committed: an action is stored before it is
// acknowledged.
//
// It is the mechanics only. What a batch does is the feature's: the feature
// declares a Batcher interface (Do, Settle) and the work it hands over, and
// a constructor here (CheckinBatcher, RelayBatcher) makes a groupCommit of
// the feature's types whose run calls the feature's batch with the *Tx.
//
// The writer goroutine exists only while there is work: it is started by the
// first waiting action and ends when none is left, so nothing needs closing.
type groupCommit[In, Out any] struct {
	db   *DB
	name string
	// run applies a batch inside tx and returns one result per input.
	run func(ctx context.Context, t *Tx, in []In) ([]Out, error)
	// after, if set, is told how each batch's transaction ended (nil:
	// committed), before the next batch runs.
	after func(err error)
	// deferred, if set, is work the batches leave for a moment when no
	// action waits.
	deferred deferredWork
	// prepare are the fixed-shape statements the batches run, prepared on
	// the writer connection before the first action (see prepareWriter).
	prepare  []string
	prepared atomic.Bool
	// receipts: an action is the effect of the update its caller is
	// handling (a check-in, a relay join), so the batch that stores it
	// marks that update handled (bot.Receipt).
	receipts bool

	mu      sync.Mutex
	pending []*job[In, Out]
	running bool
	// arrived is when the last action was handed in, and apart how long
	// after the one before it (quietDelay).
	arrived time.Time
	apart   time.Duration
	// want > 0: the writer is lingering until this many actions wait;
	// the caller that makes it so sends on full.
	want    int
	full    chan struct{}
	stopped chan struct{} // closed when the running writer goroutine ends
}

type job[In, Out any] struct {
	in      In
	receipt *bot.Receipt
	out     Out
	err     error
	done    chan struct{}
}

// Do submits one action and waits until it is committed (or failed).
func (g *groupCommit[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	if len(g.prepare) > 0 && !g.prepared.Load() {
		if err := g.db.prepareWriter(ctx, g.prepare...); err != nil {
			var zero Out
			return zero, fmt.Errorf("%s: %w", g.name, err)
		}
		g.prepared.Store(true)
	}
	j := &job[In, Out]{in: in, done: make(chan struct{})}
	if g.receipts {
		j.receipt = bot.ReceiptFrom(ctx)
	}
	g.mu.Lock()
	now := time.Now()
	g.apart, g.arrived = now.Sub(g.arrived), now
	g.pending = append(g.pending, j)
	start := !g.running
	if start {
		g.running = true
		g.stopped = make(chan struct{})
	}
	if g.want > 0 && len(g.pending) >= g.want {
		g.want = 0
		g.full <- struct{}{} // buffered; only the lingering writer receives
	}
	g.mu.Unlock()
	if start {
		// The writer outlives this caller's context if need be: the
		// actions it carries belong to other callers too.
		go g.loop(bot.WithoutReceipt(context.WithoutCancel(ctx)))
	}
	select {
	case <-j.done:
		return j.out, j.err
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
}

// Settle waits until the writer has nothing left to do, deferred work
// included.
func (g *groupCommit[In, Out]) Settle(ctx context.Context) error {
	g.mu.Lock()
	running, stopped := g.running, g.stopped
	g.mu.Unlock()
	if !running {
		return nil
	}
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *groupCommit[In, Out]) loop(ctx context.Context) {
	var (
		last  int // size of the previous batch
		timer *time.Timer
	)
	for {
		g.mu.Lock()
		if last >= lingerMin && len(g.pending) < last {
			g.waitFor(last, maxLinger, &timer)
		}
		if len(g.pending) == 0 && g.deferred != nil && g.deferred.pending() {
			// Work left for a quiet moment: give the callers just
			// acknowledged a moment to come back first, if they came
			// close together.
			if g.apart < quietDelay && g.waitFor(1, quietDelay, &timer) {
				g.mu.Unlock()
				continue
			}
			g.mu.Unlock()
			err := g.db.Update(ctx, time.Time{}, func(t *Tx) error { return g.deferred.run(ctx, t) })
			g.deferred.after(err)
			last = 0
			continue
		}
		batch := g.pending
		if len(batch) > maxBatch {
			batch = batch[:maxBatch]
		}
		g.pending = g.pending[len(batch):]
		if len(batch) == 0 {
			g.running = false
			g.pending = nil
			close(g.stopped)
			g.mu.Unlock()
			return
		}
		// A batch that is all there is, after a pause (light load), takes
		// the deferred work into its own transaction: nothing is coming
		// for it to wait for, and a commit less is the lone check-in's
		// running count out sooner.
		alone := len(g.pending) == 0 && g.apart >= quietDelay
		g.mu.Unlock()
		g.flush(ctx, batch, alone)
		last = len(batch)
	}
}

// waitFor waits, with g.mu held on entry and on return, until n actions are
// pending or d has passed, and reports whether n are pending.
func (g *groupCommit[In, Out]) waitFor(n int, d time.Duration, timer **time.Timer) bool {
	if len(g.pending) >= n {
		return true
	}
	if g.full == nil {
		g.full = make(chan struct{}, 1)
	}
	if *timer == nil {
		*timer = time.NewTimer(d)
	} else {
		(*timer).Reset(d)
	}
	g.want = n
	g.mu.Unlock()
	select {
	case <-g.full:
	case <-(*timer).C:
	}
	(*timer).Stop()
	g.mu.Lock()
	g.want = 0
	select {
	case <-g.full: // sent after the timer fired
	default:
	}
	return len(g.pending) >= n
}

func (g *groupCommit[In, Out]) flush(ctx context.Context, batch []*job[In, Out], withDeferred bool) {
	in := make([]In, len(batch))
	var receipts []*bot.Receipt
	for i, j := range batch {
		in[i] = j.in
		if j.receipt != nil {
			receipts = append(receipts, j.receipt)
		}
	}
	var (
		outs        []Out
		err         error
		ranDeferred bool
	)
	for attempt := 0; ; attempt++ {
		err = g.db.Update(ctx, time.Time{}, func(t *Tx) error {
			var err error
			if outs, err = g.run(ctx, t, in); err != nil {
				return err
			}
			if withDeferred && g.deferred != nil && g.deferred.pending() {
				ranDeferred = true
				if err := g.deferred.run(ctx, t); err != nil {
					return err
				}
			}
			return t.useReceipts(receipts...)
		})
		if err == nil && len(outs) != len(batch) {
			err = fmt.Errorf("%s: %d results for %d actions", g.name, len(outs), len(batch))
		}
		if g.after != nil {
			g.after(err)
		}
		if ranDeferred {
			g.deferred.after(err)
			ranDeferred = false
		}
		// A writer that found the database moved under what it holds in
		// memory has forgotten it (after); the batch runs once more.
		if !errors.Is(err, errRunAgain) || attempt > 0 {
			break
		}
	}
	for i, j := range batch {
		if err != nil {
			j.err = fmt.Errorf("%s: %w", g.name, err)
		} else {
			j.out = outs[i]
		}
		close(j.done)
	}
}

// EnqueueSnapshots queues many messages inside a transaction (a batch's).
// Plain snapshots (text and merge key only: running counts, re-posted
// lists) are queued with a few statements in all, doing what enqueueTx does
// for each such message: a pending message with the same merge key in the
// same chat takes the new text where it stands (see snapshotReplaceSQL);
// where there is none, the new one is inserted. Any other message goes
// through enqueueTx. at[i] is when message i was made.
//
// The platforms of the chats (which never change) come from the rows
// replaced and from the cached chats; only the others are looked up.
func (t *Tx) EnqueueSnapshots(msgs []bot.Outgoing, at []time.Time) error {
	if len(msgs) != len(at) {
		return fmt.Errorf("enqueue snapshots: %d messages, %d times", len(msgs), len(at))
	}
	ctx, tx, db := t.ctx, t.tx, t.db
	var plain []int
	for i, m := range msgs {
		if m.MergeKey == "" || len(m.Buttons) > 0 || m.IdemKey != "" || m.EditOf != 0 || m.MentionMember != 0 || len(m.Mentions) > 0 || m.ReplyTo != "" || m.Bulk || !m.NotBefore.IsZero() {
			if _, _, err := t.enqueueAt(m, at[i]); err != nil {
				return err
			}
			continue
		}
		plain = append(plain, i)
	}
	if len(plain) == 0 {
		return nil
	}
	type key struct {
		chat  int64
		merge string
	}
	var textRows [][]any
	for _, i := range plain {
		m := msgs[i]
		textRows = append(textRows, []any{m.ChatID, m.MergeKey, m.Text})
	}
	replaced := map[key]bool{}
	rows, err := db.queryJSON(ctx, tx, snapshotReplaceSQL, textRows)
	if err != nil {
		return fmt.Errorf("replace snapshots: %w", err)
	}
	for rows.Next() {
		var k key
		var platform string
		if err := rows.Scan(&k.chat, &k.merge, &platform); err != nil {
			rows.Close()
			return err
		}
		replaced[k] = true
		t.queued(platform, k.chat)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replace snapshots: %w", err)
	}
	plain = slices.DeleteFunc(plain, func(i int) bool { return replaced[key{msgs[i].ChatID, msgs[i].MergeKey}] })
	if len(plain) == 0 {
		return nil
	}
	var chatArgs []any
	var keyRows [][]any
	seen := map[int64]bool{}
	platforms := map[int64]string{}
	for _, i := range plain {
		m := msgs[i]
		if c, ok := db.cache.chatByID(m.ChatID); ok {
			platforms[m.ChatID] = c.Platform
		} else if !seen[m.ChatID] {
			seen[m.ChatID] = true
			chatArgs = append(chatArgs, m.ChatID)
		}
		keyRows = append(keyRows, []any{m.ChatID, m.MergeKey})
	}
	if len(chatArgs) > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT id, platform FROM chats WHERE id IN (`+placeholders(len(chatArgs))+`)`, chatArgs...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var p string
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return err
			}
			platforms[id] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if _, err := db.execJSON(ctx, tx, snapshotSupersedeSQL, keyRows); err != nil {
		return fmt.Errorf("supersede: %w", err)
	}
	var insRows [][]any
	for _, i := range plain {
		m := msgs[i]
		p, ok := platforms[m.ChatID]
		if !ok {
			return fmt.Errorf("chat %d: %w", m.ChatID, bot.ErrNotFound)
		}
		insRows = append(insRows, []any{m.ChatID, p, m.Text, m.MergeKey, ms(at[i]), ms(at[i])})
		t.queued(p, m.ChatID)
	}
	if _, err := db.execJSON(ctx, tx, snapshotInsertSQL, insRows); err != nil {
		return fmt.Errorf("insert outbox: %w", err)
	}
	return nil
}

// PendingSnapshots reports, for each of msgs (its chat and merge key),
// whether a snapshot of it is still waiting to be sent: one the next
// snapshot will replace where it stands.
func (t *Tx) PendingSnapshots(msgs []bot.Outgoing) ([]bool, error) {
	out := make([]bool, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	keys := make([][]any, len(msgs))
	for i, m := range msgs {
		keys[i] = []any{i, m.ChatID, m.MergeKey}
	}
	rows, err := t.db.queryJSON(t.ctx, t.tx, snapshotPendingSQL, keys)
	if err != nil {
		return nil, fmt.Errorf("pending snapshots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		if err := rows.Scan(&i); err != nil {
			return nil, fmt.Errorf("pending snapshots: %w", err)
		}
		out[i] = true
	}
	return out, rows.Err()
}

// The statements of EnqueueSnapshots, with their rows as one JSON array
// parameter (see checkinInsertSQL).
const (
	// [[chat, merge key, text], ...]: a snapshot's pending predecessor
	// takes its text and keeps its place in the queue. This is safe beside
	// a sender delivering it: the sender takes a message's content when it
	// claims it (pending → sending), and a message claimed already is no
	// longer pending, so the new snapshot is queued after it instead. Doing
	// it in place rewrites one row where superseding it and inserting
	// another wrote two rows and four index entries, and left a dead row.
	// (The unary + keeps SQLite from looking rows up by idem_key IS NULL,
	// which nearly every row is, instead of by chat and merge key.)
	snapshotReplaceSQL = `UPDATE outbox SET text = j.value->>2, buttons = '', mention_member = NULL, mentions = '', reply_to = '', bulk = 0
		FROM json_each(?) j WHERE outbox.state = 'pending' AND outbox.merge_key != ''
		AND outbox.chat_id = j.value->>0 AND outbox.merge_key = j.value->>1 AND +outbox.edit_of IS NULL AND +outbox.idem_key IS NULL
		AND outbox.parts_sent = 0
		RETURNING outbox.chat_id, outbox.merge_key, outbox.platform`
	// [[index, chat, merge key], ...]: the indexes of those with a pending
	// snapshot (through outbox_merge).
	snapshotPendingSQL = `SELECT j.value->>0 FROM json_each(?) j WHERE EXISTS (SELECT 1 FROM outbox
		WHERE outbox.chat_id = j.value->>1 AND outbox.merge_key = j.value->>2 AND outbox.state = 'pending' AND outbox.merge_key != '')`
	// [[chat, merge key], ...]
	snapshotSupersedeSQL = `UPDATE outbox SET state = 'superseded' WHERE state = 'pending' AND merge_key != ''
		AND (chat_id, merge_key) IN (SELECT j.value->>0, j.value->>1 FROM json_each(?) j)`
	// [[chat, platform, text, merge key, not before, created at], ...]
	snapshotInsertSQL = `INSERT INTO outbox(chat_id, platform, text, merge_key, not_before, created_at)
		SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5 FROM json_each(?) j`
)

// jsonRows encodes batch rows for a json_each parameter.
func jsonRows(rows [][]any) (string, error) {
	b, err := json.Marshal(rows)
	return string(b), err
}

// queryJSON runs a prepared fixed-shape batch statement q inside tx with its
// rows as one JSON parameter, and returns the rows it yields.
func (db *DB) queryJSON(ctx context.Context, tx *sql.Tx, q string, rows [][]any) (*sql.Rows, error) {
	arg, err := jsonRows(rows)
	if err != nil {
		return nil, err
	}
	st, err := db.txStmt(ctx, tx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, arg)
}

// execJSON is queryJSON for a statement that yields no rows; it reports how
// many rows the statement changed.
func (db *DB) execJSON(ctx context.Context, tx *sql.Tx, q string, rows [][]any) (int64, error) {
	arg, err := jsonRows(rows)
	if err != nil {
		return 0, err
	}
	st, err := db.txStmt(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, arg)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
