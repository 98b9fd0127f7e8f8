// Package broadcast is the notice feature: a secretary drafts a notice for
// a unit's subtree (or a #tag of units), the unit's review chain of zero to
// three levels approves or rejects it, and the approved notice goes out to
// every group through the durable outbox, once per group, at once or at a
// set time. Every decision is kept and shown by /broadcast log; per-group
// delivery is shown by /broadcast status.
package broadcast

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
	"github.com/branchbot/branchbot/configs"
)

// MaxTextRunes is the longest notice text.
const MaxTextRunes = 2000

// Feature is the broadcast feature.
type Feature struct {
	engine *bot.Engine
	db     Store
	cfg    *configs.Config
	log    *slog.Logger
	chains map[string][]configs.ReviewLevel // unit name → its configured chain
}

// New makes the feature.
func New(e *bot.Engine, db Store, cfg *configs.Config, log *slog.Logger) *Feature {
	if log == nil {
		log = e.Logger()
	}
	f := &Feature{engine: e, db: db, cfg: cfg, log: log.With("feature", "broadcast"), chains: map[string][]configs.ReviewLevel{}}
	cfg.WalkUnits(func(u configs.UnitConfig, _ string) {
		if len(u.Review) > 0 {
			f.chains[u.Name] = u.Review
		}
	})
	return f
}

func (f *Feature) Name() string { return "broadcast" }

func (f *Feature) Commands() []bot.CommandSpec {
	reviewers := &bot.Audience{
		Name:   "通知审核人",
		Admits: func(c bot.Caller) bool { return isReviewer(c, f.chains) },
		Denial: "只有通知审核人可以审核通知。",
	}
	viewers := &bot.Audience{
		Name:   "通知的提交人、审核人、相关单位书记或管理员",
		Admits: func(c bot.Caller) bool { return c.Is(bot.RoleSecretary, 0, nil) || isReviewer(c, f.chains) },
		Denial: "只有通知的提交人、审核人、相关单位书记或管理员可以查看。",
	}
	return []bot.CommandSpec{
		{
			Name: "broadcast", Aliases: []string{"通知", "发通知"},
			Summary: "起草发往单位各群的通知（书记）",
			Usage:   "/broadcast <单位|#标签> <内容> [at=发送时间] [confirm=yes]",
			Help: "例：/broadcast 计算机学院党委 周五下午三点开支部大会 at=明天08:00（也可写 at=周四18:00、at=12月1日08:00、at=2026-12-01T08:00）\n" +
				"通知发往该单位及全部下级单位绑定的群；#标签 表示配置 study.tags 中该标签列出的各单位。\n" +
				"只有管理员或目标单位及其上级单位的书记可以发通知。" +
				"单位配置了审核流程（units[].review）时，须逐级 /approve 通过后才发出；任一级 /reject 即退回。" +
				"审核人没有私聊过机器人时，会在其单位的群里 @ 提醒。发出前可用 /broadcast cancel <编号> 撤回。\n" +
				"加 confirm=yes 要求回执：成员在群里回复「收到」（有按钮的平台可点按钮）确认，/broadcast status <编号> 按单位列出已确认和未确认的人。",
			// Any secretary may draft; the handler checks the target units.
			Role: bot.RoleSecretary, Scope: bot.AnyUnit,
			// "通知 大家明天…" is how a notice is passed on by hand: slash in groups.
			Bare:    bot.BareInPrivate,
			Handler: f.draft,
			Subs: []bot.CommandSpec{
				{
					Name: "status", Aliases: []string{"状态"},
					Summary:  "查看一条通知在各群的送达情况",
					Usage:    "/broadcast status <编号>",
					Help:     "例：/broadcast status 3",
					Audience: viewers,
					Handler:  f.status,
				},
				{
					Name: "cancel", Aliases: []string{"撤回", "取消"},
					Flat:    []string{"broadcast_cancel", "撤回通知"},
					Summary: "撤回尚未发出的通知（提交人、管理员）",
					Usage:   "/broadcast cancel <编号>",
					Help: "例：/broadcast cancel 3、/撤回通知 3\n" +
						"提交人或管理员可以撤回还在审核中的草稿，或用 at= 定时、尚未到时间的通知；已经发出的通知无法撤回。",
					// Drafting needs a secretary; the handler checks that the
					// caller wrote this one (or is an admin).
					Role: bot.RoleSecretary, Scope: bot.AnyUnit,
					Bare:    bot.BareInPrivate, // "撤回通知吧" is talk about it
					Handler: f.cancel,
				},
				{
					Name: "log", Aliases: []string{"记录"},
					Summary:  "查看通知和审核记录",
					Usage:    "/broadcast log [编号]",
					Help:     "不带编号列出你可以查看的最近 10 条通知。",
					Audience: viewers,
					Handler:  f.logCmd,
				},
			},
		},
		{
			Name: "ack", Aliases: []string{"收到", "收到了"},
			Summary: "确认收到要求回执的通知",
			Usage:   "/ack [编号]",
			Help:    "通知要求回执时，在收到通知的群里回复「收到」（或点「收到」按钮）；「收到！」「收到了」「收到，谢谢」也算。不写编号时确认本群最近一条要求回执的通知。按花名册记录，需要先绑定。",
			Where:   bot.GroupOnly,
			// "收到" is how people answer anything: bare only while the
			// group has a notice that asks for it.
			Bare:      bot.BareWhenExpected,
			Expecting: &bot.Expecting{When: fmt.Sprintf("本群%s内收到过要求回执的通知时", f.ackSpan()), Now: f.acking},
			Handler:   f.ack,
		},
		{
			Name: "approve", Aliases: []string{"通过"},
			Summary:  "审核通过通知草稿；不带编号列出待你审核的草稿",
			Usage:    "/approve [编号]",
			Audience: reviewers,
			Bare:     bot.BareInPrivate,
			Handler:  f.approve,
		},
		{
			Name: "reject", Aliases: []string{"驳回"},
			Summary:  "驳回通知草稿",
			Usage:    "/reject <编号> <理由>",
			Audience: reviewers,
			Bare:     bot.BareInPrivate,
			Handler:  f.reject,
		},
	}
}

// target is what a broadcast goes to.
type target struct {
	label  string  // as shown
	units  []int64 // root units
	review int64   // whose review chain applies
}

func (f *Feature) resolve(arg string) (target, error) {
	units := f.engine.Units()
	if tag, ok := strings.CutPrefix(arg, "#"); ok {
		names, ok := f.cfg.Study.Tags[tag]
		if !ok || tag == "" {
			var tags []string
			for t := range f.cfg.Study.Tags {
				tags = append(tags, "#"+t)
			}
			slices.Sort(tags)
			if len(tags) == 0 {
				return target{}, bot.Errorf("没有标签「%s」（尚未配置 study.tags）。", arg)
			}
			return target{}, bot.Errorf("没有标签「%s」。现有标签：%s", arg, strings.Join(tags, "、"))
		}
		t := target{label: arg}
		for _, n := range names {
			if u, ok := units.ByName(n); ok {
				t.units = append(t.units, u.ID)
			}
		}
		t.review = commonAncestor(units, t.units)
		return t, nil
	}
	u, ok := units.ByName(arg)
	if !ok {
		return target{}, bot.Errorf("找不到单位「%s」。用法：/broadcast <单位|#标签> <内容>", arg)
	}
	return target{label: u.Name, units: []int64{u.ID}, review: u.ID}, nil
}

// commonAncestor is the nearest unit containing all ids, or the first id
// when they share none.
func commonAncestor(units *bot.UnitTree, ids []int64) int64 {
	if len(ids) == 0 {
		return 0
	}
	for _, c := range append([]int64{ids[0]}, units.Ancestors(ids[0])...) {
		all := true
		for _, id := range ids {
			if !units.Contains(c, id) {
				all = false
				break
			}
		}
		if all {
			return c
		}
	}
	return ids[0]
}

// chain is the review chain for a unit: its own, else its nearest
// ancestor's; and the unit it was configured on.
func (f *Feature) chain(unitID int64) ([]configs.ReviewLevel, int64) {
	units := f.engine.Units()
	for _, id := range append([]int64{unitID}, units.Ancestors(unitID)...) {
		if c, ok := f.chains[units.Name(id)]; ok {
			return c, id
		}
	}
	return nil, unitID
}

var (
	// hasClock finds a time of day in an at= value.
	hasClock = regexp.MustCompile(`\d[:：点时]|T\d|\d{4}$`)
	// clockOnly is a word that is only a time of day (08:00, 8点, 8点半).
	clockOnly = regexp.MustCompile(`^\d{1,2}([:：]\d{2}|点(\d{1,2}分?|半)?)$`)
)

// cutOption reads key=value with the key in any case.
func cutOption(tok, key string) (string, bool) {
	if len(tok) < len(key) || !strings.EqualFold(tok[:len(key)], key) {
		return "", false
	}
	return tok[len(key):], true
}

// sendTime reads an at= value: any time people write (明天08:00,
// 周五18:00, 12月1日18:00, 2026-12-01T08:00), with a time of day, in the
// future.
func sendTime(v string, now time.Time) (time.Time, error) {
	const example = "at=明天08:00、at=周五18:00 或 at=12月1日08:00"
	if v == "" {
		return time.Time{}, bot.Errorf("at= 后面要写发送时间，例：%s", example)
	}
	if !hasClock.MatchString(v) {
		return time.Time{}, bot.Errorf("发送时间「%s」要写上几点，例：%s", v, example)
	}
	t, err := when.Parse(v, now)
	if err != nil {
		return time.Time{}, bot.Errorf("发送时间「%s」格式不对，例：%s", v, example)
	}
	if !t.After(now) {
		return time.Time{}, bot.Errorf("发送时间 %s 已经过去。", t.Format("2006-01-02 15:04"))
	}
	return t, nil
}

// draft is /broadcast <单位|#标签> <内容>: a new notice, sent at once or
// handed to the target's review chain.
func (f *Feature) draft(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) == 0 {
		return bot.Errorf("用法：%s", r.Spec.FullUsage())
	}
	loc := f.engine.Location()
	first := r.Command.Args[0]
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Command.ArgText), first))
	var sendAt time.Time
	var kept []string
	confirm := false
	toks := strings.Split(rest, " ")
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if v, ok := cutOption(tok, "confirm="); ok && !confirm {
			switch strings.ToLower(v) {
			case "yes", "是", "true":
				confirm = true
			case "no", "否", "false":
			default:
				return bot.Errorf("confirm=%s 不对：要求回执写 confirm=yes。", v)
			}
			continue
		}
		v, ok := cutOption(tok, "at=")
		if !ok || !sendAt.IsZero() {
			kept = append(kept, tok)
			continue
		}
		// at=明天 08:00: a phone's space between the day and the time.
		if i+1 < len(toks) && clockOnly.MatchString(toks[i+1]) && !hasClock.MatchString(v) {
			v += toks[i+1]
			i++
		}
		t, err := sendTime(v, r.Now().In(loc))
		if err != nil {
			return err
		}
		sendAt = t
	}
	text := strings.TrimSpace(strings.Join(kept, " "))
	if text == "" {
		return bot.Errorf("通知内容不能为空。用法：/broadcast <单位|#标签> <内容>")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return bot.Errorf("通知内容过长（%d 字，最多 %d 字）。", n, MaxTextRunes)
	}
	t, err := f.resolve(first)
	if err != nil {
		return err
	}
	if err := r.Require(bot.RoleSecretary, t.units...); err != nil {
		return err
	}
	chain, chainUnit := f.chain(t.review)
	now := r.Now()
	b := Broadcast{
		AuthorMember: r.Caller.Member.ID, AuthorName: r.Caller.Name(), OriginChat: r.Chat.ID,
		Target: t.label, UnitIDs: t.units, ReviewUnit: chainUnit, Levels: len(chain), Text: text, SendAt: sendAt,
		Status: initialStatus(len(chain)), CreatedAt: now, UpdatedAt: now, Confirm: confirm,
	}
	if r.Caller.Roster != nil {
		b.AuthorRoster = r.Caller.Roster.ID
	}
	var rc reach
	if len(chain) > 0 {
		if rc, err = f.reach(ctx, chain[0], chainUnit); err != nil {
			return err
		}
	}
	var fan []bot.Outgoing
	if b.Status == StatusSent {
		if fan, err = f.fanout(ctx, b); err != nil {
			return err
		}
	}
	err = f.db.UpdateBroadcasts(ctx, now, func(tx Tx) error {
		var err error
		if b, err = tx.InsertBroadcast(b); err != nil {
			return err
		}
		if err := tx.AddBroadcastEvent(Event{BroadcastID: b.ID, At: now, ActorMember: b.AuthorMember, ActorName: b.AuthorName, Action: "created"}); err != nil {
			return err
		}
		ack := bot.Outgoing{ChatID: r.Chat.ID, MentionMember: mention(r)}
		if b.Status == StatusSent {
			msgs := f.withKeys(b, fan)
			if scheduled(b, now) {
				ack.Text = fmt.Sprintf("通知 #%d 已排定（无需审核）：将于 %s 发往%s。发出前可用 /broadcast cancel %d 撤回。",
					b.ID, fullTime(b.SendAt, loc), f.destination(b, len(msgs)), b.ID)
			} else {
				ack.Text = fmt.Sprintf("通知 #%d 已发出（无需审核）：发往%s。发送 /broadcast status %d 查看送达情况。",
					b.ID, f.destination(b, len(msgs)), b.ID)
			}
			return f.send(tx, &b, []bot.Outgoing{ack}, msgs)
		}
		level := levelName(chain, 0)
		ack.Text = bot.JoinLines(fmt.Sprintf("通知草稿 #%d 已提交（发往「%s」%s），共 %d 级审核，等待「%s」。", b.ID, b.Target, sendsAt(b, loc), b.Levels, level),
			rc.told(level))
		return queue(tx, append([]bot.Outgoing{ack}, f.reviewNotices(b, chain, 0, rc)...))
	})
	if err != nil {
		return err
	}
	f.log.Info("broadcast drafted", "broadcast", b.ID, "target", b.Target, "levels", b.Levels, "author", b.AuthorName)
	return nil
}

func mention(r *bot.Request) int64 {
	if r.Chat.Kind == bot.Group {
		return r.Caller.Member.ID
	}
	return 0
}

// sendsAt is ", 将于 2030年1月1日 08:00 发出" for a draft with a send time.
func sendsAt(b Broadcast, loc *time.Location) string {
	if b.SendAt.IsZero() {
		return ""
	}
	return "，将于 " + fullTime(b.SendAt, loc) + " 发出"
}

func levelName(chain []configs.ReviewLevel, i int) string {
	if i < len(chain) && chain[i].Name != "" {
		return chain[i].Name
	}
	return fmt.Sprintf("第 %d 级审核", i+1)
}

// destination says where a broadcast goes: 「第一党支部」的 1 个群, or, when a
// target unit has units below it, 「计算机学院党委」及下级单位的 12 个群.
func (f *Feature) destination(b Broadcast, groups int) string {
	units := f.engine.Units()
	for _, u := range b.UnitIDs {
		if len(units.Subtree(u)) > 1 {
			return fmt.Sprintf("「%s」及下级单位的 %d 个群", b.Target, groups)
		}
	}
	return fmt.Sprintf("「%s」的 %d 个群", b.Target, groups)
}

// fanout builds one message per group of the broadcast's units' subtrees,
// including groups the bot has left: the outbox fails those at once and
// /broadcast status reports them.
func (f *Feature) fanout(ctx context.Context, b Broadcast) ([]bot.Outgoing, error) {
	units := f.engine.Units()
	var ids []int64
	for _, u := range b.UnitIDs {
		ids = append(ids, units.Subtree(u)...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	chats, err := f.db.ChatsOfUnits(ctx, ids)
	if err != nil {
		return nil, err
	}
	text := "📢 通知\n" + b.Text + "\n—— " + b.AuthorName
	var out []bot.Outgoing
	for _, c := range chats {
		if c.Kind != bot.Group {
			continue
		}
		m := bot.Outgoing{ChatID: c.ID, Text: text, NotBefore: b.SendAt, Bulk: true}
		if b.Confirm && f.engine.Capabilities(c.Platform).Buttons {
			m.Buttons = [][]bot.Button{{{Text: "收到", Data: "/ack"}}} // withKeys adds the number
		}
		out = append(out, m)
	}
	return out, nil
}

// queue queues messages in tx, in order.
func queue(tx Tx, msgs []bot.Outgoing) error {
	for _, m := range msgs {
		if _, _, err := tx.Enqueue(m); err != nil {
			return err
		}
	}
	return nil
}

// send queues, in tx, the messages of a broadcast that has just been sent:
// first notes (acknowledgements), then the fan-out, each group's message
// once (by its key). It records how many groups it was queued for, with
// the "sent" event.
func (f *Feature) send(tx Tx, b *Broadcast, notes []bot.Outgoing, fan []bot.Outgoing) error {
	if err := queue(tx, notes); err != nil {
		return err
	}
	n := 0
	for _, m := range fan {
		_, inserted, err := tx.Enqueue(m)
		if err != nil {
			return err
		}
		if inserted {
			n++
		}
	}
	b.Chats = n
	if err := tx.SetBroadcastChats(b.ID, n); err != nil {
		return err
	}
	return tx.AddBroadcastEvent(Event{BroadcastID: b.ID, At: b.UpdatedAt, ActorName: "系统", Action: "sent", Note: strconv.Itoa(n)})
}

// withKeys gives fan-out messages their idempotency keys once the
// broadcast's id is known.
func (f *Feature) withKeys(b Broadcast, ms []bot.Outgoing) []bot.Outgoing {
	out := make([]bot.Outgoing, len(ms))
	for i, m := range ms {
		m.IdemKey = KeyPrefix(b.ID) + strconv.FormatInt(m.ChatID, 10)
		if b.Confirm {
			m.Text += fmt.Sprintf("\n（请回复「收到」确认，或发送 /ack %d）", b.ID)
			if len(m.Buttons) > 0 {
				m.Buttons = [][]bot.Button{{{Text: "收到", Data: fmt.Sprintf("/ack %d", b.ID)}}}
			}
		}
		out[i] = m
	}
	return out
}

// reach finds a level's reviewers, their identities, private chats and
// their units' groups, and the groups of the reviewing unit, and decides
// where each hears of a draft (reachReviewers).
func (f *Feature) reach(ctx context.Context, l configs.ReviewLevel, reviewUnit int64) (reach, error) {
	entries, err := f.db.RosterWithTitles(ctx, l.Titles, l.Members)
	if err != nil {
		return reach{}, err
	}
	rs := make([]reviewer, 0, len(entries))
	for _, e := range entries {
		r := reviewer{entry: e}
		if r.members, err = f.db.MembersOfRoster(ctx, e.ID); err != nil {
			return reach{}, err
		}
		if len(r.members) > 0 {
			if r.private, err = f.db.PrivateChatsOf(ctx, r.members); err != nil {
				return reach{}, err
			}
		}
		if len(r.private) == 0 {
			if r.groups, err = f.db.ChatsOfUnits(ctx, []int64{e.UnitID}); err != nil {
				return reach{}, err
			}
		}
		rs = append(rs, r)
	}
	var unitGroups []bot.Chat
	if reviewUnit != 0 {
		if unitGroups, err = f.db.ChatsOfUnits(ctx, []int64{reviewUnit}); err != nil {
			return reach{}, err
		}
	}
	return reachReviewers(rs, unitGroups), nil
}

// reviewNotices tell a level's reviewers of a draft where reach says: the
// draft in private chats; in a group, only that a draft waits for them
// (the text is not for the whole group before it is approved), naming them.
func (f *Feature) reviewNotices(b Broadcast, chain []configs.ReviewLevel, level int, rc reach) []bot.Outgoing {
	loc := f.engine.Location()
	head := fmt.Sprintf("待审核通知 #%d（%s，%d/%d 级）：%s 发往「%s」%s", b.ID, levelName(chain, level), level+1, len(chain), b.AuthorName, b.Target, sendsAt(b, loc))
	text := fmt.Sprintf("%s\n%s\n通过：/approve %d　驳回：/reject %d <理由>", head, b.Text, b.ID, b.ID)
	var out []bot.Outgoing
	for _, n := range rc.private {
		out = append(out, bot.Outgoing{ChatID: n.chat.ID, Text: text, IdemKey: fmt.Sprintf("bcreview:%d:%d:%d", b.ID, level, n.chat.ID)})
	}
	for _, n := range rc.groups {
		g := head + "。\n你还没有私聊过机器人，所以在群里提醒你：请私聊机器人发送 /approve 查看并审核；私聊过一次后，审核通知会直接私信给你。"
		if n.mention == 0 {
			g = n.name + "，" + g
		}
		out = append(out, bot.Outgoing{ChatID: n.chat.ID, Text: g, MentionMember: n.mention,
			IdemKey: fmt.Sprintf("bcreview:%d:%d:%d:%d", b.ID, level, n.chat.ID, n.rosterID)})
	}
	return out
}

func (f *Feature) load(ctx context.Context, arg string) (Broadcast, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || n <= 0 {
		return Broadcast{}, bot.Errorf("通知编号应是数字，例：/approve 3")
	}
	b, err := f.db.Broadcast(ctx, n)
	if errors.Is(err, bot.ErrNotFound) {
		return b, bot.Errorf("没有编号为 %d 的通知。", n)
	}
	return b, err
}

// reviewable loads a draft and checks the caller may decide its current level.
func (f *Feature) reviewable(ctx context.Context, c bot.Caller, arg string) (Broadcast, []configs.ReviewLevel, error) {
	b, err := f.load(ctx, arg)
	if err != nil {
		return b, nil, err
	}
	chain := f.chainOf(b)
	if err := reviewRefusal(b, chain, c); err != nil {
		return b, nil, err
	}
	return b, chain, nil
}

// chainOf is the review chain a draft was created under, looked up again
// from the config by the unit it was configured on.
func (f *Feature) chainOf(b Broadcast) []configs.ReviewLevel {
	c, _ := f.chain(b.ReviewUnit)
	return c
}

func (f *Feature) approve(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) == 0 {
		return f.pending(ctx, r)
	}
	if len(r.Command.Args) != 1 {
		return bot.Errorf("用法：/approve <编号>")
	}
	_, err := f.approveDraft(ctx, r.Caller, r.Command.Args[0], bot.Outgoing{ChatID: r.Chat.ID, MentionMember: mention(r)})
	return err
}

// acks is the caller's acknowledgement (none when its chat is 0: a caller
// outside a chat) followed by others.
func acks(reply bot.Outgoing, others ...bot.Outgoing) []bot.Outgoing {
	if reply.ChatID == 0 {
		return others
	}
	return append([]bot.Outgoing{reply}, others...)
}

// approveDraft approves the current level of draft arg as c; reply is the
// acknowledgement's chat and mention (ChatID 0: none is queued). It returns
// the acknowledgement.
func (f *Feature) approveDraft(ctx context.Context, c bot.Caller, arg string, reply bot.Outgoing) (string, error) {
	b, chain, err := f.reviewable(ctx, c, arg)
	if err != nil {
		return "", err
	}
	loc := f.engine.Location()
	now := f.engine.Now()
	next := approved(b, len(chain), now)
	var (
		fan []bot.Outgoing
		rc  reach
	)
	if next.Status == StatusSent {
		fan, err = f.fanout(ctx, next)
	} else {
		rc, err = f.reach(ctx, chain[next.Level], b.ReviewUnit)
	}
	if err != nil {
		return "", err
	}
	decided := levelName(chain, b.Level)
	ev := Event{BroadcastID: b.ID, At: now, ActorMember: c.Member.ID, ActorName: c.Name(), Action: "approved", Level: b.Level + 1, LevelName: decided}
	err = f.db.UpdateBroadcasts(ctx, now, func(tx Tx) error {
		if err := f.decide(tx, b, next, ev); err != nil {
			return err
		}
		author := bot.Outgoing{ChatID: b.OriginChat, MentionMember: b.AuthorMember}
		if next.Status == StatusSent {
			msgs := f.withKeys(next, fan)
			if scheduled(next, now) {
				at := fullTime(next.SendAt, loc)
				author.Text = fmt.Sprintf("你的通知 #%d 已由 %s 通过「%s」，审核完成，将于 %s 发往「%s」的 %d 个群。发出前可用 /broadcast cancel %d 撤回。",
					b.ID, c.Name(), decided, at, b.Target, len(msgs), b.ID)
				reply.Text = fmt.Sprintf("已通过通知 #%d（%s），审核完成，通知将于 %s 发出。", b.ID, decided, at)
			} else {
				author.Text = fmt.Sprintf("你的通知 #%d 已由 %s 通过「%s」，审核完成，已发往「%s」的 %d 个群。", b.ID, c.Name(), decided, b.Target, len(msgs))
				reply.Text = fmt.Sprintf("已通过通知 #%d（%s），审核完成，通知已发出。", b.ID, decided)
			}
			return f.send(tx, &next, acks(reply, author), msgs)
		}
		level := levelName(chain, next.Level)
		author.Text = bot.JoinLines(fmt.Sprintf("你的通知 #%d 已由 %s 通过「%s」，等待「%s」。", b.ID, c.Name(), decided, level), rc.told(level))
		reply.Text = fmt.Sprintf("已通过通知 #%d（%s），转「%s」。", b.ID, decided, level)
		return queue(tx, append(acks(reply, author), f.reviewNotices(next, chain, next.Level, rc)...))
	})
	if errors.Is(err, ErrStale) {
		return "", bot.Errorf("通知 #%d 刚刚已被其他审核人处理，请用 /broadcast log %d 查看。", b.ID, b.ID)
	}
	if err != nil {
		return "", err
	}
	f.log.Info("broadcast approved", "broadcast", b.ID, "level", b.Level+1, "by", c.Name(), "status", next.Status)
	return reply.Text, nil
}

func (f *Feature) reject(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) < 2 {
		return bot.Errorf("用法：/reject <编号> <理由>（驳回须写明理由）")
	}
	reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(r.Command.ArgText), args[0]))
	_, err := f.rejectDraft(ctx, r.Caller, args[0], reason, bot.Outgoing{ChatID: r.Chat.ID, MentionMember: mention(r)})
	return err
}

// rejectDraft rejects draft arg as c with a reason; reply is the
// acknowledgement's chat and mention (ChatID 0: none is queued). It returns
// the acknowledgement.
func (f *Feature) rejectDraft(ctx context.Context, c bot.Caller, arg, reason string, reply bot.Outgoing) (string, error) {
	b, chain, err := f.reviewable(ctx, c, arg)
	if err != nil {
		return "", err
	}
	if reason == "" {
		return "", bot.Errorf("驳回须写明理由。")
	}
	if n := utf8.RuneCountInString(reason); n > 500 {
		return "", bot.Errorf("驳回理由过长（%d 字，最多 500 字）。", n)
	}
	now := f.engine.Now()
	next := rejected(b, now)
	decided := levelName(chain, b.Level)
	ev := Event{BroadcastID: b.ID, At: now, ActorMember: c.Member.ID, ActorName: c.Name(), Action: "rejected", Level: b.Level + 1, LevelName: decided, Note: reason}
	reply.Text = fmt.Sprintf("已驳回通知 #%d（%s）。", b.ID, decided)
	err = f.db.UpdateBroadcasts(ctx, now, func(tx Tx) error {
		if err := f.decide(tx, b, next, ev); err != nil {
			return err
		}
		return queue(tx, acks(reply,
			bot.Outgoing{ChatID: b.OriginChat, MentionMember: b.AuthorMember, Text: fmt.Sprintf("你的通知 #%d 被 %s 在「%s」驳回，理由：%s\n修改后请重新提交。", b.ID, c.Name(), decided, reason)}))
	})
	if errors.Is(err, ErrStale) {
		return "", bot.Errorf("通知 #%d 刚刚已被其他审核人处理，请用 /broadcast log %d 查看。", b.ID, b.ID)
	}
	if err != nil {
		return "", err
	}
	f.log.Info("broadcast rejected", "broadcast", b.ID, "level", b.Level+1, "by", c.Name())
	return reply.Text, nil
}

// decide stores a review decision in tx: b, as it was read, becomes next,
// unless another reviewer decided first (ErrStale); ev is logged.
func (f *Feature) decide(tx Tx, b, next Broadcast, ev Event) error {
	if err := tx.MoveBroadcast(b, next); err != nil {
		return err
	}
	return tx.AddBroadcastEvent(ev)
}

// pending lists the drafts waiting for the caller's decision.
func (f *Feature) pending(ctx context.Context, r *bot.Request) error {
	ds, err := f.DeskPending(ctx, r.Caller)
	if err != nil {
		return err
	}
	var lines []string
	for _, d := range ds {
		lines = append(lines, fmt.Sprintf("#%d %s → %s（%s，%s 提交）：%s", d.ID, d.Author, d.Target, d.Level, d.Created, preview(d.Text, 40)))
	}
	if len(lines) == 0 {
		return r.Reply(ctx, "没有等待你审核的通知。")
	}
	return r.Reply(ctx, "等待你审核的通知：\n"+strings.Join(lines, "\n")+"\n通过：/approve <编号>　驳回：/reject <编号> <理由>")
}

func preview(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// mayView reports whether the caller may see a broadcast's status and log:
// its author, an admin, a secretary of its units, or one of its reviewers.
func (f *Feature) mayView(r *bot.Request, b Broadcast) bool { return f.mayViewBy(r.Caller, b) }

// mayViewBy is mayView for a caller in a chat or not.
func (f *Feature) mayViewBy(c bot.Caller, b Broadcast) bool {
	if c.Admin || isAuthor(b, c) {
		return true
	}
	for _, l := range f.chainOf(b) {
		if canReview(c, l) {
			return true
		}
	}
	units := f.engine.Units()
	for _, id := range b.UnitIDs {
		if !c.Is(bot.RoleSecretary, id, units) {
			return false
		}
	}
	return c.Roster != nil
}

// viewable loads a broadcast and checks the caller may see it (mayView).
func (f *Feature) viewable(ctx context.Context, r *bot.Request, arg string) (Broadcast, error) {
	b, err := f.load(ctx, arg)
	if err != nil {
		return b, err
	}
	if !f.mayView(r, b) {
		return b, bot.Errorf("只有通知 #%d 的提交人、审核人、相关单位书记或管理员可以查看。", b.ID)
	}
	return b, nil
}

func (f *Feature) status(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) != 1 {
		return bot.Errorf("用法：/broadcast status <编号>")
	}
	b, err := f.viewable(ctx, r, args[0])
	if err != nil {
		return err
	}
	st, err := f.statusOf(ctx, b, r.Now())
	if err != nil {
		return err
	}
	if st.Groups == nil {
		return r.Reply(ctx, st.Head)
	}
	lines := make([]string, 0, len(st.Groups))
	for _, g := range st.Groups {
		lines = append(lines, fmt.Sprintf("%s：%s", g.Group, g.Text))
	}
	if len(lines) > 60 {
		lines = append(lines[:60], fmt.Sprintf("……其余 %d 个群略", len(lines)-60))
	}
	if st.Receipts != nil {
		lines = append(lines, st.Receipts.lines()...)
	}
	return r.Reply(ctx, bot.JoinLines(append([]string{st.Head}, lines...)...))
}

// GroupDelivery is a broadcast's delivery to one group.
type GroupDelivery struct {
	Group string
	// State is delivered, queued, failed, unknown (结果未知) or withdrawn.
	State string
	Text  string // 已送达 11-23 09:00, 失败：…
}

// broadcastStatus is what /broadcast status says of a broadcast: a head
// line, its delivery to each group (nil before it was queued: the head
// says why) and, when it asked for them, the read receipts.
type broadcastStatus struct {
	Head     string
	Groups   []GroupDelivery
	Receipts *Receipts
}

func (f *Feature) statusOf(ctx context.Context, b Broadcast, now time.Time) (broadcastStatus, error) {
	loc := f.engine.Location()
	switch b.Status {
	case StatusReview:
		return broadcastStatus{Head: fmt.Sprintf("通知 #%d 还在审核中（已通过 %d/%d 级），尚未发出%s。", b.ID, b.Level, b.Levels, sendsAt(b, loc))}, nil
	case StatusRejected:
		return broadcastStatus{Head: fmt.Sprintf("通知 #%d 已被驳回，未发出。发送 /broadcast log %d 查看原因。", b.ID, b.ID)}, nil
	case StatusCancelled:
		if b.Chats == 0 {
			return broadcastStatus{Head: fmt.Sprintf("通知 #%d 已撤回，未发出。发送 /broadcast log %d 查看记录。", b.ID, b.ID)}, nil
		}
	}
	msgs, err := f.db.BroadcastDeliveries(ctx, b.ID)
	if err != nil {
		return broadcastStatus{}, err
	}
	var delivered, queued, failed, withdrawn, unknown int
	st := broadcastStatus{Groups: []GroupDelivery{}}
	for _, m := range msgs {
		c, err := f.db.Chat(ctx, m.ChatID)
		if err != nil {
			return st, err
		}
		g := GroupDelivery{Group: c.Title}
		switch m.State {
		case bot.OutboxDelivered:
			delivered++
			g.State, g.Text = "delivered", "已送达 "+m.DeliveredAt.In(loc).Format("01-02 15:04")
		case bot.OutboxFailed:
			failed++
			g.State, g.Text = "failed", "失败："+m.LastError
		case bot.OutboxCancelled:
			withdrawn++
			g.State, g.Text = "withdrawn", "已撤回"
		case bot.OutboxUnknown:
			unknown++
			g.State, g.Text = "unknown", "结果未知：发送超时，平台可能已收到，为免重复未重发"
		default:
			queued++
			g.State = "queued"
			switch {
			case m.Attempts > 0 || m.LastError != "":
				g.Text = fmt.Sprintf("排队中，已重试 %d 次（%s）", m.Attempts, preview(m.LastError, 60))
			case m.NotBefore.After(now):
				g.Text = "排队中，将于 " + fullTime(m.NotBefore, loc) + " 发出"
			default:
				g.Text = "排队中"
			}
		}
		st.Groups = append(st.Groups, g)
	}
	head := fmt.Sprintf("通知 #%d → %s：共 %d 个群，已送达 %d，排队 %d，失败 %d。", b.ID, b.Target, len(msgs), delivered, queued, failed)
	if withdrawn > 0 {
		head = fmt.Sprintf("通知 #%d → %s：已撤回，%d 个群不再发送；已送达 %d，失败 %d。", b.ID, b.Target, withdrawn, delivered, failed)
	} else if scheduled(b, now) {
		head = fmt.Sprintf("通知 #%d → %s：共 %d 个群，将于 %s 发出。", b.ID, b.Target, len(msgs), fullTime(b.SendAt, loc))
	}
	if unknown > 0 {
		head = strings.TrimSuffix(head, "。") + fmt.Sprintf("，结果未知 %d。", unknown)
	}
	st.Head = head
	if b.Confirm && b.Status == StatusSent {
		rc, err := f.receipts(ctx, b)
		if err != nil {
			return st, err
		}
		st.Receipts = &rc
	}
	return st, nil
}

var actionText = map[string]string{"created": "提交", "approved": "通过", "rejected": "驳回", "sent": "发出", "cancelled": "撤回"}

func (f *Feature) logCmd(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) > 1 {
		return bot.Errorf("用法：/broadcast log [编号]")
	}
	var bs []Broadcast
	if len(args) == 1 {
		b, err := f.viewable(ctx, r, args[0])
		if err != nil {
			return err
		}
		bs = []Broadcast{b}
	} else {
		all, err := f.db.Broadcasts(ctx, "", 200)
		if err != nil {
			return err
		}
		for _, b := range all {
			if f.mayView(r, b) && len(bs) < 10 {
				bs = append(bs, b)
			}
		}
	}
	if len(bs) == 0 {
		return r.Reply(ctx, "没有通知记录。")
	}
	var lines []string
	for _, b := range bs {
		lines = append(lines, fmt.Sprintf("#%d → %s【%s】%s", b.ID, b.Target, statusName(b, r.Now()), preview(b.Text, 30)))
		evs, err := f.eventLines(ctx, b, r.Now())
		if err != nil {
			return err
		}
		for _, l := range evs {
			lines = append(lines, "  "+l)
		}
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

var statusText = map[string]string{StatusReview: "审核中", StatusRejected: "已驳回", StatusSent: "已发出", StatusCancelled: "已撤回"}

// statusName is a broadcast's status as the log names it.
func statusName(b Broadcast, now time.Time) string {
	if scheduled(b, now) {
		return "定时待发"
	}
	return statusText[b.Status]
}

// eventLines are a broadcast's events as /broadcast log writes them: who
// did what, when (the review chain's decisions with their level, a
// rejection's reason, when it went out).
func (f *Feature) eventLines(ctx context.Context, b Broadcast, now time.Time) ([]string, error) {
	loc := f.engine.Location()
	evs, err := f.db.BroadcastEvents(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, ev := range evs {
		l := fmt.Sprintf("%s %s %s", ev.At.In(loc).Format("01-02 15:04"), ev.ActorName, actionText[ev.Action])
		switch {
		case ev.Action == "sent" && b.SendAt.After(ev.At):
			verb := "将于"
			if !b.SendAt.After(now) {
				verb = "于"
			}
			l = fmt.Sprintf("%s 排定发往 %s 个群，%s %s 发出", ev.At.In(loc).Format("01-02 15:04"), ev.Note, verb, fullTime(b.SendAt, loc))
		case ev.Action == "sent":
			l = fmt.Sprintf("%s 发出到 %s 个群", ev.At.In(loc).Format("01-02 15:04"), ev.Note)
		case ev.LevelName != "":
			l += "（" + ev.LevelName + "）"
		}
		if ev.Action == "rejected" || ev.Action == "cancelled" && ev.Note != "" {
			l += "：" + ev.Note
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// cancel is /broadcast cancel <编号> (撤回): the author or an admin
// withdraws a draft, or a scheduled notice before its time; its queued
// messages are withdrawn in the same transaction as the change.
func (f *Feature) cancel(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) != 1 {
		return bot.Errorf("用法：/broadcast cancel <编号>，例：/broadcast cancel 3")
	}
	b, err := f.load(ctx, r.Command.Args[0])
	if err != nil {
		return err
	}
	loc := f.engine.Location()
	now := r.Now()
	if err := cancelRefusal(b, r.Caller, now, loc); err != nil {
		return err
	}
	next := cancelled(b, now)
	err = f.db.UpdateBroadcasts(ctx, now, func(tx Tx) error {
		if err := tx.MoveBroadcast(b, next); err != nil {
			return err
		}
		var text, note string
		if b.Status == StatusSent {
			withdrawn, gone, err := tx.CancelQueued(KeyPrefix(b.ID))
			if err != nil {
				return err
			}
			note = fmt.Sprintf("%d 个群不再发送", withdrawn)
			text = fmt.Sprintf("已撤回通知 #%d：原定 %s 发往「%s」的 %d 个群，都不再发送。", b.ID, fullTime(b.SendAt, loc), b.Target, withdrawn)
			if gone > 0 {
				note += fmt.Sprintf("，%d 个群已收到", gone)
				text = fmt.Sprintf("已撤回通知 #%d：%d 个群不再发送；另有 %d 个群已经收到，无法撤回。", b.ID, withdrawn, gone)
			}
		} else {
			text = fmt.Sprintf("已撤回通知草稿 #%d（发往「%s」），不会再发出。", b.ID, b.Target)
		}
		if err := tx.AddBroadcastEvent(Event{BroadcastID: b.ID, At: now, ActorMember: r.Caller.Member.ID, ActorName: r.Caller.Name(), Action: "cancelled", Note: note}); err != nil {
			return err
		}
		msgs := []bot.Outgoing{{ChatID: r.Chat.ID, MentionMember: mention(r), Text: text}}
		if !isAuthor(b, r.Caller) {
			msgs = append(msgs, bot.Outgoing{ChatID: b.OriginChat, MentionMember: b.AuthorMember,
				Text: fmt.Sprintf("你的通知 #%d 已被 %s 撤回，不会发出。", b.ID, r.Caller.Name())})
		}
		return queue(tx, msgs)
	})
	if errors.Is(err, ErrStale) {
		return bot.Errorf("通知 #%d 刚刚有了变化（审核人已处理），请用 /broadcast log %d 查看后再试。", b.ID, b.ID)
	}
	if err != nil {
		return err
	}
	f.log.Info("broadcast cancelled", "broadcast", b.ID, "was", b.Status, "by", r.Caller.Name())
	return nil
}
