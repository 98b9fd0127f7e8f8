// Package followup is the follow-up of tasks: something the roster of a
// unit is expected to do by a deadline in a group — a check-in session
// (its unit's roster) or a relay started with for=<单位>. For each task it
// knows from the roster who has done it and who has not, and reminds
// exactly those who have not: /remind on a secretary's request, and
// automatically at the configured offsets before the deadline (not in the
// quiet hours). A reminder goes privately where the member's platform has
// private chats and the bot has one with them, otherwise into the task's
// group in one message that names the rest (in chunks). Members see what
// they still owe with /todo; secretaries a task's progress with /progress.
//
// The rules (progress, routing, which round is due, quiet hours) are pure
// functions in rules.go; store.go declares the nouns and what the feature
// needs from storage. Every reminder goes through the outbox with an
// idempotency key, and each automatic round is recorded in the same
// transaction as its reminders, so a restart or a second process never
// repeats one and never loses one.
package followup

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// Options configure the automatic reminders.
type Options struct {
	// Offsets per kind, relative to the deadline (negative: before it).
	Offsets map[Kind][]time.Duration
	Quiet   Quiet
	// Chunk is how many members one group reminder names at most.
	Chunk int
	// FlagAfter: flag a member to their secretaries after this many
	// check-ins missed in a row (0: never).
	FlagAfter int
	// ReceiptWindow is how long a notice with confirm=yes takes
	// confirmations (and is reminded of) after it went out.
	ReceiptWindow time.Duration
	// RemindEvery is the least time between two /remind of one task by
	// hand (0: no limit).
	RemindEvery time.Duration
	// ExportDir is where /progress … 导出 writes its spreadsheets.
	ExportDir string
}

// Feature is the follow-up feature.
type Feature struct {
	engine *bot.Engine
	store  Store
	opts   Options
}

// New makes the feature.
func New(e *bot.Engine, store Store, o Options) *Feature {
	if o.Chunk <= 0 {
		o.Chunk = 20
	}
	if o.ReceiptWindow <= 0 {
		o.ReceiptWindow = 7 * 24 * time.Hour
	}
	return &Feature{engine: e, store: store, opts: o}
}

func (f *Feature) Name() string { return "followup" }

func (f *Feature) Commands() []bot.CommandSpec {
	sub := func(kind Kind, verb string, usage, summary string, h func(Kind) bot.Handler) bot.CommandSpec {
		return bot.CommandSpec{
			Name: string(kind), Aliases: []string{verb},
			Summary: summary, Usage: usage,
			Role: bot.RoleSecretary, Where: bot.GroupOnly, Handler: h(kind),
		}
	}
	progressSub := func(kind Kind, verb string, summary string) bot.CommandSpec {
		s := sub(kind, verb, fmt.Sprintf("/progress %s [#编号] [导出]", kind), summary, f.progressHandler)
		s.Help = fmt.Sprintf("例：/progress %s #2、/进度 %s 导出\n加「导出」时，把名单（已%s、请假、未%[3]s、未绑定，按姓名，含时间）做成 .xlsx 表格私聊发给你（需要先私聊过机器人）。",
			kind, verb, strings.TrimPrefix(wordsOf(kind).done, "已"))
		return s
	}
	return []bot.CommandSpec{
		{
			Name: "remind", Aliases: []string{"提醒", "催"},
			Summary: "提醒还没签到、接龙或学习的人（书记）",
			Help: "例：/remind relay #2、/催 接龙、/提醒 签到、/提醒 学习 #3\n" +
				"按花名册只提醒应参加而还没完成的人：能私聊的（平台支持私聊且本人私聊过机器人）私聊提醒，其余在本群发一条消息点名。已完成的人不会收到提醒。" +
				"接龙要在发起时写 for=单位，才知道该提醒谁。学习是推送到本群的学习内容，编号即内容编号。不写编号时是本群最近的一个。签到、接龙和学习在群里发送；要求回执的通知（/remind broadcast 编号）在哪里都可以。" +
				"同一项手动提醒有最短间隔（followup.remind_every），自动提醒不受影响。",
			Role: bot.RoleSecretary, Bare: bot.BareInPrivate,
			Subs: []bot.CommandSpec{
				sub(KindCheckin, "签到", "/remind checkin [#编号]", "提醒还没签到的人（书记）", f.remindHandler),
				sub(KindRelay, "接龙", "/remind relay [#编号]", "提醒还没接龙的人（书记）", f.remindHandler),
				sub(KindStudy, "学习", "/remind study [#内容编号]", "提醒还没学习推送内容的人（书记）", f.remindHandler),
				{
					Name: string(KindBroadcast), Aliases: []string{"通知"},
					Summary: "提醒还没确认要求回执的通知的人（书记）",
					Usage:   "/remind broadcast <通知编号>",
					Help:    "例：/remind broadcast 3、/催 通知 3\n只对加了 confirm=yes 的通知，在回执期限内（发出后" + when.Span(f.opts.ReceiptWindow, when.DayAsDay) + "）有效。私聊提醒能私聊的人，其余在其单位收到通知的群里点名。",
					// The handler checks the notice's target units.
					Role: bot.RoleSecretary, Scope: bot.AnyUnit,
					Handler: f.remindBroadcast,
				},
			},
		},
		{
			Name: "progress", Aliases: []string{"进度"},
			Summary: "查看签到、接龙或学习的完成情况（书记）",
			Help: "例：/progress relay #2、/进度 签到、/进度 学习 #3\n" +
				"按花名册列出应参加的人中已完成、未完成、未绑定花名册（无法提醒）的人。不写编号时是本群最近的一个。加「导出」生成 .xlsx 表格，私聊发给你。",
			Role: bot.RoleSecretary, Where: bot.GroupOnly, Bare: bot.BareInPrivate,
			Subs: []bot.CommandSpec{
				progressSub(KindCheckin, "签到", "签到的完成情况（书记）"),
				progressSub(KindRelay, "接龙", "接龙的完成情况（书记）"),
				progressSub(KindStudy, "学习", "推送的学习内容的完成情况（书记）"),
			},
		},
		{
			Name: "todo", Aliases: []string{"我的待办"},
			Summary: "我还没完成的签到、接龙和学习",
			Usage:   "/todo",
			Help:    "列出需要你参加而你还没完成的签到、接龙和学习（按花名册：你所在单位的签到，写了 for=你所在单位 的接龙，推送到你所在单位的群、还没到学习截止时间的学习内容），以及截止时间。",
			Bare:    bot.BareAnywhere,
			Handler: f.todo,
		},
	}
}

// words are how a kind is named in messages.
type words struct {
	noun, done, notDone string
}

func wordsOf(k Kind) words {
	switch k {
	case KindCheckin:
		return words{noun: "签到", done: "已签到", notDone: "未签到"}
	case KindBroadcast:
		return words{noun: "确认", done: "已确认", notDone: "未确认"}
	case KindStudy:
		return words{noun: "学习", done: "已学", notDone: "未学"}
	}
	return words{noun: "接龙", done: "已接龙", notDone: "未接龙"}
}

// howTo is what a member sends in the task's group to do it, quoted:
// 「接龙 #2」, 「签到 口令」（口令见会场）.
func (f *Feature) howTo(t Task) string {
	caps := f.engine.Capabilities(t.Platform)
	var cmd string
	switch {
	case t.Kind == KindBroadcast:
		return fmt.Sprintf("「收到」（或 /ack %d）", t.ID)
	case t.Kind == KindStudy && caps.CommandsOnly:
		return fmt.Sprintf("「/studied %d」", t.Seq)
	case t.Kind == KindStudy:
		return fmt.Sprintf("「已学 %d」", t.Seq)
	case t.Kind == KindCheckin && caps.CommandsOnly:
		cmd = "/checkin"
	case t.Kind == KindCheckin:
		cmd = "签到"
	case caps.CommandsOnly:
		cmd = fmt.Sprintf("/join #%d", t.Seq)
	default:
		cmd = fmt.Sprintf("接龙 #%d", t.Seq)
	}
	if t.NeedsCode {
		return "「" + cmd + " 口令」（口令见会场）"
	}
	return "「" + cmd + "」"
}

// name is the task as members see it: 接龙 #2「党费交纳」.
func name(t Task) string {
	if t.Kind == KindBroadcast {
		return fmt.Sprintf("通知 #%d「%s」", t.ID, t.Title)
	}
	return fmt.Sprintf("%s #%d「%s」", wordsOf(t.Kind).noun, t.Seq, t.Title)
}

// roots are the units whose rosters a task expects.
func roots(t Task) []int64 {
	if len(t.Units) > 0 {
		return t.Units
	}
	return []int64{t.Unit}
}

// expects reports whether t expects the roster of unit: a unit in the
// subtree of one of its roots, and not in that of a unit below its own
// that it leaves to another task (Except).
func expects(units *bot.UnitTree, t Task, unit int64) bool {
	for _, x := range t.Except {
		if x != t.Unit && units.Contains(t.Unit, x) && units.Contains(x, unit) {
			return false
		}
	}
	for _, root := range roots(t) {
		if units.Contains(root, unit) {
			return true
		}
	}
	return false
}

// titleOK reports whether t expects roster entry e by its title (every
// entry when t has no Titles).
func titleOK(t Task, e bot.RosterEntry) bool {
	return len(t.Titles) == 0 || slices.Contains(t.Titles, e.Title)
}

// over reports whether the task no longer takes part at now.
func over(t Task, now time.Time) bool {
	return t.Closed || (!t.Closes.IsZero() && !now.Before(t.Closes))
}

// task finds the task a /remind or /progress means: #N of the group, or
// its latest.
func (f *Feature) task(ctx context.Context, r *bot.Request, kind Kind, args []string) (Task, error) {
	w := wordsOf(kind)
	var seq int64
	switch {
	case len(args) > 1:
		return Task{}, bot.Errorf("用法：%s", r.Spec.Usage)
	case len(args) == 1:
		n, err := strconv.ParseInt(strings.TrimLeft(args[0], "#＃"), 10, 64)
		if err != nil || n <= 0 {
			return Task{}, bot.Errorf("%s编号「%s」不对，应写成 #2。用法：%s", w.noun, args[0], r.Spec.Usage)
		}
		seq = n
	}
	t, err := f.store.TaskByNumber(ctx, kind, r.Chat.ID, seq)
	switch {
	case errors.Is(err, bot.ErrNotFound) && kind == KindStudy && seq == 0:
		return t, bot.Errorf("本群还没有收到过推送的学习内容。")
	case errors.Is(err, bot.ErrNotFound) && kind == KindStudy:
		return t, bot.Errorf("学习内容 #%d 没有推送到本群。发送 /study list 查看最近的内容。", seq)
	case errors.Is(err, bot.ErrNotFound) && seq == 0:
		return t, bot.Errorf("本群还没有%s。", w.noun)
	case errors.Is(err, bot.ErrNotFound):
		return t, bot.Errorf("本群没有%s #%d。", w.noun, seq)
	case err != nil:
		return t, err
	case t.Unit == 0 && kind == KindRelay:
		return t, bot.Errorf("%s没有指定应参加的单位，不知道该提醒谁。发起接龙时加 for=单位（如 for=%s），就能按花名册提醒和查看进度。",
			name(t), r.Units().Name(r.Chat.UnitID))
	case t.Unit == 0:
		return t, bot.Errorf("%s不属于任何单位，没有应到名单。", name(t))
	}
	return t, nil
}

// load computes the progress of tasks from the roster of each task's unit
// (and the units below it), who has done it, and the identities of those
// who have not.
func (f *Feature) load(ctx context.Context, tasks []Task) (map[Key]Progress, error) {
	units := f.engine.Units()
	var all []int64
	seen := map[int64]bool{}
	subtree := map[int64][]int64{}
	for _, t := range tasks {
		for _, root := range roots(t) {
			if _, ok := subtree[root]; ok {
				continue
			}
			subtree[root] = units.Subtree(root)
			for _, u := range subtree[root] {
				if !seen[u] {
					seen[u] = true
					all = append(all, u)
				}
			}
		}
	}
	entries, err := f.store.RosterOfUnits(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("roster of %d units: %w", len(all), err)
	}
	byUnit := map[int64][]bot.RosterEntry{}
	for _, e := range entries {
		byUnit[e.UnitID] = append(byUnit[e.UnitID], e)
	}
	done, err := f.store.TasksDone(ctx, tasks)
	if err != nil {
		return nil, err
	}
	expected := map[Key][]bot.RosterEntry{}
	var owing []int64
	owes := map[int64]bool{}
	for _, t := range tasks {
		inTask := map[int64]bool{}
		for _, root := range roots(t) {
			for _, u := range subtree[root] {
				if inTask[u] || !expects(units, t, u) {
					continue
				}
				inTask[u] = true
				for _, e := range byUnit[u] {
					if !titleOK(t, e) {
						continue
					}
					expected[t.Key()] = append(expected[t.Key()], e)
					if !done[t.Key()][e.ID] && !owes[e.ID] {
						owes[e.ID] = true
						owing = append(owing, e.ID)
					}
				}
			}
		}
	}
	leave, err := f.store.TasksOnLeave(ctx, tasks)
	if err != nil {
		return nil, err
	}
	ids, err := f.store.Identities(ctx, owing)
	if err != nil {
		return nil, err
	}
	out := make(map[Key]Progress, len(tasks))
	for _, t := range tasks {
		out[t.Key()] = progress(expected[t.Key()], done[t.Key()], leave[t.Key()], ids)
	}
	return out, nil
}

// reminders are the messages that remind the pending of t: one private
// message each where route finds a private chat, and group messages that
// name the rest. key prefixes their idempotency keys; at is when it is.
// unplaced are those reminded in no group because no group of the task
// reaches them.
func (f *Feature) reminders(ctx context.Context, t Task, p Progress, key string, now time.Time) (out []bot.Outgoing, private []Delivery, group, unplaced []Person, err error) {
	private, group = route(p.Pending, t.Platform, f.engine.Capabilities)
	w := wordsOf(t.Kind)
	due := ""
	if !t.Deadline.IsZero() {
		due = "将于 " + when.Format(t.Deadline.In(f.engine.Location()), now) + " 截止，"
	}
	if len(private) > 0 {
		var text string
		if t.Kind == KindBroadcast {
			text = fmt.Sprintf("提醒：%s要求回执，你还没有确认。请在收到通知的群里回复%s。", name(t), f.howTo(t))
		} else if t.Kind == KindStudy {
			chat, err := f.store.Chat(ctx, t.ChatID)
			if err != nil {
				return nil, nil, nil, nil, fmt.Errorf("chat of %s %d: %w", t.Kind, t.ID, err)
			}
			text = fmt.Sprintf("提醒：群「%s」推送的%s%s你还没有学习。学完后发送%s（在群里或这里都可以）。", chat.Title, name(t), due, f.howTo(t))
		} else {
			chat, err := f.store.Chat(ctx, t.ChatID)
			if err != nil {
				return nil, nil, nil, nil, fmt.Errorf("chat of %s %d: %w", t.Kind, t.ID, err)
			}
			text = fmt.Sprintf("提醒：群「%s」的%s%s你还没有%s。请在群里发送%s。", chat.Title, name(t), due, w.noun, f.howTo(t))
		}
		for _, d := range private {
			out = append(out, bot.Outgoing{ChatID: d.ChatID, Text: text, Bulk: true,
				IdemKey: fmt.Sprintf("%s:p%d", key, d.Person.Entry.ID)})
		}
	}
	byChat, order, unplaced := f.placeInGroups(t, group)
	for _, chat := range order {
		for i, c := range chunks(byChat[chat], f.opts.Chunk) {
			names := make([]string, len(c))
			for j, p := range c {
				names[j] = "@" + p.Entry.Name
			}
			text := fmt.Sprintf("提醒：%s%s以下同志还没有%s：%s。请发送%s。", name(t), due, w.noun, strings.Join(names, " "), f.howTo(t))
			idem := fmt.Sprintf("%s:g%d", key, i+1)
			if t.Kind == KindBroadcast {
				idem = fmt.Sprintf("%s:c%d:g%d", key, chat, i+1)
			}
			out = append(out, bot.Outgoing{ChatID: chat, Text: text, Bulk: true, IdemKey: idem, Mentions: mentions(c, chatPlatform(t, chat))})
		}
	}
	group = slices.DeleteFunc(group, func(p Person) bool {
		return slices.ContainsFunc(unplaced, func(u Person) bool { return u.Entry.ID == p.Entry.ID })
	})
	return out, private, group, unplaced, nil
}

// placeInGroups says in which group each person reminded in a group is
// named: the task's group, or, for a task delivered to several groups,
// the one bound to the person's unit or the nearest unit above it.
// unplaced are those no group of the task reaches.
func (f *Feature) placeInGroups(t Task, group []Person) (byChat map[int64][]Person, order []int64, unplaced []Person) {
	byChat = map[int64][]Person{}
	add := func(chat int64, p Person) {
		if _, ok := byChat[chat]; !ok {
			order = append(order, chat)
		}
		byChat[chat] = append(byChat[chat], p)
	}
	units := f.engine.Units()
	for _, p := range group {
		if len(t.Chats) == 0 {
			add(t.ChatID, p)
			continue
		}
		placed := false
		for _, u := range append([]int64{p.Entry.UnitID}, units.Ancestors(p.Entry.UnitID)...) {
			if i := slices.IndexFunc(t.Chats, func(c bot.Chat) bool { return c.UnitID == u }); i >= 0 {
				add(t.Chats[i].ID, p)
				placed = true
				break
			}
		}
		if !placed {
			unplaced = append(unplaced, p)
		}
	}
	return byChat, order, unplaced
}

func (f *Feature) remindHandler(kind Kind) bot.Handler {
	return func(ctx context.Context, r *bot.Request) error {
		t, err := f.task(ctx, r, kind, r.Command.Args)
		if err != nil {
			return err
		}
		if over(t, r.Now()) {
			return bot.Errorf("%s已结束，不再提醒。用 /progress %s #%d 查看完成情况。", name(t), t.Kind, t.Seq)
		}
		return f.remind(ctx, r, t)
	}
}

// remindBroadcast is /remind broadcast <n>: the readers of a notice that
// asks for confirmation who have not confirmed it.
func (f *Feature) remindBroadcast(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) != 1 {
		return bot.Errorf("用法：%s", r.Spec.Usage)
	}
	n, err := strconv.ParseInt(strings.TrimLeft(args[0], "#＃"), 10, 64)
	if err != nil || n <= 0 {
		return bot.Errorf("通知编号应是数字，例：/remind broadcast 3")
	}
	t, err := f.store.BroadcastTask(ctx, n, f.opts.ReceiptWindow)
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("没有编号为 %d 的通知。", n)
	}
	if err != nil {
		return err
	}
	if err := r.Require(bot.RoleSecretary, t.Units...); err != nil {
		return err
	}
	switch {
	case t.Closed:
		return bot.Errorf("%s没有要求回执，或还没有发出，不用提醒。", name(t))
	case over(t, r.Now()):
		return bot.Errorf("%s发出已超过%s，不再收回执，也不再提醒。", name(t), when.Span(f.opts.ReceiptWindow, when.DayAsDay))
	}
	return f.remind(ctx, r, t)
}

// remind reminds the pending of t now, on a secretary's request, and
// tells the secretary who was reminded how.
func (f *Feature) remind(ctx context.Context, r *bot.Request, t Task) error {
	text, queued, err := f.remindNow(ctx, t, r.Now(), r.Chat.ID)
	if err != nil || queued {
		return err
	}
	return r.Reply(ctx, text)
}

// remindNow reminds the pending of t at now on a secretary's request (in a
// chat or from the console) and says who was reminded how; when reminders
// were queued and ackChat is not 0, that answer is queued to ackChat in
// the same transaction (queued is then true).
func (f *Feature) remindNow(ctx context.Context, t Task, now time.Time, ackChat int64) (text string, queued bool, err error) {
	ps, err := f.load(ctx, []Task{t})
	if err != nil {
		return "", false, err
	}
	p := ps[t.Key()]
	w := wordsOf(t.Kind)
	if len(p.Pending) == 0 && len(p.Unlinked) == 0 {
		return fmt.Sprintf("%s：应%s的 %d 人都%s，不用提醒。", name(t), verbOf(t), p.Expected(), w.done), false, nil
	}
	key := fmt.Sprintf("fu:%s:%d:m%d", t.Kind, t.ID, now.UnixMilli())
	outs, private, group, unplaced, err := f.reminders(ctx, t, p, key, now)
	if err != nil {
		return "", false, err
	}
	head := fmt.Sprintf("%s：应%s %d 人，%s %d 人", name(t), verbOf(t), p.Expected(), w.done, len(p.Done))
	if len(p.Leave) > 0 {
		head += fmt.Sprintf("，请假 %d 人（不提醒）", len(p.Leave))
	}
	lines := []string{head + "。"}
	if len(private) > 0 {
		var ns []string
		for _, d := range private {
			ns = append(ns, d.Person.Entry.Name)
		}
		lines = append(lines, fmt.Sprintf("已私聊提醒 %d 人：%s", len(ns), strings.Join(ns, "、")))
	}
	if len(group) > 0 {
		where := "本群"
		if t.Kind == KindBroadcast {
			where = "其单位的群里"
		} else if ackChat != t.ChatID {
			ch, err := f.store.Chat(ctx, t.ChatID)
			if err != nil {
				return "", false, fmt.Errorf("chat of %s %d: %w", t.Kind, t.ID, err)
			}
			where = "群「" + ch.Title + "」"
		}
		lines = append(lines, fmt.Sprintf("已在%s点名提醒 %d 人：%s", where, len(group), names(group)))
	}
	if len(unplaced) > 0 {
		lines = append(lines, fmt.Sprintf("没有私聊、通知也没有发到其单位的群，无法提醒 %d 人：%s", len(unplaced), names(unplaced)))
	}
	if len(p.Unlinked) > 0 {
		lines = append(lines, fmt.Sprintf("未绑定花名册、无法提醒 %d 人：%s（请当面提醒，或发绑定码：/linkcode）", len(p.Unlinked), names(p.Unlinked)))
	}
	text = strings.Join(lines, "\n")
	err = f.store.UpdateFollowup(ctx, now, func(tx Tx) error {
		// A /remind that reaches nobody (all not linked) sends nothing and
		// does not hold back the next one.
		if len(outs) > 0 {
			if err := f.limitRemind(tx, t, now); err != nil {
				return err
			}
		}
		for _, o := range outs {
			if _, _, err := tx.Enqueue(o); err != nil {
				return fmt.Errorf("queue reminder: %w", err)
			}
		}
		if ackChat == 0 {
			return nil
		}
		_, _, err := tx.Enqueue(bot.Outgoing{ChatID: ackChat, Text: text})
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("remind %s %d: %w", t.Kind, t.ID, err)
	}
	return text, ackChat != 0, nil
}

// verbOf is what the expected are expected to do, after 应: 参加, 确认.
func verbOf(t Task) string {
	switch t.Kind {
	case KindBroadcast:
		return "确认"
	case KindStudy:
		return "学习"
	}
	return "参加"
}

func names(ps []Person) string {
	ns := make([]string, len(ps))
	for i, p := range ps {
		ns[i] = p.Entry.Name
	}
	return strings.Join(ns, "、")
}

func (f *Feature) progressHandler(kind Kind) bot.Handler {
	return func(ctx context.Context, r *bot.Request) error {
		args, export := exportArg(r.Command.Args)
		t, err := f.task(ctx, r, kind, args)
		if err != nil {
			return err
		}
		ps, err := f.load(ctx, []Task{t})
		if err != nil {
			return err
		}
		p := ps[t.Key()]
		if export {
			return f.export(ctx, r, t, p)
		}
		w := wordsOf(kind)
		now := r.Now()
		head := name(t)
		switch {
		case over(t, now):
			head += "（已结束）"
		case !t.Deadline.IsZero():
			head += "（截止 " + when.Format(t.Deadline.In(f.engine.Location()), now) + "）"
		}
		whom := r.Units().Name(t.Unit) + "全体"
		if slices.ContainsFunc(t.Except, func(x int64) bool { return x != t.Unit && r.Units().Contains(t.Unit, x) }) {
			whom = r.Units().Name(t.Unit) + "，不含另有群收到的下级单位"
		}
		if len(t.Titles) > 0 {
			whom = r.Units().Name(t.Unit) + "的" + strings.Join(t.Titles, "、") // a 支委会: the committee
		}
		lines := []string{head,
			fmt.Sprintf("应%s %d 人（%s）：%s %d，%s %d，未绑定 %d", verbOf(t), p.Expected(), whom, w.done, len(p.Done), w.notDone, len(p.Pending), len(p.Unlinked))}
		if len(p.Leave) > 0 {
			lines[1] += fmt.Sprintf("，请假 %d", len(p.Leave))
		}
		for _, part := range []struct {
			label string
			ps    []Person
		}{{w.done, p.Done}, {"请假", p.Leave}, {w.notDone, p.Pending}, {"未绑定花名册（无法提醒）", p.Unlinked}} {
			if len(part.ps) > 0 {
				lines = append(lines, part.label+"："+names(part.ps))
			}
		}
		if !over(t, now) && len(p.Pending) > 0 {
			lines = append(lines, fmt.Sprintf("发送 /remind %s #%d 提醒%s的人。", t.Kind, t.Seq, w.notDone))
		}
		return r.Reply(ctx, strings.Join(lines, "\n"))
	}
}

func (f *Feature) todo(ctx context.Context, r *bot.Request) error {
	me := r.Caller.Roster
	if me == nil {
		return bot.Errorf("你还没有绑定花名册身份，无法知道哪些签到、接龙和学习需要你参加。%s", bot.LinkHowTo)
	}
	now := r.Now()
	open, err := f.store.OpenTasks(ctx, now)
	if err != nil {
		return err
	}
	units := r.Units()
	var mine []Task
	studying := map[int64]bool{} // items already listed: one line per item
	for _, t := range open {
		if !expects(units, t, me.UnitID) || !titleOK(t, *me) || t.Kind == KindStudy && studying[t.Seq] {
			continue
		}
		if t.Kind == KindStudy {
			studying[t.Seq] = true
		}
		mine = append(mine, t)
	}
	done, err := f.store.TasksDone(ctx, mine)
	if err != nil {
		return err
	}
	leave, err := f.store.TasksOnLeave(ctx, mine)
	if err != nil {
		return err
	}
	mine = slices.DeleteFunc(mine, func(t Task) bool { return done[t.Key()][me.ID] || leave[t.Key()][me.ID] })
	if len(mine) == 0 {
		return r.Reply(ctx, "你没有待办：需要你参加的签到、接龙和学习都已完成。")
	}
	slices.SortStableFunc(mine, func(a, b Task) int {
		switch {
		case a.Deadline.IsZero() != b.Deadline.IsZero():
			if a.Deadline.IsZero() {
				return 1
			}
			return -1
		}
		return a.Deadline.Compare(b.Deadline)
	})
	lines := []string{fmt.Sprintf("你的待办（%d 项）：", len(mine))}
	for i, t := range mine {
		chat, err := f.store.Chat(ctx, t.ChatID)
		if err != nil {
			return fmt.Errorf("chat of %s %d: %w", t.Kind, t.ID, err)
		}
		due := "，不限时间"
		if !t.Deadline.IsZero() {
			due = "，截止 " + when.Format(t.Deadline.In(f.engine.Location()), now)
		}
		how := "在群里发送"
		if t.Kind == KindStudy {
			how = "学完后发送" // here or in the group
		}
		lines = append(lines, fmt.Sprintf("%d. 群「%s」的%s%s：%s%s", i+1, chat.Title, name(t), due, how, f.howTo(t)))
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}
