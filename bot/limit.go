package bot

import (
	"maps"
	"math/rand/v2"
	"sync"
	"time"
)

// RateLimit allows Count messages in any window of length Per.
type RateLimit struct {
	Count int
	Per   time.Duration
}

func (r RateLimit) enabled() bool { return r.Count > 0 && r.Per > 0 }

// Limits are one platform's sending limits.
type Limits struct {
	// Global spaces all sends of the platform evenly (Per/Count apart) and
	// never lets more than Count complete in any window of Per.
	Global RateLimit
	// PerChat limits hold per chat, e.g. 1/s and 20/min: each is a hard
	// window (never more than Count completed sends in any Per), and the
	// budget is spread evenly over Per: after a burst of at most
	// evenBurst sends, one every Per/(Count-evenBurst+1), so a chat busy
	// for minutes sees its messages (a running count) keep moving instead
	// of Count at once and then nothing until the window opens again.
	PerChat []RateLimit
	// MinGap..MaxGap is a pause with random jitter between any two sends of
	// the platform (WeChat's pacing). Zero disables it.
	MinGap, MaxGap time.Duration
	// Merge lets pending plain messages to one chat go out as one message
	// when the chat's limit would otherwise hold them back.
	Merge bool
	// MaxMessageLen caps a merged message, in UTF-16 code units (default
	// 3500).
	MaxMessageLen int
	// Concurrency is how many sends may be in flight at once, each to a
	// different chat (default 1: one at a time, in queue order across
	// chats).
	Concurrency int
}

// evenBurst is how many sends a quiet chat may get at once (within its
// other windows) before its budget is spread evenly.
const evenBurst = 3

// window remembers the completion times of the last Count sends.
type window struct {
	limit RateLimit
	times []time.Time // ring buffer
	next  int
	full  bool
}

func newWindow(l RateLimit) *window {
	return &window{limit: l, times: make([]time.Time, l.Count)}
}

// ready is the earliest instant another send may start.
func (w *window) ready() time.Time {
	if !w.full {
		return time.Time{}
	}
	return w.times[w.next].Add(w.limit.Per) // the oldest of the last Count
}

func (w *window) record(t time.Time) {
	w.times[w.next] = t
	w.next++
	if w.next == len(w.times) {
		w.next = 0
		w.full = true
	}
}

type chatLimit struct {
	windows []*window
	even    []evenPace
	hold    time.Time // a platform's retry-after for this chat
	last    time.Time // the last send's start or end
}

// evenPace spreads a window's budget evenly (the generic cell rate
// algorithm): sends are due every interval, and a chat that was quiet may
// run ahead of that schedule by at most tolerance (evenBurst-1 sends).
type evenPace struct {
	interval, tolerance time.Duration
	tat                 time.Time // theoretical arrival time of the next send
}

func newEvenPace(r RateLimit) evenPace {
	burst := min(evenBurst, r.Count)
	// burst-1 sends ahead of schedule plus one per interval make at most
	// Count in any Per: the hard window never has to stop the chat.
	iv := r.Per / time.Duration(r.Count-burst+1)
	return evenPace{interval: iv, tolerance: time.Duration(burst-1) * iv}
}

func (p *evenPace) ready() time.Time {
	if p.tat.IsZero() {
		return time.Time{}
	}
	return p.tat.Add(-p.tolerance)
}

func (p *evenPace) take(t time.Time) { p.tat = later(p.tat, t).Add(p.interval) }

// limiter decides when the next message may go, for one platform. Its
// sender's dispatcher and send goroutines share it under its lock. Times are
// real monotonic times, never the injected business clock: limits are
// about the wall, not the calendar.
type limiter struct {
	mu         sync.Mutex
	l          Limits
	global     *window
	nextGlobal time.Time // even spacing of global sends
	nextGap    time.Time // pacing with jitter
	chats      map[int64]*chatLimit
	rnd        *rand.Rand
}

func newLimiter(l Limits) *limiter {
	lim := &limiter{l: l, chats: map[int64]*chatLimit{}, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	if l.Global.enabled() {
		lim.global = newWindow(l.Global)
	}
	return lim
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// globalReady is when the platform may send its next message at all.
func (lim *limiter) globalReady() time.Time {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	t := later(lim.nextGlobal, lim.nextGap)
	if lim.global != nil {
		t = later(t, lim.global.ready())
	}
	return t
}

func (lim *limiter) chat(id int64) *chatLimit {
	c := lim.chats[id]
	if c == nil {
		c = &chatLimit{}
		for _, r := range lim.l.PerChat {
			if r.enabled() {
				c.windows = append(c.windows, newWindow(r))
				c.even = append(c.even, newEvenPace(r))
			}
		}
		lim.chats[id] = c
	}
	return c
}

// chatReady is when chat id may receive its next message.
func (lim *limiter) chatReady(id int64) time.Time {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	c := lim.chat(id)
	t := c.hold
	for _, w := range c.windows {
		t = later(t, w.ready())
	}
	for i := range c.even {
		t = later(t, c.even[i].ready())
	}
	return t
}

// wouldWait reports whether, after one more send now, the chat's next send
// would have to wait: the condition for merging what is pending.
func (lim *limiter) wouldWait(id int64, now time.Time) bool {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	c := lim.chat(id)
	for _, w := range c.windows {
		if w.limit.Count == 1 {
			return true
		}
		if w.full && !w.times[(w.next+1)%len(w.times)].Add(w.limit.Per).Before(now) {
			return true
		}
	}
	for _, p := range c.even {
		p.take(now)
		if p.ready().After(now) {
			return true
		}
	}
	return now.Before(c.hold)
}

// prune forgets chats whose every window has passed: a chat's state
// counts only while it can hold a send back, and a bot in many chats must
// not keep one for each chat it ever wrote to.
func (lim *limiter) prune(now time.Time) {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	var longest time.Duration
	for _, r := range lim.l.PerChat {
		longest = max(longest, r.Per)
	}
	before := len(lim.chats)
	for id, c := range lim.chats {
		if now.Sub(c.last) > longest && !now.Before(c.hold) {
			delete(lim.chats, id)
		}
	}
	// A Go map keeps its size after deletions: make it anew when most of
	// it went (some 700 bytes a chat, and every member who ever talked to
	// the bot in private is a chat). Not maps.Clone: it keeps the capacity.
	if len(lim.chats) < before/2 {
		kept := make(map[int64]*chatLimit, len(lim.chats))
		maps.Copy(kept, lim.chats)
		lim.chats = kept
	}
}

// catchUpShare is the part of the global window by which even spacing may
// lag behind the clock: time lost to a pause (a database read, a slow send)
// is made up by sending the following messages back to back, up to this
// much of the window. The global window itself still caps every Per.
const catchUpShare = 4

// started records that a send to chat id starts at t (for even spacing and
// pacing).
func (lim *limiter) started(id int64, t time.Time) {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	c := lim.chat(id)
	for i := range c.even {
		c.even[i].take(t)
	}
	c.last = later(c.last, t)
	if lim.global != nil {
		// Even spacing without accumulated drift: a send that started late
		// neither pushes every later send back nor loses the time for good;
		// the schedule may lag the clock by at most Per/catchUpShare.
		gap := lim.l.Global.Per / time.Duration(lim.l.Global.Count)
		if lim.nextGlobal.IsZero() {
			lim.nextGlobal = t.Add(gap) // no burst at the first send
			return
		}
		lim.nextGlobal = later(lim.nextGlobal.Add(gap), t.Add(-lim.l.Global.Per/catchUpShare).Add(gap))
	}
}

// finished records a send to chat id that completed at t. Windows count
// completions, which are never earlier than the platform saw the message, so
// a platform observing the sends can never count more than the limit.
func (lim *limiter) finished(id int64, t time.Time) {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	if lim.global != nil {
		lim.global.record(t)
	}
	c := lim.chat(id)
	for _, w := range c.windows {
		w.record(t)
	}
	c.last = later(c.last, t)
	if lim.l.MaxGap > 0 {
		gap := lim.l.MinGap
		if span := lim.l.MaxGap - lim.l.MinGap; span > 0 {
			gap += time.Duration(lim.rnd.Int64N(int64(span)))
		}
		lim.nextGap = t.Add(gap)
	}
}

func (lim *limiter) holdChat(id int64, until time.Time) {
	lim.mu.Lock()
	defer lim.mu.Unlock()
	c := lim.chat(id)
	c.hold = later(c.hold, until)
}
