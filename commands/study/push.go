package study

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	lunar "github.com/6tail/lunar-go/calendar"

	"github.com/branchbot/branchbot/bot"
)

// maxScan bounds how many cron instants one Tick walks per schedule (a
// one-minute cron over a long outage).
const maxScan = 500_000

// Matches reports whether the push's calendar rule lets it run on the day
// of t.
func (f *Feature) matches(p *push, t time.Time) bool {
	switch p.rule {
	case "workdays":
		return f.cal.IsWorkday(t)
	case "holidays_only":
		return !f.cal.IsWorkday(t)
	case "lunar":
		d := t.In(f.engine.Location())
		l := lunar.NewLunarFromSolar(lunar.NewSolarFromYmd(d.Year(), int(d.Month()), d.Day()))
		return l.GetMonth() == p.lunarMonth && l.GetDay() == p.lunarDay
	}
	return true
}

// Occurrences lists the push's instants in (after, until], in order, that
// its rule allows; at most limit of them.
func (f *Feature) occurrences(p *push, after, until time.Time, limit int) []time.Time {
	var out []time.Time
	t := after.In(f.engine.Location())
	for i := 0; i < maxScan && len(out) < limit; i++ {
		t = p.sched.Next(t)
		if t.IsZero() || t.After(until) {
			break
		}
		if f.matches(p, t) {
			out = append(out, t)
		}
	}
	return out
}

func (f *Feature) pushByName(name string) *push {
	for _, p := range f.pushes {
		if p.cfg.Name == name {
			return p
		}
	}
	return nil
}

// Tick finishes fan-outs interrupted by a crash, then runs every occurrence
// due since the last one handled: late ones within study.catch_up are sent,
// older ones are recorded as skipped with a log line and an admin notice.
// Everything is derived from the database, so a restart loses nothing and
// sends nothing twice.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	running, err := f.db.RunningPushes(ctx)
	if err != nil {
		return err
	}
	for _, run := range running {
		p := f.pushByName(run.Schedule)
		if p == nil {
			continue // the schedule was removed from the config
		}
		f.log.Info("finishing interrupted push", "push", p.cfg.Name, "occurrence", run.Occurrence)
		if _, err := f.fanout(ctx, p, run.Occurrence, run.Manual, now); err != nil {
			return err
		}
	}
	for _, p := range f.pushes {
		if err := f.tickPush(ctx, p, now); err != nil {
			return err
		}
	}
	return nil
}

func (f *Feature) tickPush(ctx context.Context, p *push, now time.Time) error {
	since, err := f.db.EnsurePushSchedule(ctx, p.cfg.Name, now)
	if err != nil {
		return err
	}
	last, err := f.db.LastPushRun(ctx, p.cfg.Name)
	if err == nil && last.Occurrence.After(since) {
		since = last.Occurrence
	} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	f.mu.Lock()
	if s := f.scanned[p.cfg.Name]; s.After(since) {
		since = s // instants up to s were handled by an earlier Tick
	}
	f.mu.Unlock()
	due, skipped, lastSkip := catchUp(f.occurrences(p, since, now, maxScan), now, f.cfg.Study.CatchUp)
	if skipped > 0 {
		if err := f.skip(ctx, p, lastSkip, skipped, now); err != nil {
			return err
		}
	}
	for _, t := range due {
		started, err := f.startRun(ctx, p, t, false, now)
		if err != nil {
			return err
		}
		if !started {
			continue
		}
		if now.Sub(t) > time.Minute {
			f.log.Info("sending missed push late", "push", p.cfg.Name, "occurrence", t, "late", now.Sub(t).Round(time.Second))
		}
		if _, err := f.fanout(ctx, p, t, false, now); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.scanned[p.cfg.Name] = now
	f.mu.Unlock()
	return nil
}

func (f *Feature) skip(ctx context.Context, p *push, last time.Time, count int, now time.Time) error {
	loc := f.engine.Location()
	text := fmt.Sprintf("⚠️ 定时推送「%s」错过了 %d 次（最近一次应于 %s 发送），已超过补发时限 %s，未补发。如需补发请用 /push now %s。",
		p.cfg.Name, count, last.In(loc).Format("2006-01-02 15:04"), f.cfg.Study.CatchUp, p.cfg.Name)
	chats, err := f.adminChats(ctx)
	if err != nil {
		return err
	}
	var notices []bot.Outgoing
	for _, c := range chats {
		notices = append(notices, bot.Outgoing{ChatID: c.ID, Text: text, IdemKey: fmt.Sprintf("pushskip:%s:%d:%d", p.cfg.Name, last.Unix(), c.ID)})
	}
	// The run is recorded and the notices queued together, once: a second
	// attempt finds the run and queues nothing.
	run := PushRun{Schedule: p.cfg.Name, Occurrence: last, Status: RunSkipped, Skipped: count, StartedAt: now, DoneAt: now}
	recorded := false
	err = f.db.UpdateStudy(ctx, now, func(tx Tx) error {
		var err error
		if recorded, err = tx.InsertPushRun(run); err != nil || !recorded {
			return err
		}
		for _, m := range notices {
			if _, _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("skip push %s at %d: %w", p.cfg.Name, last.Unix(), err)
	}
	if recorded {
		f.log.Warn("push occurrences missed beyond catch_up; skipped", "push", p.cfg.Name, "count", count, "last", last, "catch_up", f.cfg.Study.CatchUp, "notified_chats", len(notices))
	}
	return nil
}

// startRun records that occurrence occ of p starts its fan-out. It reports
// false when the occurrence was already handled or started.
func (f *Feature) startRun(ctx context.Context, p *push, occ time.Time, manual bool, now time.Time) (bool, error) {
	started := false
	err := f.db.UpdateStudy(ctx, now, func(tx Tx) error {
		var err error
		started, err = tx.InsertPushRun(PushRun{Schedule: p.cfg.Name, Occurrence: occ, Status: RunRunning, Manual: manual, StartedAt: now})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("start push %s at %d: %w", p.cfg.Name, occ.Unix(), err)
	}
	return started, nil
}

// adminChats is where admin notices go: the private chats of the admins
// (config admins "platform:user", roster entries with role admin and the
// identities linked to them, and roster:<学号> admins) and the group named by
// study.notice_chat.
func (f *Feature) adminChats(ctx context.Context) ([]bot.Chat, error) {
	var members []bot.Member
	var numbers []string
	for _, a := range f.cfg.Admins {
		k, v, _ := strings.Cut(a, ":")
		if k == "roster" {
			numbers = append(numbers, v)
			continue
		}
		if m, err := f.db.MemberByExternalID(ctx, k, v); err == nil {
			members = append(members, m)
		}
	}
	admins, err := f.db.RosterWithRole(ctx, bot.RoleAdmin)
	if err != nil {
		return nil, err
	}
	for _, n := range numbers {
		if e, err := f.db.RosterByNumber(ctx, n); err == nil {
			admins = append(admins, e)
		}
	}
	for _, e := range admins {
		ms, err := f.db.MembersOfRoster(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		members = append(members, ms...)
	}
	chats, err := f.db.PrivateChatsOf(ctx, members)
	if err != nil {
		return nil, err
	}
	if t := f.cfg.Study.NoticeChat; t != "" {
		groups, err := f.db.ActiveGroupsByTitle(ctx, t)
		if err != nil {
			return nil, err
		}
		chats = append(chats, groups...)
	}
	return chats, nil
}

// targets lists the active groups bound to the push's units' subtrees.
func (f *Feature) targets(ctx context.Context, p *push) ([]bot.Chat, error) {
	units := f.engine.Units()
	var ids []int64
	for _, n := range p.cfg.Units {
		if u, ok := units.ByName(n); ok {
			ids = append(ids, units.Subtree(u.ID)...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	chats, err := f.db.ChatsOfUnits(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := chats[:0]
	for _, c := range chats {
		if c.Active && c.Kind == bot.Group {
			out = append(out, c)
		}
	}
	return out, nil
}

// send is one group's message of a fan-out.
type send struct {
	out    bot.Outgoing // with its idempotency key
	itemID int64        // the content item sent, 0 for plain text
}

// fanout queues occurrence occ of p to every target group, in batches, each
// group once: the outbox key push:<name>:<occurrence>:<chat> makes a batch
// that is repeated after a crash queue nothing new. It marks the run done
// (or manual, for a /push now).
func (f *Feature) fanout(ctx context.Context, p *push, occ time.Time, manual bool, now time.Time) (int, error) {
	chats, err := f.targets(ctx, p)
	if err != nil {
		return 0, err
	}
	var (
		fixed   *Item
		column  []Item // oldest first
		pushed  map[int64]map[int64]bool
		chatIDs = make([]int64, len(chats))
	)
	for i, c := range chats {
		chatIDs[i] = c.ID
	}
	switch {
	case p.cfg.Item != "":
		it, err := f.db.ContentBySlugOrTitle(ctx, p.cfg.Item)
		if errors.Is(err, bot.ErrNotFound) {
			f.log.Error("push item not in the content library; sending its text only", "push", p.cfg.Name, "item", p.cfg.Item)
		} else if err != nil {
			return 0, err
		} else {
			fixed = &it
		}
	case p.cfg.Column != "":
		items, err := f.db.PublishedContent(ctx, p.cfg.Column, now)
		if err != nil {
			return 0, err
		}
		slices.Reverse(items)
		column = items
		if pushed, err = f.db.PushedItems(ctx, chatIDs); err != nil {
			return 0, err
		}
	}
	units := f.engine.Units()
	prefix := PushKeyPrefix(p.cfg.Name, occ)
	var sends []send
	for _, c := range chats {
		s := send{out: bot.Outgoing{ChatID: c.ID, IdemKey: fmt.Sprintf("%s%d", prefix, c.ID), Bulk: true}}
		header := strings.TrimSpace(p.cfg.Text)
		switch {
		case fixed != nil:
			if visible(*fixed, c.UnitID, units) {
				s.out.Text, s.itemID = render(*fixed, header), fixed.ID
			}
		case p.cfg.Column != "":
			for _, it := range column {
				if !pushed[c.ID][it.ID] && visible(it, c.UnitID, units) {
					s.out.Text, s.itemID = render(it, header), it.ID
					break
				}
			}
		default:
			s.out.Text = header
		}
		if s.out.Text == "" && p.cfg.Item != "" && fixed == nil {
			s.out.Text = header
		}
		if s.out.Text == "" {
			continue // nothing unread for this group
		}
		sends = append(sends, s)
	}
	queued := 0
	for start := 0; start < len(sends); start += f.batch {
		if err := ctx.Err(); err != nil {
			return queued, fmt.Errorf("push %s: %w", p.cfg.Name, err)
		}
		n, err := f.queueBatch(ctx, p.cfg.Name, occ, sends[start:min(start+f.batch, len(sends))], now, now.Add(f.due(p)))
		if err != nil {
			return queued, err
		}
		queued += n
		if f.afterBatch != nil {
			f.afterBatch()
		}
	}
	err = f.db.UpdateStudy(context.WithoutCancel(ctx), now, func(tx Tx) error {
		chats, err := tx.CountQueued(prefix)
		if err != nil {
			return err
		}
		return tx.FinishPushRun(PushRun{Schedule: p.cfg.Name, Occurrence: occ, Status: finishedStatus(manual), Manual: manual, Chats: chats, DoneAt: now})
	})
	if err != nil {
		return queued, fmt.Errorf("finish push %s at %d: %w", p.cfg.Name, occ.Unix(), err)
	}
	f.log.Info("push queued", "push", p.cfg.Name, "occurrence", occ, "groups", len(sends), "new", queued)
	return queued, nil
}

// queueBatch queues one batch of a fan-out in one transaction: each message
// once (by its idempotency key), with the item it carries recorded for its
// chat and due by due. It returns how many messages were new.
func (f *Feature) queueBatch(ctx context.Context, schedule string, occ time.Time, sends []send, now, due time.Time) (int, error) {
	queued := 0
	err := f.db.UpdateStudy(ctx, now, func(tx Tx) error {
		queued = 0
		for _, s := range sends {
			id, inserted, err := tx.Enqueue(s.out)
			if err != nil {
				return err
			}
			if !inserted {
				continue
			}
			queued++
			if s.itemID != 0 {
				if err := tx.RecordPushDelivery(Delivery{ChatID: s.out.ChatID, ItemID: s.itemID, Schedule: schedule, Occurrence: occ, OutboxID: id, Pushed: now, Due: due}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue push %s: %w", schedule, err)
	}
	return queued, nil
}

// listPushes is /pushes: each configured push in words (when, what, to
// whom), with its next and last occurrence.
func (f *Feature) listPushes(ctx context.Context, r *bot.Request) error {
	if len(f.pushes) == 0 {
		return r.Reply(ctx, "没有配置定时推送（study.pushes）。")
	}
	loc := f.engine.Location()
	now := r.Now()
	lines := []string{"定时推送："}
	for _, p := range f.pushes {
		what := fmt.Sprintf("文字「%s」", preview(p.cfg.Text, 20))
		switch {
		case p.cfg.Column != "":
			what = fmt.Sprintf("栏目「%s」中下一条未推送的内容", p.cfg.Column)
		case p.cfg.Item != "":
			title := p.cfg.Item
			if it, err := f.db.ContentBySlugOrTitle(ctx, p.cfg.Item); err == nil {
				title = it.Title
			}
			what = fmt.Sprintf("固定内容「%s」", title)
		}
		lines = append(lines,
			fmt.Sprintf("• %s：%s", p.cfg.Name, describeSchedule(p.sched, p.rule, p.lunarMonth, p.lunarDay)),
			"  推送："+what,
			"  发往："+strings.Join(p.cfg.Units, "、")+"及其下级单位的群")
		if next := f.occurrences(p, now, now.AddDate(2, 0, 0), 1); len(next) > 0 {
			lines = append(lines, "  下次："+dayTime(next[0].In(loc)))
		} else {
			lines = append(lines, "  下次：两年内没有")
		}
		if last, err := f.db.LastPushRun(ctx, p.cfg.Name); err == nil {
			state := map[string]string{"done": "已推送", "running": "推送中", "skipped": fmt.Sprintf("错过 %d 次未补发", last.Skipped)}[last.Status]
			lines = append(lines, fmt.Sprintf("  上次：%s %s", dayTime(last.Occurrence.In(loc)), state))
		}
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

// dayTime is 2026年11月24日（周二）08:00.
func dayTime(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日（%s）%s", t.Year(), t.Month(), t.Day(), weekday(t), t.Format("15:04"))
}

// preview is s cut to n runes, on one line.
func preview(s string, n int) string {
	r := []rune(strings.ReplaceAll(strings.TrimSpace(s), "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

func weekday(t time.Time) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[t.Weekday()]
}

func (f *Feature) pushNow(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) != 1 {
		return bot.Errorf("用法：/push now <推送名称>。发送 /pushes 查看推送名称。")
	}
	p := f.pushByName(args[0])
	if p == nil {
		var names []string
		for _, p := range f.pushes {
			names = append(names, p.cfg.Name)
		}
		if len(names) == 0 {
			return bot.Errorf("没有名为「%s」的定时推送（尚未配置任何推送）。", args[0])
		}
		return bot.Errorf("没有名为「%s」的定时推送。现有：%s", args[0], strings.Join(names, "、"))
	}
	units := r.Units()
	for _, n := range p.cfg.Units {
		if u, ok := units.ByName(n); ok {
			if err := r.Require(bot.RoleSecretary, u.ID); err != nil {
				return err
			}
		}
	}
	occ := r.Now().Truncate(time.Second)
	started, err := f.startRun(ctx, p, occ, true, r.Now())
	if err != nil {
		return err
	}
	if !started {
		return bot.Errorf("「%s」刚刚已推送，请稍后再试。", p.cfg.Name)
	}
	n, err := f.fanout(ctx, p, occ, true, r.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		return r.Reply(ctx, fmt.Sprintf("「%s」没有可推送的内容：没有绑定的群，或各群已推送过该栏目已发布的全部内容。", p.cfg.Name))
	}
	return r.Reply(ctx, fmt.Sprintf("已立即推送「%s」：%d 个群。", p.cfg.Name, n))
}

// due is how long after a push its item is to be studied by: the push's
// due, or followup.study_due.
func (f *Feature) due(p *push) time.Duration {
	if p.cfg.Due > 0 {
		return p.cfg.Due
	}
	return f.cfg.Followup.StudyDue
}
