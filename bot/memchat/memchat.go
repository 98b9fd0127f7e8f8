// Package memchat is an in-process chat platform for tests and benchmarks:
// messages are pushed in with Deliver, and everything the engine sends is
// recorded, with send times, so tests can check content, order and rate
// limits. It implements bot.Platform, bot.Editor, bot.CallbackAnswerer,
// bot.Backlogged and bot.ImageFetcher (pictures put in with AddImage).
//
// Like a server that keeps updates until they are confirmed (Telegram), the
// platform keeps what was delivered until the engine has stored it
// (Receiver.Accept): Run hands over everything waiting, and only then
// forgets it. Pending counts what is not yet confirmed, and Cut makes the
// running Run stop at once, as a killed process would, confirming nothing
// more; the next Run gets what was not confirmed.
package memchat

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// Sent is one message (or edit, or button answer) the platform received
// from the engine.
type Sent struct {
	bot.Outbound
	MessageID  string
	At         time.Time
	Edit       bool
	CallbackID string // set for answers to button presses (toasts)
}

// Platform is the in-memory platform.
type Platform struct {
	name string
	caps bot.Capabilities

	mu       sync.Mutex
	sent     []Sent
	nextID   int
	failWith func(bot.Outbound) error
	username string
	limits   []watch
	global   *watch
	violated int

	queue    []bot.Incoming // delivered, not yet confirmed
	seq      int64          // the last update id given out
	ended    bool           // Close was called
	gen      int            // bumped by Cut: a Run of an older generation stops
	changed  chan struct{}  // closed and replaced when the queue changes
	caughtUp chan struct{}
	caught   bool
	images   map[string][]byte // picture id -> bytes, for FetchImage
}

// New makes a platform with the given name and capabilities.
func New(name string, caps bot.Capabilities) *Platform {
	return &Platform{name: name, caps: caps, changed: make(chan struct{}), caughtUp: make(chan struct{})}
}

func (p *Platform) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Platform) Name() string                   { return p.name }
func (p *Platform) Capabilities() bot.Capabilities { return p.caps }

// SetUsername sets the bot's user name for /cmd@Name addressing.
func (p *Platform) SetUsername(u string) { p.mu.Lock(); p.username = u; p.mu.Unlock() }

// BotUsername implements bot.Identified.
func (p *Platform) BotUsername() string { p.mu.Lock(); defer p.mu.Unlock(); return p.username }

// FailWith makes every send and edit return the error f returns (nil:
// succeed). f runs before the send is recorded, outside the platform's lock,
// so it may block to stand for a slow network.
func (p *Platform) FailWith(f func(bot.Outbound) error) { p.mu.Lock(); p.failWith = f; p.mu.Unlock() }

// failure asks the FailWith function about m, without holding the lock.
func (p *Platform) failure(m bot.Outbound) error {
	p.mu.Lock()
	f := p.failWith
	p.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(m)
}

// Deliver queues an incoming message for Run; it waits at the platform
// until the engine has stored it.
func (p *Platform) Deliver(m bot.Message) {
	if m.Platform == "" {
		m.Platform = p.name
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	p.queue = append(p.queue, bot.Incoming{Seq: p.seq, Lane: m.ChatID, Message: &m})
	p.notifyLocked()
}

// AddImage keeps data as the picture with id, for a message whose Image
// is id (FetchImage reads it).
func (p *Platform) AddImage(id string, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.images == nil {
		p.images = map[string][]byte{}
	}
	p.images[id] = data
}

// FetchImage implements bot.ImageFetcher for pictures put in with
// AddImage.
func (p *Platform) FetchImage(ctx context.Context, id string, max int64) ([]byte, error) {
	p.mu.Lock()
	data, ok := p.images[id]
	p.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("memchat: no picture %q", id)
	}
	return bot.ReadAtMost(bytes.NewReader(data), max)
}

// Close ends the input: Run returns once everything delivered was stored.
func (p *Platform) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	p.notifyLocked()
}

// Pending is the number of messages delivered and not yet confirmed.
func (p *Platform) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// Cut stops the running Run at once, as if its process had been killed:
// it hands over and confirms nothing more. A later Run gets what was not
// confirmed.
func (p *Platform) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	if p.caught { // the next process has a backlog of its own
		p.caughtUp, p.caught = make(chan struct{}), false
	}
	p.notifyLocked()
}

// CaughtUp implements bot.Backlogged: closed once the first Run has handed
// over what was waiting when it started.
func (p *Platform) CaughtUp() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.caughtUp
}

// Run implements bot.Platform: it hands what was delivered to r.Accept and
// confirms it (forgets it) once stored.
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	p.mu.Lock()
	gen := p.gen
	p.mu.Unlock()
	for {
		p.mu.Lock()
		if p.gen != gen {
			p.mu.Unlock()
			return nil
		}
		batch := append([]bot.Incoming(nil), p.queue...)
		ended, ch := p.ended, p.changed
		p.mu.Unlock()
		if len(batch) > 0 {
			if err := r.Accept(ctx, p.name, batch); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("memchat: %w", err)
			}
			p.mu.Lock()
			if p.gen != gen {
				p.mu.Unlock()
				return nil // killed before it could confirm
			}
			p.queue = p.queue[len(batch):]
			p.mu.Unlock()
		}
		p.mu.Lock()
		if !p.caught {
			p.caught = true
			close(p.caughtUp)
		}
		p.mu.Unlock()
		if len(batch) > 0 {
			continue
		}
		if ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
		}
	}
}

// Send implements bot.Platform. A message with a file is recorded with
// its path; a file that is not there is refused for good, as a platform
// refuses an upload it cannot read.
func (p *Platform) Send(ctx context.Context, m bot.Outbound) (string, error) {
	if err := p.failure(m); err != nil {
		return "", err
	}
	if m.File != "" {
		if _, err := os.Stat(m.File); err != nil {
			return "", &bot.PermanentError{Err: fmt.Errorf("file to send: %w", err)}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	id := strconv.Itoa(p.nextID)
	p.record(Sent{Outbound: m, MessageID: id, At: time.Now()})
	return id, nil
}

// Edit implements bot.Editor.
func (p *Platform) Edit(ctx context.Context, messageID string, m bot.Outbound) error {
	if err := p.failure(m); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.record(Sent{Outbound: m, MessageID: messageID, At: time.Now(), Edit: true})
	return nil
}

// AnswerCallback implements bot.CallbackAnswerer.
func (p *Platform) AnswerCallback(ctx context.Context, callbackID, text string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, Sent{Outbound: bot.Outbound{Text: text}, CallbackID: callbackID, At: time.Now()})
	return nil
}

func (p *Platform) record(s Sent) {
	p.sent = append(p.sent, s)
	if p.global != nil && !p.global.add(s.At) {
		p.violated++
	}
	for i := range p.limits {
		if !p.limits[i].addChat(s.ChatID, s.At) {
			p.violated++
		}
	}
}

// Sent returns a copy of everything sent so far.
func (p *Platform) Sent() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Sent(nil), p.sent...)
}

// Take returns what was sent since the last Take and forgets it.
func (p *Platform) Take() []Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.sent
	p.sent = nil
	return out
}

// WatchLimits makes the platform count sends that break a global limit or a
// per-chat limit, as a real platform would observe them.
func (p *Platform) WatchLimits(global bot.RateLimit, perChat ...bot.RateLimit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if global.Count > 0 {
		p.global = &watch{limit: global}
	}
	for _, l := range perChat {
		p.limits = append(p.limits, watch{limit: l, chats: map[string][]time.Time{}})
	}
}

// Violations counts sends that broke a watched limit.
func (p *Platform) Violations() int { p.mu.Lock(); defer p.mu.Unlock(); return p.violated }

// watch checks "at most Count sends in any window of Per".
type watch struct {
	limit bot.RateLimit
	times []time.Time
	chats map[string][]time.Time
}

func (w *watch) add(t time.Time) bool {
	ok := admit(&w.times, w.limit, t)
	return ok
}

func (w *watch) addChat(chat string, t time.Time) bool {
	ts := w.chats[chat]
	ok := admit(&ts, w.limit, t)
	w.chats[chat] = ts
	return ok
}

// admit records t and reports whether the window still holds at most Count
// sends, counting every send in (t-Per, t].
func admit(ts *[]time.Time, l bot.RateLimit, t time.Time) bool {
	cut := t.Add(-l.Per)
	s := *ts
	i := 0
	for i < len(s) && !s[i].After(cut) {
		i++
	}
	s = append(s[i:], t)
	*ts = s
	return len(s) <= l.Count
}

// String renders a Sent for failure messages.
func (s Sent) String() string {
	return fmt.Sprintf("%s %q edit=%v", s.ChatID, s.Text, s.Edit)
}
