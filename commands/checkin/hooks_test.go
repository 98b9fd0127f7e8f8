package checkin

import (
	"context"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// What the external tests (package checkin_test, which may use storage)
// reach of the feature's insides.

// OpenSession opens s as /checkin open does, with a short announcement.
func (f *Feature) OpenSession(ctx context.Context, s Session, now time.Time) (Session, error) {
	return f.openSession(ctx, s, nil, now, func(s Session) bot.Outgoing { return bot.Outgoing{ChatID: s.ChatID, Text: "签到开始"} })
}

// CloseSession closes a session as /checkin close does, with a short result.
func (f *Feature) CloseSession(ctx context.Context, id int64, now time.Time) (bool, error) {
	return f.closeSession(ctx, id, now, func(s Session, _ []Checkin) bot.Outgoing { return bot.Outgoing{ChatID: s.ChatID, Text: "结束"} })
}

// CheckIn hands one attempt to the batcher, as the /checkin handler does.
func (f *Feature) CheckIn(ctx context.Context, a Attempt) (Answer, error) {
	return f.batcher.Do(ctx, a)
}

// RunBatch runs one batch in a transaction of its own, as the batcher's
// goroutine does; with busy false (no other attempt waiting) the running
// counts owed follow in a transaction of their own.
func (f *Feature) RunBatch(ctx context.Context, busy bool, in []Attempt) ([]Answer, error) {
	var out []Answer
	err := f.store.UpdateCheckins(ctx, time.Time{}, func(tx Tx) error {
		var err error
		out, err = f.writer.Run(ctx, tx, in)
		return err
	})
	f.writer.After(err)
	if err != nil || busy || !f.writer.Deferred() {
		return out, err
	}
	return out, f.RunDeferred(ctx)
}

// RunDeferred queues the running counts owed in a transaction of its own,
// as the batcher does in a quiet moment.
func (f *Feature) RunDeferred(ctx context.Context) error {
	err := f.store.UpdateCheckins(ctx, time.Time{}, func(tx Tx) error { return f.writer.RunDeferred(ctx, tx) })
	f.writer.AfterDeferred(err)
	return err
}

// KeepBusy makes the writer act as one kept busy: its next batches leave
// their running counts for a quiet moment.
func (f *Feature) KeepBusy() { f.writer.lastCounts = time.Now() }

// CountsOwed reports running counts left for a quiet moment.
func (f *Feature) CountsOwed() bool { return f.writer.Deferred() }

// ForgetIdleChats has the writer forget the chats idle at now, as the tick
// does at the real time.
func (f *Feature) ForgetIdleChats(now time.Time) { f.writer.forgetIdle(now) }
