package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Tx is one write transaction in which a feature changes its own state and
// queues the messages that announce the change: both commit together or
// neither does. It is the one door into the outbox for features; each
// feature reaches it through the small transaction interface it declares
// (see the Update… methods), and the methods behind those interfaces live
// beside the feature's other statements in this package.
//
// After the commit the database tells its queued hook (SetQueuedHook) which
// platforms got new messages, so the engine wakes exactly those senders.
type Tx struct {
	ctx       context.Context
	tx        *sql.Tx
	db        *DB
	now       time.Time
	platforms map[string][]int64 // chats with messages queued in this transaction, by platform
	// receipts are the inbox items this transaction marks handled (see
	// bot.Receipt); they are marked used once it has committed.
	receipts []*bot.Receipt
	// linked collects the members whose roster link the transaction
	// changed, for UpdateLinks to drop from the cache after it.
	linked *[]int64
}

// Update runs fn in one write transaction; now stamps the messages it
// queues. Once the transaction has committed, the queued hook hears of
// every platform fn queued messages for. If ctx carries the receipt of an
// update being handled (bot.Receipt), the same transaction marks the update
// handled: what fn commits is its effect.
func (db *DB) Update(ctx context.Context, now time.Time, fn func(*Tx) error) error {
	var t *Tx
	err := db.tx(ctx, func(tx *sql.Tx) error {
		t = db.newTx(ctx, tx, now)
		if err := fn(t); err != nil {
			return err
		}
		return t.useReceipts(bot.ReceiptFrom(ctx))
	})
	if err == nil {
		t.committed()
	}
	return err
}

func (db *DB) newTx(ctx context.Context, tx *sql.Tx, now time.Time) *Tx {
	return &Tx{ctx: ctx, tx: tx, db: db, now: now}
}

// Now is the instant the transaction stamps on what it queues.
func (t *Tx) Now() time.Time { return t.now }

// Enqueue queues a message in the transaction (see DB.Enqueue for merge
// keys, idempotency keys and edits). inserted is false when the message
// took the place of an earlier one or its idempotency key was queued
// already; id is then that message's id.
func (t *Tx) Enqueue(m bot.Outgoing) (id int64, inserted bool, err error) {
	return t.enqueueAt(m, t.now)
}

// enqueueAt queues m as made at at.
func (t *Tx) enqueueAt(m bot.Outgoing, at time.Time) (int64, bool, error) {
	buttons, err := encodeButtons(m.Buttons)
	if err != nil {
		return 0, false, fmt.Errorf("encode buttons: %w", err)
	}
	id, inserted, platform, err := enqueueTx(t.ctx, t.tx, m, buttons, at)
	if err != nil {
		return 0, false, err
	}
	t.queued(platform, m.ChatID)
	return id, inserted, nil
}

// queued notes that a message for chat on platform was queued or changed.
func (t *Tx) queued(platform string, chat int64) {
	if platform == "" {
		return
	}
	if t.platforms == nil {
		t.platforms = map[string][]int64{}
	}
	cs := t.platforms[platform]
	if n := len(cs); n == 0 || cs[n-1] != chat {
		t.platforms[platform] = append(cs, chat)
	}
}

// committed marks the transaction's receipts used and tells the queued hook
// about the chats this transaction queued messages for.
func (t *Tx) committed() {
	if t == nil {
		return
	}
	for _, r := range t.receipts {
		r.Used()
	}
	if len(t.platforms) == 0 {
		return
	}
	hook := t.db.queuedHook.Load()
	if hook == nil {
		return
	}
	for p, chats := range t.platforms {
		(*hook)(p, chats)
	}
}

// queuedHook is what SetQueuedHook sets.
type queuedHook = atomic.Pointer[func(platform string, chats []int64)]

// SetQueuedHook implements bot.Store: fn is called after every commit that
// queued messages, once per platform they are for, with the chats they are
// for. The engine sets it once, when it is made, to wake that platform's
// sender.
func (db *DB) SetQueuedHook(fn func(platform string, chats []int64)) {
	if fn == nil {
		db.queuedHook.Store(nil)
		return
	}
	db.queuedHook.Store(&fn)
}
