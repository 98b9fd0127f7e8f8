package followup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// A linked member who missed FlagAfter check-in sessions in a row (expected
// by the roster, not checked in, not made up, no approved leave) is flagged
// privately to the secretaries of their unit (or of the nearest unit above
// it that has some), once per streak: when a session that ends makes the
// streak exactly FlagAfter long. Each ended session is looked at once: the
// look is recorded (followup_runs, kind "missed") with the notices it
// queues.

// missedKind keys the record of an ended session's look for streaks.
const missedKind Kind = "missed"

// flagWindow is how long after its end a session is still looked at (a bot
// that was down longer does not flag old streaks).
const flagWindow = 24 * time.Hour

func (f *Feature) flagMisses(ctx context.Context, now time.Time) error {
	if f.opts.FlagAfter <= 0 {
		return nil
	}
	ended, err := f.store.ClosedCheckins(ctx, now.Add(-flagWindow))
	if err != nil || len(ended) == 0 {
		return err
	}
	keys := make([]Task, len(ended))
	for i, t := range ended {
		keys[i] = Task{Kind: missedKind, ID: t.ID}
	}
	runs, err := f.store.FollowupRuns(ctx, keys)
	if err != nil {
		return err
	}
	for _, s := range ended {
		if len(runs[Key{missedKind, s.ID}]) > 0 {
			continue
		}
		outs, err := f.streakNotices(ctx, s, now)
		if err != nil {
			return err
		}
		err = f.store.UpdateFollowup(ctx, now, func(tx Tx) error {
			claimed, err := tx.ClaimRun(Key{missedKind, s.ID}, 0, "looked", len(outs))
			if err != nil || !claimed {
				return err
			}
			for _, o := range outs {
				if _, _, err := tx.Enqueue(o); err != nil {
					return fmt.Errorf("queue missed-streak notice: %w", err)
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("missed streaks of session %d: %w", s.ID, err)
		}
	}
	return nil
}

// streakNotices are the notices session s's end causes: for each member it
// expected who missed it and whose streak is now exactly FlagAfter long, a
// private message to each secretary of their unit who has a private chat.
func (f *Feature) streakNotices(ctx context.Context, s Task, now time.Time) ([]bot.Outgoing, error) {
	ps, err := f.load(ctx, []Task{s})
	if err != nil {
		return nil, err
	}
	p := ps[s.Key()]
	units := f.engine.Units()
	var out []bot.Outgoing
	// Those who never linked cannot check in: the result names them already.
	for _, who := range p.Pending {
		e := who.Entry
		// The sessions that expected them: of their unit and the units above.
		history, err := f.store.CheckinsExpecting(ctx, append([]int64{e.UnitID}, units.Ancestors(e.UnitID)...), s.Created, f.opts.FlagAfter+1)
		if err != nil {
			return nil, err
		}
		history = slices.DeleteFunc(history, func(h Task) bool { return !titleOK(h, e) })
		if len(history) < f.opts.FlagAfter {
			continue
		}
		done, err := f.store.TasksDone(ctx, history)
		if err != nil {
			return nil, err
		}
		leave, err := f.store.TasksOnLeave(ctx, history)
		if err != nil {
			return nil, err
		}
		missed := make([]bool, len(history))
		for i, h := range history {
			missed[i] = !done[h.Key()][e.ID] && !leave[h.Key()][e.ID]
		}
		if streak(missed) != f.opts.FlagAfter {
			continue
		}
		var which []string
		for _, h := range history[:f.opts.FlagAfter] {
			which = append(which, fmt.Sprintf("「%s」（%s）", h.Title, when.Date(h.Created.In(f.engine.Location()), now)))
		}
		text := fmt.Sprintf("关注：%s（%s，%s）已连续 %d 次未参加签到：%s。没有请假记录，请了解情况。",
			e.Name, e.Number, units.Name(e.UnitID), f.opts.FlagAfter, strings.Join(which, "、"))
		chats, err := f.secretaryChats(ctx, e)
		if err != nil {
			return nil, err
		}
		for _, c := range chats {
			out = append(out, bot.Outgoing{ChatID: c, Text: text, IdemKey: fmt.Sprintf("fu:missed:%d:%d:%d", s.ID, e.ID, c)})
		}
	}
	return out, nil
}

// secretaryChats are the private chats of the secretaries of e's unit, or
// of the nearest unit above it that has secretaries (never e themselves).
func (f *Feature) secretaryChats(ctx context.Context, e bot.RosterEntry) ([]int64, error) {
	units := f.engine.Units()
	for _, u := range append([]int64{e.UnitID}, units.Ancestors(e.UnitID)...) {
		es, err := f.store.RosterOfUnits(ctx, []int64{u})
		if err != nil {
			return nil, err
		}
		var sec []int64
		for _, x := range es {
			if x.Role == bot.RoleSecretary && x.ID != e.ID {
				sec = append(sec, x.ID)
			}
		}
		if len(sec) == 0 {
			continue
		}
		ids, err := f.store.Identities(ctx, sec)
		if err != nil {
			return nil, err
		}
		var chats []int64
		for _, id := range sec {
			for _, i := range ids[id] {
				if i.PrivateChat != 0 && f.engine.Capabilities(i.Member.Platform).Private {
					chats = append(chats, i.PrivateChat)
					break
				}
			}
		}
		return chats, nil
	}
	return nil, nil
}
