package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// sender delivers one platform's queued messages, in order per chat, within
// the platform's limits. Only the sender's goroutine touches its limiter.
type sender struct {
	e    *Engine
	p    Platform
	lim  *limiter
	log  *slog.Logger
	wake chan struct{}
	// forgotAt is when the limiter last forgot its idle chats.
	forgotAt time.Time
}

const (
	headsPerRound = 2000
	roundBudget   = time.Second // refetch at least this often so replies overtake bulk sends
	maxIdle       = 30 * time.Second
	maxBackoff    = 5 * time.Minute
	sendTimeout   = 30 * time.Second // one platform call
	forgetEvery   = time.Minute      // how often the limiter forgets idle chats
)

func newSender(e *Engine, p Platform, l Limits) *sender {
	if l.MaxMessageLen <= 0 {
		l.MaxMessageLen = 3500
	}
	return &sender{e: e, p: p, lim: newLimiter(l), log: e.log.With("platform", p.Name()), wake: make(chan struct{}, 1)}
}

// poke wakes the sender after an enqueue.
func (s *sender) poke() {
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
	for ctx.Err() == nil {
		sent, wait := s.round(ctx)
		if sent {
			continue
		}
		s.sleep(ctx, wait)
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
func sleepUntil(ctx context.Context, at time.Time) bool {
	d := time.Until(at)
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
// each chat). It reports whether it sent anything and, if not, how long to
// wait before looking again.
func (s *sender) round(ctx context.Context) (sent bool, wait time.Duration) {
	if now := time.Now(); now.Sub(s.forgotAt) >= forgetEvery {
		s.lim.forgetIdle(now)
		s.forgotAt = now
	}
	heads, err := s.e.store.OutboxHeads(ctx, s.p.Name(), s.e.now(), headsPerRound)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("read outbox", "err", err)
		}
		return false, time.Second
	}
	if len(heads) == 0 {
		return false, s.idleWait(ctx)
	}
	deadline := time.Now().Add(roundBudget)
	var earliest time.Time
	for i := 0; i < len(heads); i++ {
		m := heads[i]
		for {
			if ctx.Err() != nil {
				return sent, 0
			}
			if !m.ChatActive {
				s.fail(ctx, m, "机器人已不在该群")
				sent = true
				break
			}
			if ready := s.lim.chatReady(m.ChatID); ready.After(time.Now()) {
				if earliest.IsZero() || ready.Before(earliest) {
					earliest = ready
				}
				break
			}
			if !sleepUntil(ctx, s.lim.globalReady()) {
				return sent, 0
			}
			out, last := s.deliver(ctx, m)
			switch out {
			case delivered:
				sent = true
			case platformDown:
				return sent, 2 * time.Second
			}
			if time.Now().After(deadline) {
				return sent, 0
			}
			next, ok := s.nextInOrder(ctx, m, last, heads[i+1:])
			if out != delivered || !ok {
				break
			}
			m = next
		}
	}
	if sent {
		return true, 0
	}
	wait = time.Second
	if !earliest.IsZero() {
		wait = time.Until(earliest)
	}
	if g := time.Until(s.lim.globalReady()); g > wait {
		wait = g
	}
	return false, max(wait, time.Millisecond)
}

// idleWait is how long to sleep when nothing is due: until the next pending
// message's not_before, at most maxIdle; an enqueue wakes the sender sooner.
func (s *sender) idleWait(ctx context.Context) time.Duration {
	at, ok, err := s.e.store.NextOutboxDue(ctx, s.p.Name())
	if err != nil || !ok {
		return maxIdle
	}
	return min(max(at.Sub(s.e.now()), 10*time.Millisecond), maxIdle)
}

func isPlain(m OutboxMessage) bool {
	return len(m.Buttons) == 0 && m.EditOf == 0 && m.Mention == nil && m.ReplyTo == "" && m.File == ""
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
	delivered    outcome = iota // left the queue: delivered, or failed for good
	retryLater                  // stays pending, to be tried again
	platformDown                // the platform is not connected: stop trying for now
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
			n := utf8.RuneCountInString(m.Text)
			for _, f := range more {
				fl := utf8.RuneCountInString(f.Text)
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
	out := Outbound{ChatID: m.ChatExternalID, ChatKind: m.ChatKind, Text: strings.Join(parts, "\n\n"), Buttons: claimed[0].Buttons, Mention: m.Mention, ReplyTo: m.ReplyTo, File: m.File}
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
	s.lim.started(start)
	var msgID string
	msgID, err = s.send(sctx, m, out)
	s.lim.finished(m.ChatID, time.Now())
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
	default:
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
