package followup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// The desk: follow-up of a unit's tasks for its secretary outside a chat
// (the web console), with the chat's rules: a check-in session or relay
// needs a secretary of its group's unit (as /progress and /remind in that
// group), a notice a secretary of every unit it went to (as /remind
// broadcast). Reminders from the desk are the same as /remind's: only the
// expected who have not done it and are not on leave, privately where
// possible, through the outbox with idempotency keys.

// DeskTask is a task with its progress.
type DeskTask struct {
	Task
	Name     string // 签到 #1「主题党日」, 通知 #3「…」
	Group    string // the task's group; "" for a notice
	Over     bool   // no longer taking part: not reminded
	Progress Progress
}

// deskTasks bounds the notices one page lists.
const deskTasks = 30

// DeskTasks lists the open check-in sessions and relays with for= in the
// groups of a unit and the units below it, and the notices asking for
// confirmation (still within their 7 days) whose every target unit c may
// remind for and one of which is the unit or below it, each with its
// progress, if c is a secretary of the unit.
func (f *Feature) DeskTasks(ctx context.Context, c bot.Caller, unitID int64) ([]DeskTask, error) {
	units := f.engine.Units()
	if err := bot.RequireUnit(c, units, bot.RoleSecretary, unitID); err != nil {
		return nil, err
	}
	now := f.engine.Now()
	sub := units.Subtree(unitID)
	chats, err := f.store.ChatsOfUnits(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("groups of unit %d: %w", unitID, err)
	}
	title := map[int64]string{}
	for _, ch := range chats {
		title[ch.ID] = ch.Title
	}
	open, err := f.store.OpenTasks(ctx, now)
	if err != nil {
		return nil, err
	}
	var tasks []Task
	for _, t := range open {
		if _, ok := title[t.ChatID]; ok {
			tasks = append(tasks, t)
		}
	}
	slices.SortStableFunc(tasks, func(a, b Task) int { return b.Created.Compare(a.Created) })
	ids, err := f.store.ConfirmBroadcasts(ctx, now.Add(-f.opts.ReceiptWindow-24*time.Hour), deskTasks)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		t, err := f.store.BroadcastTask(ctx, id, f.opts.ReceiptWindow)
		if err != nil {
			return nil, fmt.Errorf("notice %d: %w", id, err)
		}
		if over(t, now) || bot.Require(c, units, bot.RoleSecretary, t.Units...) != nil ||
			!slices.ContainsFunc(t.Units, func(u int64) bool { return slices.Contains(sub, u) }) {
			continue
		}
		tasks = append(tasks, t)
	}
	return f.deskProgress(ctx, tasks, title)
}

// deskProgress loads the progress of tasks.
func (f *Feature) deskProgress(ctx context.Context, tasks []Task, title map[int64]string) ([]DeskTask, error) {
	ps, err := f.load(ctx, tasks)
	if err != nil {
		return nil, err
	}
	now := f.engine.Now()
	out := make([]DeskTask, len(tasks))
	for i, t := range tasks {
		out[i] = DeskTask{Task: t, Name: name(t), Over: over(t, now), Progress: ps[t.Key()]}
		if t.Kind != KindBroadcast {
			out[i].Group = title[t.ChatID]
		}
	}
	return out, nil
}

// deskTask finds a task by kind and global id and checks that c may follow
// it up, with the chat's rules.
func (f *Feature) deskTask(ctx context.Context, c bot.Caller, kind Kind, id int64) (Task, bot.Chat, error) {
	units := f.engine.Units()
	var (
		t   Task
		ch  bot.Chat
		err error
	)
	switch kind {
	case KindBroadcast:
		t, err = f.store.BroadcastTask(ctx, id, f.opts.ReceiptWindow)
	case KindCheckin, KindRelay:
		t, err = f.store.TaskByID(ctx, kind, id)
	default:
		return t, ch, bot.Errorf("没有这种任务。")
	}
	if errors.Is(err, bot.ErrNotFound) {
		return t, ch, bot.Errorf("没有这个%s。", map[Kind]string{KindCheckin: "签到", KindRelay: "接龙", KindBroadcast: "通知"}[kind])
	}
	if err != nil {
		return t, ch, err
	}
	if kind == KindBroadcast {
		if err := bot.Require(c, units, bot.RoleSecretary, t.Units...); err != nil {
			return t, ch, err
		}
		if t.Closed {
			return t, ch, bot.Errorf("%s没有要求回执，或还没有发出，没有进度可看。", name(t))
		}
		return t, ch, nil
	}
	if ch, err = f.store.Chat(ctx, t.ChatID); err != nil {
		return t, ch, fmt.Errorf("chat of %s %d: %w", kind, id, err)
	}
	if err := bot.Require(c, units, bot.RoleSecretary, ch.UnitID); err != nil {
		return t, ch, err
	}
	if t.Unit == 0 {
		return t, ch, bot.Errorf("%s没有指定应参加的单位，没有应到名单，不能催办。", name(t))
	}
	return t, ch, nil
}

// DeskTask is one task with its progress, if c may follow it up.
func (f *Feature) DeskTask(ctx context.Context, c bot.Caller, kind Kind, id int64) (DeskTask, error) {
	t, ch, err := f.deskTask(ctx, c, kind, id)
	if err != nil {
		return DeskTask{}, err
	}
	ts, err := f.deskProgress(ctx, []Task{t}, map[int64]string{ch.ID: ch.Title})
	if err != nil {
		return DeskTask{}, err
	}
	return ts[0], nil
}

// DeskRemind reminds the pending of a task now, as /remind does, and says
// who was reminded how.
func (f *Feature) DeskRemind(ctx context.Context, c bot.Caller, kind Kind, id int64) (string, error) {
	t, _, err := f.deskTask(ctx, c, kind, id)
	if err != nil {
		return "", err
	}
	if over(t, f.engine.Now()) {
		return "", bot.Errorf("%s已结束，不再提醒。", name(t))
	}
	text, _, err := f.remindNow(ctx, t, f.engine.Now(), 0)
	return text, err
}
