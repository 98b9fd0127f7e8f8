package bot

import (
	"math/rand/v2"
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
	// PerChat limits are hard windows per chat, e.g. 1/s and 20/min.
	PerChat []RateLimit
	// MinGap..MaxGap is a pause with random jitter between any two sends of
	// the platform (WeChat's pacing). Zero disables it.
	MinGap, MaxGap time.Duration
	// Merge lets pending plain messages to one chat go out as one message
	// when the chat's limit would otherwise hold them back.
	Merge bool
	// MaxMessageLen caps a merged message, in runes (default 3500).
	MaxMessageLen int
}

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
	hold    time.Time // a platform's retry-after for this chat
}

// limiter decides when the next message may go, for one platform. It is used
// by one sender goroutine only. Times are real monotonic times, never the
// injected business clock: limits are about the wall, not the calendar.
type limiter struct {
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
			}
		}
		lim.chats[id] = c
	}
	return c
}

// chatReady is when chat id may receive its next message.
func (lim *limiter) chatReady(id int64) time.Time {
	c := lim.chat(id)
	t := c.hold
	for _, w := range c.windows {
		t = later(t, w.ready())
	}
	return t
}

// wouldWait reports whether, after one more send now, the chat's next send
// would have to wait: the condition for merging what is pending.
func (lim *limiter) wouldWait(id int64, now time.Time) bool {
	c := lim.chat(id)
	for _, w := range c.windows {
		if w.limit.Count == 1 {
			return true
		}
		if w.full && !w.times[(w.next+1)%len(w.times)].Add(w.limit.Per).Before(now) {
			return true
		}
	}
	return now.Before(c.hold)
}

// catchUpShare is the part of the global window by which even spacing may
// lag behind the clock: time lost to a pause (a database read, a slow send)
// is made up by sending the following messages back to back, up to this
// much of the window. The global window itself still caps every Per.
const catchUpShare = 4

// started records that a send starts at t (for even spacing and pacing).
func (lim *limiter) started(t time.Time) {
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
	if lim.global != nil {
		lim.global.record(t)
	}
	for _, w := range lim.chat(id).windows {
		w.record(t)
	}
	if lim.l.MaxGap > 0 {
		gap := lim.l.MinGap
		if span := lim.l.MaxGap - lim.l.MinGap; span > 0 {
			gap += time.Duration(lim.rnd.Int64N(int64(span)))
		}
		lim.nextGap = t.Add(gap)
	}
}

func (lim *limiter) holdChat(id int64, until time.Time) {
	c := lim.chat(id)
	c.hold = later(c.hold, until)
}

// forgetIdle drops the chats whose windows hold no send younger than their
// length and whose hold has passed: a new chatLimit allows the same, so
// only memory is saved (some 700 bytes a chat, and every member who ever
// talked to the bot in private is a chat). The map is made anew when most
// of it went, as a Go map keeps its size after deletions.
func (lim *limiter) forgetIdle(now time.Time) {
	before := len(lim.chats)
	for id, c := range lim.chats {
		if now.Before(c.hold) {
			continue
		}
		idle := true
		for _, w := range c.windows {
			if !w.emptyAt(now) {
				idle = false
				break
			}
		}
		if idle {
			delete(lim.chats, id)
		}
	}
	if len(lim.chats) < before/2 {
		kept := make(map[int64]*chatLimit, len(lim.chats))
		for id, c := range lim.chats {
			kept[id] = c
		}
		lim.chats = kept
	}
}

// emptyAt reports whether every send the window recorded is at least its
// length before now.
func (w *window) emptyAt(now time.Time) bool {
	last := w.next - 1
	if last < 0 {
		if !w.full {
			return true
		}
		last = len(w.times) - 1
	}
	return !w.times[last].Add(w.limit.Per).After(now)
}
