package checkin

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
)

// What a group may say without a slash: 签到 and 到 only while a session is
// open or has just ended (elsewhere they are ordinary words; just after the
// end they are someone arriving late, who is told so), and the session's
// code on its own.

// justEnded is how long after its end a session still answers a bare 签到
// or its code (with "已结束").
const justEnded = 30 * time.Minute

// latestSessions remembers the latest session of each group chat that
// asked, so that bare words and codes, which may be any short message, do
// not each cost a read. The feature forgets a chat before and after the
// transaction that opens or closes a session in it; a session that ends by
// its time is told by its EndsAt. It holds one small entry per group chat.
type latestSessions struct {
	mu sync.Mutex
	m  map[int64]latestSession
}

type latestSession struct {
	ok bool // false: the chat never had a session
	s  Session
}

func (l *latestSessions) forget(chatID int64) {
	l.mu.Lock()
	delete(l.m, chatID)
	l.mu.Unlock()
}

// current is the chat's session open at r's time, or ended less than
// justEnded before it, if any.
func (f *Feature) current(ctx context.Context, r *bot.Request) (Session, bool, error) {
	l := &f.latest
	l.mu.Lock()
	e, ok := l.m[r.Chat.ID]
	l.mu.Unlock()
	if !ok {
		s, err := f.store.LatestCheckin(ctx, r.Chat.ID)
		switch {
		case errors.Is(err, bot.ErrNotFound):
		case err != nil:
			return Session{}, false, err
		default:
			e = latestSession{ok: true, s: s}
		}
		l.mu.Lock()
		if l.m == nil {
			l.m = map[int64]latestSession{}
		}
		l.m[r.Chat.ID] = e
		l.mu.Unlock()
	}
	if !e.ok || !recent(e.s, r.Now()) {
		return Session{}, false, nil
	}
	return e.s, true, nil
}

// recent reports a session open at now or ended less than justEnded ago.
func recent(s Session, now time.Time) bool {
	end := s.EndsAt
	if !s.ClosedAt.IsZero() && s.ClosedAt.Before(end) {
		end = s.ClosedAt
	}
	return now.Before(end.Add(justEnded))
}

// sessionOpen is the Expecting hook of 签到 and 到 without a slash.
func (f *Feature) sessionOpen(ctx context.Context, r *bot.Request) (bool, error) {
	_, ok, err := f.current(ctx, r)
	return ok, err
}

// Observe takes a group message that is exactly the session's code (give
// or take the punctuation phones add) as a check-in with it; just after the
// end, as an attempt that is told so.
func (f *Feature) Observe(ctx context.Context, r *bot.Request) error {
	if r.Chat.Kind != bot.Group {
		return nil
	}
	if done, err := f.observeDone(ctx, r); done || err != nil {
		return err
	}
	text := strings.TrimSpace(r.Message.Text)
	if text == "" || utf8.RuneCountInString(text) > 20 || strings.ContainsFunc(text, isSpaceRune) {
		return nil
	}
	s, ok, err := f.current(ctx, r)
	if err != nil || !ok || s.Code == "" {
		return err
	}
	if code := strings.TrimRightFunc(text, decoration); code != s.Code {
		return nil
	}
	return f.checkInWith(ctx, r, s.Code)
}

func isSpaceRune(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\u3000' }
