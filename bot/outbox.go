package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// sender delivers one platform's queued messages within the platform's
// limits: to different chats at once (up to Limits.Concurrency sends in
// flight), in order within each chat (one send in flight per chat, the next
// taken after it), replies before bulk sends.
//
// It reads the outbox only when it may send something: a wake for chats
// that are all held by their limits, or all have a send in flight, does not
// wake it; it sleeps until the first held chat's window opens. After a send
// fails for no reason of its own it asks the platform whether it is up
// (Prober); while the platform is down it holds every send and probes once a
// second, and sends again as soon as a probe is answered.
type sender struct {
	e       *Engine
	p       Platform
	lim     *limiter
	log     *slog.Logger
	wake    chan struct{}
	workers int
	prober  Prober

	mu         sync.Mutex
	inflight   map[int64]bool      // chats with a send in flight
	held       map[int64]time.Time // chats with work, held by their limit until then (as of the last round)
	down       bool                // the platform did not answer a probe
	slots      chan struct{}       // one per send in flight
	sends      sync.WaitGroup      // sends in flight
	rounds     atomic.Int64        // outbox reads, for tests
	dispatched atomic.Int64        // sends handed to goroutines
}

const (
	headsPerRound = 2000
	roundBudget   = time.Second // refetch at least this often so replies overtake bulk sends
	maxIdle       = 30 * time.Second
	maxBackoff    = 5 * time.Minute
	sendTimeout   = 30 * time.Second // one platform call
	probeEvery    = time.Second      // probing a platform that is down
	probeTimeout  = 5 * time.Second
)

func newSender(e *Engine, p Platform, l Limits) *sender {
	if l.MaxMessageLen <= 0 {
		l.MaxMessageLen = 3500
	}
	if l.Concurrency <= 0 {
		l.Concurrency = 1
	}
	s := &sender{e: e, p: p, lim: newLimiter(l), log: e.log.With("platform", p.Name()), wake: make(chan struct{}, 1),
		workers: l.Concurrency, inflight: map[int64]bool{}, held: map[int64]time.Time{}, slots: make(chan struct{}, l.Concurrency)}
	s.prober, _ = p.(Prober)
	return s
}

// poke wakes the sender after an enqueue for chats (none: any chat). A
// wake only for chats that all wait for their limit, or all have a send in
// flight, is dropped: the sender already sleeps until the first of them may
// be served, and a send's end wakes it anyway.
func (s *sender) poke(chats ...int64) {
	if len(chats) > 0 {
		s.mu.Lock()
		now := time.Now()
		serve := s.down
		for _, c := range chats {
			if until, ok := s.held[c]; !s.inflight[c] && (!ok || !until.After(now)) {
				serve = true
				break
			}
		}
		down := s.down
		s.mu.Unlock()
		if !serve || down {
			return
		}
	}
	s.wakeUp()
}

func (s *sender) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *sender) run(ctx context.Context) {
	if n, err := s.e.store.ResetSending(ctx, s.p.Name()); err != nil {
		s.log.Error("reset interrupted sends", "err", err)
	} else if n > 0 {
		s.log.Warn("messages interrupted while sending are queued again", "count", n)
	}
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	for ctx.Err() == nil {
		select {
		case <-prune.C:
			s.lim.prune(time.Now())
		default:
		}
		if s.isDown() {
			s.probeUntilUp(ctx)
			continue
		}
		again, wait := s.round(ctx)
		if again {
			continue
		}
		s.sleep(ctx, wait)
	}
	s.sends.Wait() // a send that has started finishes
}

func (s *sender) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *sender) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// healthy asks the platform whether it is reachable; a platform that cannot
// be asked counts as reachable.
func (s *sender) healthy(ctx context.Context) bool {
	if s.prober == nil {
		return true
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return s.prober.Probe(pctx) == nil
}

// probeUntilUp probes the platform once a second until it answers.
func (s *sender) probeUntilUp(ctx context.Context) {
	start := time.Now()
	for ctx.Err() == nil {
		if !sleepUntil(ctx, time.Now().Add(probeEvery)) {
			return
		}
		if s.healthy(ctx) {
			s.setDown(false)
			s.log.Info("platform reachable again; sending", "down_for", time.Since(start).Round(time.Millisecond))
			return
		}
	}
}

func (s *sender) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.wake:
	case <-t.C:
	}
}

// sleepUntil waits for a real instant, not interruptible by pokes.
func sleepUntil(ctx context.Context, at time.Time) bool { return Sleep(ctx, time.Until(at)) }

// Sleep waits d, or less if ctx ends first; it reports whether ctx is
// still alive (the whole wait passed). Adapters use it for their pauses.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// round sends what it can of the current heads (the oldest due message of
// each chat). It reports whether to look again at once and, if not, how
// long to sleep before looking again (a wake cuts it short).
func (s *sender) round(ctx context.Context) (again bool, wait time.Duration) {
	heads, err := s.e.store.OutboxHeads(ctx, s.p.Name(), s.e.now(), headsPerRound)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("read outbox", "err", err)
		}
		return false, time.Second
	}
	held := map[int64]time.Time{}
	defer func() {
		s.mu.Lock()
		s.held = held
		s.mu.Unlock()
	}()
	if len(heads) == 0 {
		return false, s.idleWait(ctx)
	}
	deadline := time.Now().Add(roundBudget)
	var earliest time.Time
	progress := false
	for i := 0; i < len(heads); i++ {
		m := heads[i]
		for {
			if ctx.Err() != nil || s.isDown() {
				return false, 0
			}
			if s.chatBusy(m.ChatID) {
				break // its send's end wakes the sender for the next
			}
			if !m.ChatActive {
				s.fail(ctx, m, "机器人已不在该群")
				progress = true
				break
			}
			if ready := s.lim.chatReady(m.ChatID); ready.After(time.Now()) {
				held[m.ChatID] = ready
				if earliest.IsZero() || ready.Before(earliest) {
					earliest = ready
				}
				break
			}
			if !s.acquire(ctx) || !sleepUntil(ctx, s.lim.globalReady()) {
				return false, 0
			}
			if s.workers > 1 {
				s.dispatch(ctx, m)
				break
			}
			// One send at a time: the chat's next reply may follow at once
			// when it is older than every other chat's head, so replies
			// leave in the order they were queued.
			out, last := s.deliver(ctx, m)
			<-s.slots
			switch out {
			case delivered, retryLater:
				// (A retry may be due at once: a chat moved, a head
				// superseded meanwhile. The next look sees.)
				progress = true
			case platformDown:
				return false, 2 * time.Second
			case outage:
				return false, 0
			}
			if time.Now().After(deadline) {
				return true, 0
			}
			next, ok := s.nextInOrder(ctx, m, last, heads[i+1:])
			if out != delivered || !ok {
				break
			}
			m = next
		}
		if time.Now().After(deadline) {
			return true, 0
		}
	}
	if progress {
		return true, 0
	}
	// Until the first held chat may be served, or the first message
	// waiting to be retried is due; a send's end or a wake comes sooner.
	wait = s.idleWait(ctx)
	if !earliest.IsZero() {
		wait = min(wait, time.Until(earliest))
	}
	if g := time.Until(s.lim.globalReady()); g > wait {
		wait = g
	}
	return false, max(wait, time.Millisecond)
}

// chatBusy reports whether chat has a send in flight.
func (s *sender) chatBusy(chat int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight[chat]
}

// acquire takes a send slot, waiting for one to free up.
func (s *sender) acquire(ctx context.Context) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// dispatch delivers m on a goroutine of its own; the chat takes no other
// send until it ends, which wakes the sender for the chat's next message.
func (s *sender) dispatch(ctx context.Context, m OutboxMessage) {
	s.mu.Lock()
	s.inflight[m.ChatID] = true
	s.mu.Unlock()
	s.dispatched.Add(1)
	s.sends.Add(1)
	go func() {
		defer s.sends.Done()
		out, _ := s.deliver(ctx, m)
		<-s.slots
		s.mu.Lock()
		delete(s.inflight, m.ChatID)
		s.mu.Unlock()
		if out == platformDown {
			// Logged out: the adapter wakes every sender when it is back.
			return
		}
		s.wakeUp()
	}()
}

// idleWait is how long to sleep when nothing due can be sent: until the next
// pending message's not_before, at most maxIdle; an enqueue wakes the
// sender sooner.
func (s *sender) idleWait(ctx context.Context) time.Duration {
	at, ok, err := s.e.store.NextOutboxDue(ctx, s.p.Name(), s.e.now())
	if err != nil || !ok {
		return maxIdle
	}
	return min(max(at.Sub(s.e.now()), 10*time.Millisecond), maxIdle)
}

func isPlain(m OutboxMessage) bool {
	return len(m.Buttons) == 0 && m.EditOf == 0 && m.Mention == nil && len(m.Mentions) == 0 && m.ReplyTo == "" && m.File == ""
}

// nextInOrder returns the chat's next due reply when it is older than every
// other chat's head, so replies leave in the order they were queued (a piped
// terminal prints answers in the order of the questions).
func (s *sender) nextInOrder(ctx context.Context, m OutboxMessage, lastID int64, rest []OutboxMessage) (OutboxMessage, bool) {
	if m.Bulk {
		return OutboxMessage{}, false
	}
	more, err := s.e.store.OutboxFollowing(ctx, m.ChatID, lastID, s.e.now(), 1)
	if err != nil || len(more) == 0 || more[0].Bulk {
		return OutboxMessage{}, false
	}
	for _, h := range rest {
		if !h.Bulk && h.ID < more[0].ID {
			return OutboxMessage{}, false
		}
	}
	// Replies queued in other chats since this round began come first too.
	older, err := s.e.store.OlderReplyElsewhere(ctx, s.p.Name(), m.ChatID, more[0].ID, s.e.now())
	if err != nil || older {
		return OutboxMessage{}, false
	}
	return more[0], true
}

// outcome is what became of one delivery attempt.
type outcome int

const (
	delivered    outcome = iota // left the queue: delivered, failed for good, or outcome unknown
	retryLater                  // stays pending, to be tried again
	platformDown                // the platform is not connected: stop trying for now
	outage                      // the platform does not answer: hold sends and probe
)

// deliver sends one head message, merged with the chat's following plain
// messages when the chat's limit would hold them back.
// It returns the outcome and the last outbox id the send covered.
func (s *sender) deliver(ctx context.Context, m OutboxMessage) (outcome, int64) {
	var err error
	ids := []int64{m.ID}
	if s.lim.l.Merge && len(m.Buttons) == 0 && m.EditOf == 0 && m.File == "" && s.lim.wouldWait(m.ChatID, time.Now()) {
		more, err := s.e.store.OutboxFollowing(ctx, m.ChatID, m.ID, s.e.now(), 50)
		if err == nil {
			n := textLen(m.Text)
			for _, f := range more {
				fl := textLen(f.Text)
				if !isPlain(f) || n+fl+2 > s.lim.l.MaxMessageLen {
					break
				}
				n += fl + 2
				ids = append(ids, f.ID)
			}
		}
	}

	// A send that has started finishes even during a shutdown: cancelling it
	// could leave a message the platform accepted marked as unsent, and send
	// it again after a restart. Bookkeeping, too, must survive the shutdown.
	bctx := context.WithoutCancel(ctx)
	// Claiming the messages returns their content as it is now: an edit of
	// an unsent message may have changed it since it was read.
	claimed, cerr := s.e.store.MarkSending(bctx, ids)
	if cerr != nil {
		s.log.Error("mark sending", "ids", ids, "err", cerr)
		return retryLater, m.ID
	}
	if len(claimed) == 0 || claimed[0].ID != m.ID {
		// The head was superseded meanwhile; release the rest.
		for _, c := range claimed {
			if rerr := s.e.store.MarkRetry(bctx, c.ID, s.e.now(), false, ""); rerr != nil {
				s.log.Error("release message", "outbox", c.ID, "err", rerr)
			}
		}
		return retryLater, m.ID
	}
	ids = ids[:0]
	parts := make([]string, len(claimed))
	for i, c := range claimed {
		ids = append(ids, c.ID)
		parts[i] = c.Text
	}
	out := Outbound{ChatID: m.ChatExternalID, ChatKind: m.ChatKind, Text: strings.Join(parts, "\n\n"), Buttons: claimed[0].Buttons, Mention: m.Mention, Mentions: m.Mentions, ReplyTo: m.ReplyTo, File: m.File}
	if len(ids) == 1 {
		// Only a message sent alone records its parts: a merged text is
		// made anew at each attempt.
		out.PartsSent = claimed[0].PartsSent
		out.PartSent = func(n int) {
			if err := s.e.store.MarkPartsSent(bctx, m.ID, n); err != nil {
				s.log.Error("record parts sent", "outbox", m.ID, "parts", n, "err", err)
			}
		}
	}
	if len(ids) > 1 {
		// Messages merged into a send that did not succeed go back to the
		// queue on their own; the head's fate is decided below.
		defer func() {
			if err == nil {
				return
			}
			for _, id := range ids[1:] {
				if rerr := s.e.store.MarkRetry(bctx, id, s.e.now(), false, ""); rerr != nil {
					s.log.Error("requeue merged message", "outbox", id, "err", rerr)
				}
			}
		}()
	}
	sctx, cancel := context.WithTimeout(bctx, sendTimeout)
	start := time.Now()
	s.lim.started(m.ChatID, start)
	var msgID string
	msgID, err = s.send(sctx, m, out)
	s.lim.finished(m.ChatID, time.Now())
	timedOut := sctx.Err() != nil && ctx.Err() == nil
	cancel()

	if err == nil {
		if err := s.e.store.MarkDelivered(bctx, ids, msgID, s.e.now()); err != nil {
			s.log.Error("mark delivered", "ids", ids, "err", err)
		}
		return delivered, ids[len(ids)-1]
	}
	var (
		retry    *RetryAfterError
		perm     *PermanentError
		migrated *ChatMigratedError
	)
	switch {
	case errors.Is(err, ErrOutcomeUnknown) || timedOut && !errors.Is(err, ErrNotConnected):
		// The platform may have the message: sending it again could
		// deliver it twice. It leaves the queue as "unknown" (logged,
		// shown by /broadcast status); the chat's next message follows.
		s.log.Warn("send timed out after the platform was handed it: outcome unknown, not sent again",
			"outbox", ids, "chat", m.ChatID, "after", time.Since(start).Round(time.Millisecond), "err", err)
		if uerr := s.e.store.MarkUnknown(bctx, ids, truncate("结果未知（发送超时，平台可能已收到，未重发）："+err.Error(), 500)); uerr != nil {
			s.log.Error("mark outcome unknown", "ids", ids, "err", uerr)
		}
		err = nil // nothing to requeue
		return delivered, ids[len(ids)-1]
	case errors.As(err, &migrated):
		if merr := s.e.store.MigrateChat(bctx, s.p.Name(), m.ChatExternalID, migrated.NewID); merr != nil {
			s.log.Error("migrate chat", "from", m.ChatExternalID, "to", migrated.NewID, "err", merr)
		}
		s.log.Info("chat migrated; sending again", "from", m.ChatExternalID, "to", migrated.NewID)
		s.retry(bctx, m, 0, false, err)
		return retryLater, m.ID
	case errors.As(err, &retry):
		until := time.Now().Add(retry.After)
		s.lim.holdChat(m.ChatID, until)
		s.log.Warn("rate limited by platform", "chat", m.ChatID, "retry_after", retry.After)
		s.retry(bctx, m, retry.After, true, err)
		return retryLater, m.ID
	case errors.Is(err, ErrNotConnected):
		s.retry(bctx, m, 0, false, err)
		return platformDown, m.ID
	case errors.Is(err, ErrChatGone):
		if aerr := s.e.store.SetChatActive(bctx, m.ChatID, false); aerr != nil {
			s.log.Error("deactivate chat", "chat", m.ChatID, "err", aerr)
		}
		s.fail(bctx, m, "机器人已不在该群")
		return delivered, ids[len(ids)-1]
	case errors.As(err, &perm):
		s.fail(bctx, m, perm.Err.Error())
		return delivered, ids[len(ids)-1]
	case ctx.Err() != nil:
		s.retry(bctx, m, 0, false, err) // shutting down: sent after restart
		return retryLater, m.ID
	case !s.healthy(bctx):
		// The platform does not answer at all: no backoff per message, but
		// every send held until a probe is answered, then sent at once.
		s.log.Warn("platform unreachable; holding sends and probing every second", "outbox", m.ID, "err", err)
		s.setDown(true)
		s.retry(bctx, m, 0, true, err)
		return outage, m.ID
	default:
		// The platform answers, so the trouble is this message's.
		backoff := min(time.Second<<min(m.Attempts, 12), maxBackoff)
		s.log.Warn("send failed; will retry", "outbox", m.ID, "attempt", m.Attempts+1, "in", backoff, "err", err)
		s.retry(bctx, m, backoff, true, err)
		return retryLater, m.ID
	}
}

// send delivers out, editing the earlier message where asked and possible.
func (s *sender) send(ctx context.Context, m OutboxMessage, out Outbound) (string, error) {
	if out.File != "" && !s.p.Capabilities().Files {
		// A feature decides by Capabilities.Files; a file queued for a
		// platform without them cannot go out by retrying.
		return "", &PermanentError{Err: fmt.Errorf("平台 %s 不能发送文件 %s", s.p.Name(), filepath.Base(out.File))}
	}
	if m.EditOf != 0 {
		if ed, ok := s.p.(Editor); ok && s.p.Capabilities().Edit {
			orig, err := s.e.store.OutboxMessage(ctx, m.EditOf)
			if err != nil {
				return "", fmt.Errorf("load message %d to edit: %w", m.EditOf, err)
			}
			if orig.State == OutboxDelivered && orig.PlatformMsgID != "" {
				if err := ed.Edit(ctx, orig.PlatformMsgID, out); err != nil {
					return "", err
				}
				return orig.PlatformMsgID, nil
			}
		}
	}
	return s.p.Send(ctx, out)
}

func (s *sender) retry(ctx context.Context, m OutboxMessage, after time.Duration, count bool, cause error) {
	// A platform's error may quote the request URL with its credentials.
	if err := s.e.store.MarkRetry(ctx, m.ID, s.e.now().Add(after), count, truncate(s.e.redactor.String(cause.Error()), 500)); err != nil {
		s.log.Error("mark retry", "outbox", m.ID, "err", err)
	}
}

func (s *sender) fail(ctx context.Context, m OutboxMessage, reason string) {
	s.log.Warn("message failed for good", "outbox", m.ID, "chat", m.ChatID, "reason", reason)
	if err := s.e.store.MarkFailed(ctx, m.ID, s.e.redactor.String(reason)); err != nil {
		s.log.Error("mark failed", "outbox", m.ID, "err", err)
	}
}

// textLen is a text's length for merging: in UTF-16 code units, which is
// what the strictest platform (Telegram) counts, so a merged text never
// needs more than one part there.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// JoinLines joins non-empty lines with newlines.
func JoinLines(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}
