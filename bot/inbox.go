package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Incoming is one update a platform received: a message or a chat event.
// An adapter hands what it fetched to Engine.Accept, which stores it before
// returning; only then does the adapter confirm it to the platform.
type Incoming struct {
	// Seq is the platform's own increasing id of the update (Telegram's
	// update_id), 0 where the platform has none. Accept remembers the
	// highest one stored (Engine.Accepted), so an update the platform
	// delivers again after a crash is not stored twice.
	Seq int64 `json:"seq,omitempty"`
	// Lane orders handling: the items of one lane (a chat) are handled one
	// after another in the order they were accepted; lanes run at once.
	Lane    string     `json:"lane"`
	Message *Message   `json:"message,omitempty"`
	Event   *ChatEvent `json:"event,omitempty"`
	// Done, if set, is called once the item has been handled by this
	// process. It is not stored: an item handled after a restart has none.
	Done func() `json:"-"`
}

// InboxEntry is an Incoming as the store keeps it.
type InboxEntry struct {
	ID         int64
	Platform   string
	Lane       string
	Seq        int64
	Payload    []byte // the Incoming as JSON
	ReceivedAt time.Time
}

// Receipt stands for the inbox item a handler is handling. The engine puts
// it in the handler's context; the store deletes the item in the same
// transaction as the first change a handler commits (a check-in, a ticket, a
// queued reply), so an item is either still in the inbox or its effect is
// stored, never both and never neither: after a crash the item is handled
// again only if nothing of it was committed.
type Receipt struct {
	id   int64
	used atomic.Bool
}

type receiptKey struct{}

// WithReceipt returns ctx carrying r.
func WithReceipt(ctx context.Context, r *Receipt) context.Context {
	return context.WithValue(ctx, receiptKey{}, r)
}

// ReceiptFrom returns the receipt in ctx, nil if there is none or it has
// been used.
func ReceiptFrom(ctx context.Context) *Receipt {
	r, _ := ctx.Value(receiptKey{}).(*Receipt)
	if r == nil || r.used.Load() {
		return nil
	}
	return r
}

// WithoutReceipt returns ctx without a receipt: for writes made while
// handling that are not the handling's effect (creating the sender's member
// record), which must not mark the item handled.
func WithoutReceipt(ctx context.Context) context.Context {
	if ctx.Value(receiptKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, receiptKey{}, (*Receipt)(nil))
}

// InboxID is the inbox item the receipt stands for.
func (r *Receipt) InboxID() int64 { return r.id }

// Used records that a committed transaction deleted the item.
func (r *Receipt) Used() { r.used.Store(true) }

// DefaultMaxBacklog bounds the items accepted from one platform and not yet
// handled (Options.MaxBacklog).
const DefaultMaxBacklog = 1000

// inbox runs accepted items in lanes. Items live in memory from Accept until
// handled, at most the backlog bound per platform; Accept waits for room, so
// an adapter stops fetching instead of queueing without end.
type inbox struct {
	max int

	mu      sync.Mutex
	lanes   map[string]*lane // by platform + "\x00" + lane
	backlog map[string]int   // per platform: items accepted, not yet handled
	// cursors are the highest Seq stored per platform, once read from the
	// store: only Accept raises it, so it is not read again per update.
	cursors  map[string]int64
	next     uint64 // sequence number of the next item
	stopping bool
	changed  chan struct{} // closed and replaced whenever an item is handled
	wg       sync.WaitGroup
}

type lane struct {
	items []laneItem
}

type laneItem struct {
	n        uint64 // accept order, across lanes
	id       int64  // inbox id
	platform string
	in       Incoming
}

func newInbox(max int) *inbox {
	if max <= 0 {
		max = DefaultMaxBacklog
	}
	return &inbox{max: max, lanes: map[string]*lane{}, backlog: map[string]int{}, cursors: map[string]int64{}, changed: make(chan struct{})}
}

func (in *inbox) notifyLocked() {
	close(in.changed)
	in.changed = make(chan struct{})
}

// reserve waits until the platform's backlog has room for n more items
// (always for a batch when nothing waits), and takes it.
func (in *inbox) reserve(ctx context.Context, platform string, n int) error {
	in.mu.Lock()
	for !in.stopping && in.backlog[platform] > 0 && in.backlog[platform]+n > in.max {
		ch := in.changed
		in.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
		in.mu.Lock()
	}
	if in.stopping {
		in.mu.Unlock()
		return errStopping
	}
	in.backlog[platform] += n
	in.mu.Unlock()
	return nil
}

func (in *inbox) release(platform string, n int) {
	in.mu.Lock()
	in.backlog[platform] -= n
	in.notifyLocked()
	in.mu.Unlock()
}

// schedule queues stored items in their lanes, starting idle lanes. The
// room for them was reserved.
func (in *inbox) schedule(items []laneItem, run func(laneItem)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, it := range items {
		in.next++
		it.n = in.next
		key := it.platform + "\x00" + it.in.Lane
		l := in.lanes[key]
		if l != nil {
			l.items = append(l.items, it)
			continue
		}
		l = &lane{items: []laneItem{it}}
		in.lanes[key] = l
		if in.stopping {
			continue // kept for the record; nothing runs after a stop
		}
		in.wg.Add(1)
		go in.runLane(key, l, run)
	}
}

// runLane handles a lane's items in order until it is empty or the inbox
// stops; what is left stays in the store for the next start.
func (in *inbox) runLane(key string, l *lane, run func(laneItem)) {
	defer in.wg.Done()
	for {
		in.mu.Lock()
		if in.stopping || len(l.items) == 0 {
			if len(l.items) == 0 {
				delete(in.lanes, key)
			}
			in.notifyLocked()
			in.mu.Unlock()
			return
		}
		it := l.items[0]
		in.mu.Unlock()
		run(it)
		in.mu.Lock()
		l.items[0] = laneItem{}
		l.items = l.items[1:]
		in.backlog[it.platform]--
		in.notifyLocked()
		in.mu.Unlock()
	}
}

// stop makes every lane stop after the item it is handling.
func (in *inbox) stop() {
	in.mu.Lock()
	in.stopping = true
	in.notifyLocked()
	in.mu.Unlock()
}

// mark is the sequence number of the last item accepted so far.
func (in *inbox) mark() uint64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.next
}

// waitHandled waits until every item accepted up to mark has been handled,
// at most d. It reports whether they all were.
func (in *inbox) waitHandled(ctx context.Context, mark uint64, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		in.mu.Lock()
		oldest := uint64(0)
		for _, l := range in.lanes {
			if len(l.items) > 0 && (oldest == 0 || l.items[0].n < oldest) {
				oldest = l.items[0].n
			}
		}
		ch := in.changed
		stopping := in.stopping
		in.mu.Unlock()
		if oldest == 0 || oldest > mark || stopping {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return false
		case <-ch:
		}
	}
}

// idle waits until no lane has work, or ctx ends.
func (in *inbox) idle(ctx context.Context) {
	in.waitHandled(ctx, ^uint64(0), 24*time.Hour)
}

// Accept implements Receiver: it stores items (those the engine would
// ignore anyway are left out) in one transaction, then queues them for
// handling in their lanes, and returns once they are stored. While the
// platform's backlog of unhandled items is full it waits, so an adapter that
// confirms only what Accept returned for stops fetching instead of
// dropping anything. Items whose Seq is not above Accepted are stored
// already and skipped.
func (e *Engine) Accept(ctx context.Context, platform string, items []Incoming) error {
	cursor, err := e.Accepted(ctx, platform)
	if err != nil {
		return fmt.Errorf("accept from %s: %w", platform, err)
	}
	var (
		keep    []Incoming
		entries []InboxEntry
		seq     int64
	)
	now := time.Now()
	for _, it := range items {
		if it.Seq != 0 && it.Seq <= cursor {
			continue // stored before a crash, delivered again
		}
		seq = max(seq, it.Seq)
		if it.Message != nil && e.ignores(*it.Message) {
			if it.Done != nil {
				it.Done()
			}
			continue
		}
		payload, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("accept from %s: encode update: %w", platform, err)
		}
		keep = append(keep, it)
		entries = append(entries, InboxEntry{Platform: platform, Lane: it.Lane, Seq: it.Seq, Payload: payload, ReceivedAt: now})
	}
	if len(entries) == 0 {
		return nil
	}
	if err := e.in.reserve(ctx, platform, len(entries)); err != nil {
		return err
	}
	ids, err := e.store.AddInbox(ctx, platform, seq, entries)
	if err != nil {
		e.in.release(platform, len(entries))
		return fmt.Errorf("accept from %s: %w", platform, err)
	}
	e.in.raiseCursor(platform, seq)
	sched := make([]laneItem, len(keep))
	for i, it := range keep {
		sched[i] = laneItem{id: ids[i], platform: platform, in: it}
	}
	e.in.schedule(sched, e.handleItem)
	return nil
}

// ignores reports a message Receive drops without looking further (no
// text and no picture, or text that is not UTF-8): not worth storing.
func (e *Engine) ignores(m Message) bool {
	return strings.TrimSpace(m.Text) == "" && m.Image == "" || !utf8.ValidString(m.Text)
}

// Accepted implements Receiver: the highest Seq stored for platform.
func (e *Engine) Accepted(ctx context.Context, platform string) (int64, error) {
	e.in.mu.Lock()
	c, ok := e.in.cursors[platform]
	e.in.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := e.store.InboxCursor(ctx, platform)
	if err != nil {
		return 0, err
	}
	return e.in.raiseCursor(platform, c), nil
}

// raiseCursor records that items up to seq of platform are stored, and
// returns the platform's cursor.
func (in *inbox) raiseCursor(platform string, seq int64) int64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cursors[platform] = max(in.cursors[platform], seq)
	return in.cursors[platform]
}

// handleItem handles one accepted item in its lane and records it handled.
func (e *Engine) handleItem(it laneItem) {
	r := &Receipt{id: it.id}
	ctx := WithReceipt(e.handleCtx(), r)
	switch {
	case it.in.Message != nil:
		e.Receive(ctx, *it.in.Message)
	case it.in.Event != nil:
		if err := e.ChatEvent(ctx, *it.in.Event); err != nil {
			e.log.Error("chat event", "platform", it.platform, "kind", it.in.Event.Kind, "chat", it.in.Event.ChatID, "err", err)
		}
	}
	if ReceiptFrom(ctx) != nil {
		// The handler committed nothing: the item is handled all the same.
		if err := e.store.InboxDone(context.WithoutCancel(ctx), it.id); err != nil {
			e.log.Error("mark update handled", "platform", it.platform, "inbox", it.id, "err", err)
		}
	}
	if it.in.Done != nil {
		it.in.Done()
	}
}

// recoverInbox queues what a platform's earlier run received and did not
// handle, before the platform receives anything new.
func (e *Engine) recoverInbox(ctx context.Context, platform string) error {
	entries, err := e.store.PendingInbox(ctx, platform)
	if err != nil {
		return fmt.Errorf("read %s inbox: %w", platform, err)
	}
	if len(entries) == 0 {
		return nil
	}
	items := make([]laneItem, 0, len(entries))
	for _, en := range entries {
		var in Incoming
		if err := json.Unmarshal(en.Payload, &in); err != nil {
			e.log.Error("unreadable inbox item dropped", "platform", platform, "inbox", en.ID, "err", err)
			if err := e.store.InboxDone(ctx, en.ID); err != nil {
				return err
			}
			continue
		}
		items = append(items, laneItem{id: en.ID, platform: platform, in: in})
	}
	e.in.mu.Lock()
	e.in.backlog[platform] += len(items)
	e.in.mu.Unlock()
	e.in.schedule(items, e.handleItem)
	e.log.Warn("updates received before the last stop are handled now", "platform", platform, "count", len(items))
	return nil
}

// errStopping is Accept's answer once the engine has stopped handling: the
// adapter must not confirm what it could not hand over.
var errStopping = errors.New("engine: stopping, nothing more is accepted")
