// Package relay is the activity sign-up list (接龙): anyone starts one, members
// join with an optional note or leave, places beyond the limit form a
// waitlist that moves up in order (whoever moves up is told by name), and the
// list closes by hand or at its deadline. Its starter or a secretary may
// change its limit and deadline, and a secretary may add or remove someone
// who cannot type (代接龙, marked on the list). Relays are numbered per group
// (#1, #2 …); exports name them by their global id. The list is one message
// edited in place where the platform can (with join/leave buttons); elsewhere
// it is re-posted, merged in the outbox so a burst of joins yields one post.
// Joins and leaves go through a group-commit writer: none is lost or
// duplicated however many arrive at once.
//
// The rules (which relay an op reaches, join, leave, places, the waitlist,
// who crosses the limit, which relay a command without a number means) are
// pure functions in rules.go, applied batch by batch in writer.go; manage.go
// has the starter's and secretary's commands; store.go declares the nouns
// and what the feature needs from storage, which stores what the feature
// decided.
package relay

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// Shown at most this many places (and waitlist places) in a list message;
// the export has them all.
const (
	maxShown     = 100
	maxShownWait = 30
	maxTitle     = 50
	maxNote      = 50
	maxCap       = 10000
)

// Feature is the relay feature.
type Feature struct {
	engine  *bot.Engine
	store   Store
	batcher Batcher
}

// New makes the feature.
func New(e *bot.Engine, store Store) *Feature {
	f := &Feature{engine: e, store: store}
	f.batcher = store.RelayBatcher(writer{list: f.list, notice: f.notice})
	return f
}

func (f *Feature) Name() string { return "relay" }

func (f *Feature) Commands() []bot.CommandSpec {
	relayOpen := &bot.Expecting{When: "本群有进行中的接龙时", Now: f.relayOpen}
	return []bot.CommandSpec{
		{
			Name: "relay", Aliases: []string{"发起接龙"},
			Summary: "发起接龙（报名）",
			Usage:   "/relay <标题> [limit=人数] [until=截止时间] [for=单位]（也可写 人数=、截止=、单位=）",
			Help: "例：/relay 周六志愿服务 limit=20 until=周五18:00\n" +
				"超过人数的报名进入候补，有人退出时按顺序递补，递补的人会收到通知。截止时间可写 周五18:00、明天20:00、12月1日18:00、2026-12-01T18:00（不写年份时取最近的那一天，已过的时间不能用）。\n" +
				"/relay 不带参数列出本群进行中的接龙。编号 #N 是本群的第 N 个接龙。\n" +
				"书记可加 for=单位（本群单位或其下级），表示该单位全体都应参加：可用 /remind 接龙 提醒还没接龙的人，截止前也会自动提醒。",
			Where:   bot.GroupOnly,
			Handler: f.relay,
			Subs: []bot.CommandSpec{
				{
					Name: "list", Aliases: []string{"列表"},
					Summary: "列出本群进行中的接龙",
					Usage:   "/relay list",
					Handler: f.show,
				},
				{
					Name: "close", Aliases: []string{"结束"}, Flat: []string{"relay_close", "结束接龙"},
					Summary: "结束接龙（发起人或书记）",
					Usage:   "/relay close [#编号]",
					Help:    "只有发起人或本群单位的书记可以结束。不写编号时结束你能结束的那一个；有几个时请写编号。",
					Handler: f.close,
				},
				{
					Name: "edit", Aliases: []string{"修改"}, Flat: []string{"relay_edit", "修改接龙"},
					Summary: "修改接龙的人数或截止时间（发起人或书记）",
					Usage:   "/relay edit [#编号] [limit=人数] [until=截止时间]",
					Help: "例：/relay edit #3 limit=30 until=周五18:00\n" +
						"limit=不限 取消人数限制，until=不限 取消截止时间。人数增加时候补的人按顺序转为正式报名，减少时排在后面的人转为候补，都会收到通知。\n" +
						"只有发起人或本群单位的书记可以修改。不写编号时修改你能修改的那一个；有几个时请写编号。",
					Handler: f.edit,
				},
				{
					Name: "add", Aliases: []string{"代"}, Flat: []string{"relay_add", "代接龙"},
					Summary: "替不方便发消息的人接龙（书记）",
					Usage:   "/relay add [#编号] <姓名或学号> [备注]",
					Help: "例：/relay add #2 王五 带家属、代接龙 2023003\n" +
						"按花名册找人（先找本群单位，重名时请写学号）；不在花名册上的人按所写姓名登记。名单上记为「某某代接龙」，导出表格的状态栏也注明。",
					Role:    bot.RoleSecretary,
					Handler: f.add,
				},
				{
					Name: "remove", Aliases: []string{"代取消"}, Flat: []string{"relay_remove", "代取消接龙"},
					Summary: "替人退出接龙（书记）",
					Usage:   "/relay remove [#编号] <姓名或学号>",
					Help:    "例：/relay remove #2 王五\n用于撤销代接龙，或替无法操作的成员退出。",
					Role:    bot.RoleSecretary,
					Handler: f.remove,
				},
			},
		},
		{
			Name: "join", Aliases: []string{"接龙", "+1"},
			Summary: "参加接龙",
			Usage:   "/join [#编号] [备注]",
			Help:    "例：接龙 带相机；/join #3 晚到半小时\n再次发送可修改备注。不写编号时参加本群最新的接龙。",
			Where:   bot.GroupOnly,
			Bare:    bot.BareWhenExpected, Expecting: relayOpen,
			Handler: f.join,
		},
		{
			Name: "leave", Aliases: []string{"取消接龙"},
			Summary: "退出接龙",
			Usage:   "/leave [#编号]",
			Help:    "不写编号时退出你参加的那一个接龙；参加了几个时请写编号，例：取消接龙 #2。",
			Where:   bot.GroupOnly,
			Handler: f.leave,
		},
	}
}

// relayOpen is the Expecting hook of 接龙 and +1 without a slash.
func (f *Feature) relayOpen(ctx context.Context, r *bot.Request) (bool, error) {
	rs, err := f.store.OpenRelays(ctx, r.Chat.ID, r.Now())
	return len(rs) > 0, err
}

// number reads a leading "#3" argument (the relay's number in the group).
func number(args []string) (n int64, rest []string, err error) {
	if len(args) == 0 {
		return 0, args, nil
	}
	a := args[0]
	if s, ok := strings.CutPrefix(a, "#"); ok {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil || n <= 0 {
			return 0, nil, bot.Errorf("接龙编号「%s」不对，应写成 #3。", a)
		}
		return n, args[1:], nil
	}
	return 0, args, nil
}

func (f *Feature) relay(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) == 0 && r.Command.Name != "relay" {
		return bot.Errorf("用法：发起接龙 <标题> [limit=人数] [until=截止时间]，例：发起接龙 周六志愿服务 limit=20 until=周五18:00")
	}
	if len(args) == 0 {
		return f.show(ctx, r)
	}
	// "/relay leave" and "/relay join" are members leaving and joining, not
	// a relay titled "leave": /join and /leave under the command they know.
	if r.Command.Name == "relay" {
		switch strings.ToLower(args[0]) {
		case "join":
			r.Command.Args = args[1:]
			return f.join(ctx, r)
		case "leave":
			r.Command.Args = args[1:]
			return f.leave(ctx, r)
		}
	}
	pos, opts := bot.SplitOptions(joinClock(args))
	title := strings.Join(pos, " ")
	if title == "" {
		return bot.Errorf("用法：/relay <标题> [limit=人数] [until=截止时间]，例：/relay 周六志愿服务 limit=20 until=周五18:00")
	}
	if !bot.HasWords(title) {
		return bot.Errorf("标题只有表情或标点，请用文字写明，例：/relay 周六志愿服务 limit=20")
	}
	if utf8.RuneCountInString(title) > maxTitle {
		return bot.Errorf("标题太长（最多 %d 字）。", maxTitle)
	}
	now := r.Now()
	rl := Relay{ChatID: r.Chat.ID, Title: title, StartedBy: r.Caller.Member.ID, CreatedAt: now}
	if v, ok := opts["for"]; ok {
		delete(opts, "for")
		target, err := f.target(r, v)
		if err != nil {
			return err
		}
		rl.Target = target
	}
	if err := terms(opts, &rl, now); err != nil {
		return err
	}
	err := f.store.UpdateRelays(ctx, now, func(tx Tx) error {
		rl, err := tx.InsertRelay(rl)
		if err != nil {
			return err
		}
		id, _, err := tx.Enqueue(f.list(rl, nil))
		if err != nil {
			return fmt.Errorf("queue list: %w", err)
		}
		return tx.SetRelayList(rl.ID, id)
	})
	if err != nil {
		return fmt.Errorf("start relay in chat %d: %w", rl.ChatID, err)
	}
	return nil
}

// target reads for=<单位>: the unit whose roster is expected to join, the
// group's own unit or one below it, named by a secretary of it.
func (f *Feature) target(r *bot.Request, name string) (int64, error) {
	units := r.Units()
	u, ok := units.ByName(name)
	if !ok {
		return 0, bot.Errorf("for=%s：没有这个单位。", name)
	}
	if r.Chat.UnitID == 0 || !units.Contains(r.Chat.UnitID, u.ID) {
		return 0, bot.Errorf("for=%s：只能是本群所属单位或其下级单位。", name)
	}
	if err := r.Require(bot.RoleSecretary, u.ID); err != nil {
		return 0, err
	}
	return u.ID, nil
}

// joinClock keeps "until=周五 18:00" together: a time of day right after an
// until= option belongs to it, not to the title.
func joinClock(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		k, _, ok := strings.Cut(a, "=")
		if ok && bot.OptionKey(k) == "until" && i+1 < len(args) && clockRE.MatchString(args[i+1]) {
			a += args[i+1]
			i++
		}
		out = append(out, a)
	}
	return out
}

var clockRE = regexp.MustCompile(`^\d{1,2}[:：]\d{2}$`)

func (f *Feature) show(ctx context.Context, r *bot.Request) error {
	rs, err := f.store.OpenRelays(ctx, r.Chat.ID, r.Now())
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return r.Reply(ctx, "本群当前没有进行中的接龙。发送 /relay <标题> 发起。")
	}
	lines := []string{"本群进行中的接龙："}
	for _, rl := range rs {
		es, err := f.store.RelayEntries(ctx, rl.ID)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("#%d %s（%s）", rl.Seq, rl.Title, f.counts(rl, len(es))))
	}
	lines = append(lines, fmt.Sprintf("发送「%s #编号 [备注]」参加指定的接龙。", joinWord(r.Capabilities())))
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

func (f *Feature) counts(rl Relay, n int) string {
	if rl.Cap == 0 {
		return fmt.Sprintf("已报名 %d 人", n)
	}
	s := fmt.Sprintf("已报名 %d/%d", min(n, rl.Cap), rl.Cap)
	if n > rl.Cap {
		s += fmt.Sprintf("，候补 %d 人", n-rl.Cap)
	}
	return s
}

// render is the list text of a relay.
func (f *Feature) render(rl Relay, es []Entry, closed bool) string {
	loc := f.engine.Location()
	head := fmt.Sprintf("接龙 #%d：%s", rl.Seq, rl.Title)
	if closed {
		head = fmt.Sprintf("接龙结束 #%d：%s", rl.Seq, rl.Title)
	}
	lines := []string{head}
	var terms []string
	if rl.Cap > 0 {
		terms = append(terms, fmt.Sprintf("限 %d 人", rl.Cap))
	}
	if !rl.Until.IsZero() && !closed {
		terms = append(terms, "截止 "+when.Format(rl.Until.In(loc), rl.CreatedAt.In(loc)))
	}
	if rl.Target != 0 {
		terms = append(terms, "应参加："+f.engine.Units().Name(rl.Target)+"全体")
	}
	if len(terms) > 0 {
		lines = append(lines, strings.Join(terms, "，"))
	}
	entry := func(label string, e Entry) string {
		var notes []string
		if e.Note != "" {
			notes = append(notes, e.Note)
		}
		if e.ProxyName != "" {
			notes = append(notes, e.ProxyName+"代接龙")
		}
		s := label + " " + e.Name
		if len(notes) > 0 {
			s += "（" + strings.Join(notes, "；") + "）"
		}
		return s
	}
	shown, waitShown := 0, 0
	waitHeader := false
	for _, e := range es {
		if !rl.Waitlisted(e.Place) {
			if shown < maxShown {
				lines = append(lines, entry(fmt.Sprintf("%d.", e.Place), e))
			}
			shown++
			continue
		}
		if !waitHeader {
			if shown > maxShown {
				lines = append(lines, fmt.Sprintf("……另有 %d 人", shown-maxShown))
			}
			lines = append(lines, "候补：")
			waitHeader = true
		}
		if waitShown < maxShownWait {
			lines = append(lines, entry(fmt.Sprintf("候补%d.", e.Place-rl.Cap), e))
		}
		waitShown++
	}
	if !waitHeader && shown > maxShown {
		lines = append(lines, fmt.Sprintf("……另有 %d 人", shown-maxShown))
	}
	if waitShown > maxShownWait {
		lines = append(lines, fmt.Sprintf("……另有候补 %d 人", waitShown-maxShownWait))
	}
	if len(es) == 0 {
		lines = append(lines, "（还没有人报名）")
	}
	lines = append(lines, f.counts(rl, len(es)))
	if !closed {
		caps := f.engine.Capabilities(rl.Platform)
		lines = append(lines, fmt.Sprintf("参加发送「%s #%d 备注」，退出发送「%s #%d」。", joinWord(caps), rl.Seq, leaveWord(caps), rl.Seq))
	}
	return strings.Join(lines, "\n")
}

// list is the list message queued after a change: an edit of the one list
// message where the platform can edit and has buttons, else a re-post that
// replaces a still-unsent earlier one.
func (f *Feature) list(rl Relay, es []Entry) bot.Outgoing {
	caps := f.engine.Capabilities(rl.Platform)
	out := bot.Outgoing{ChatID: rl.ChatID, Text: f.render(rl, es, false), MergeKey: fmt.Sprintf("relay:%d:list", rl.ID)}
	if caps.Buttons {
		out.Buttons = [][]bot.Button{{{Text: "接龙", Data: fmt.Sprintf("/join #%d", rl.Seq)}, {Text: "取消接龙", Data: fmt.Sprintf("/leave #%d", rl.Seq)}}}
	}
	if caps.Edit && caps.Buttons && rl.ListID != 0 {
		out.EditOf = rl.ListID
	}
	return out
}

// final is what closing a relay posts: the final list, and where the list is
// edited in place, that message without its buttons.
func (f *Feature) final(rl Relay, es []Entry) []bot.Outgoing {
	caps := f.engine.Capabilities(rl.Platform)
	text := f.render(rl, es, true)
	key := fmt.Sprintf("relay:%d:list", rl.ID)
	idem := fmt.Sprintf("relay:%d:final", rl.ID)
	if caps.Edit && caps.Buttons && rl.ListID != 0 {
		// The list message itself shows the final list, without buttons;
		// the group gets a short notice.
		return []bot.Outgoing{
			{ChatID: rl.ChatID, Text: text, EditOf: rl.ListID, MergeKey: key},
			{ChatID: rl.ChatID, Text: fmt.Sprintf("接龙 #%d「%s」已结束，%s。", rl.Seq, rl.Title, f.counts(rl, len(es))), IdemKey: idem},
		}
	}
	return []bot.Outgoing{{ChatID: rl.ChatID, Text: text, MergeKey: key, IdemKey: idem}}
}

func (f *Feature) op(ctx context.Context, r *bot.Request, kind OpKind) error {
	n, rest, err := number(r.Command.Args)
	if err != nil {
		return err
	}
	// Marks typed after the word (接龙。, +1！, 取消接龙！) are no note.
	note := strings.Join(bot.Words(rest), " ")
	if kind == Leave && note != "" {
		return bot.Errorf("用法：/leave [#编号]")
	}
	if utf8.RuneCountInString(note) > maxNote {
		return bot.Errorf("备注太长（最多 %d 字）。", maxNote)
	}
	if kind == Join {
		if err := meantOtherwise(note, n, r.Capabilities()); err != nil {
			return err
		}
	}
	// Judged when the member sent it, not when the bot got to it.
	op := Op{Kind: kind, ChatID: r.Chat.ID, Number: n, MemberID: r.Caller.Member.ID, Name: r.Caller.Name(), Note: note, At: r.At()}
	if r.Caller.Roster != nil {
		op.RosterID = r.Caller.Roster.ID
	}
	res, err := f.batcher.Do(ctx, op)
	if err != nil {
		return err
	}
	rl := res.Relay
	switch res.Outcome {
	case Joined, NoteChanged, Left:
		// Stored; the updated list (queued with it) is the answer.
		if !r.IsButton() {
			return nil
		}
		switch res.Outcome {
		case Joined:
			return r.Reply(ctx, fmt.Sprintf("已接龙：%s，%s", rl.Title, place(rl, res.Place)))
		case NoteChanged:
			return r.Reply(ctx, "已修改备注")
		}
		return r.Reply(ctx, "已退出接龙："+rl.Title)
	case Already:
		return r.ReplyMention(ctx, fmt.Sprintf("你已在接龙 #%d「%s」中，%s。要修改备注请发送「%s #%d 新备注」。", rl.Seq, rl.Title, place(rl, res.Place), joinWord(r.Capabilities()), rl.Seq))
	}
	return f.refusal(res, n, "你")
}

// joinWord and leaveWord are what members type to join and leave: the
// Chinese words, or the slash commands where the bot sees only commands in
// groups (Telegram's privacy mode).
func joinWord(caps bot.Capabilities) string {
	if caps.CommandsOnly {
		return "/join"
	}
	return "接龙"
}

func leaveWord(caps bot.Capabilities) string {
	if caps.CommandsOnly {
		return "/leave"
	}
	return "取消接龙"
}

// place is a place on rl as members read it: 第 2 位, 候补第 1 位.
func place(rl Relay, p int) string {
	if rl.Waitlisted(p) {
		return fmt.Sprintf("候补第 %d 位", p-rl.Cap)
	}
	return fmt.Sprintf("第 %d 位", p)
}

// refusal is the answer to an op that changed nothing for the reason
// res.Outcome; n is the number the op gave, who says whom it was about.
func (f *Feature) refusal(res Answer, n int64, who string) error {
	rl := res.Relay
	switch res.Outcome {
	case NotIn:
		return bot.Errorf("%s不在接龙 #%d「%s」中。", who, rl.Seq, rl.Title)
	case NoRelay:
		return bot.Errorf("本群当前没有进行中的接龙。")
	case NotFound:
		return bot.Errorf("本群没有编号为 #%d 的接龙。发送 /relay 查看进行中的接龙。", n)
	case Closed:
		return bot.Errorf("接龙 #%d「%s」已结束。", rl.Seq, rl.Title)
	case NotInAny:
		return bot.Errorf("%s没有参加本群进行中的接龙。", who)
	case Ambiguous:
		example := fmt.Sprintf("取消接龙 #%d", res.Choices[0].Seq)
		if who != "你" {
			example = fmt.Sprintf("代取消接龙 #%d %s", res.Choices[0].Seq, who)
		}
		return bot.Errorf("%s参加了本群 %d 个进行中的接龙：%s。请写明编号，例：%s。", who, len(res.Choices), relayList(res.Choices), example)
	}
	return fmt.Errorf("relay: unexpected outcome %d", res.Outcome)
}

// relayList names relays for a choice: #1 周六志愿服务、#2 周日读书会.
func relayList(rs []Relay) string {
	names := make([]string, len(rs))
	for i, rl := range rs {
		names[i] = fmt.Sprintf("#%d %s", rl.Seq, rl.Title)
	}
	return strings.Join(names, "、")
}

func (f *Feature) join(ctx context.Context, r *bot.Request) error {
	return f.op(ctx, r, Join)
}
func (f *Feature) leave(ctx context.Context, r *bot.Request) error {
	return f.op(ctx, r, Leave)
}

func (f *Feature) close(ctx context.Context, r *bot.Request) error {
	rl, rest, err := f.managed(ctx, r, "结束")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return bot.Errorf("用法：/relay close [#编号]")
	}
	closed, err := f.closeRelay(ctx, rl.ID, r.Now())
	if err != nil {
		return err
	}
	if !closed {
		return bot.Errorf("接龙 #%d「%s」已结束。", rl.Seq, rl.Title)
	}
	return nil
}

// closeRelay closes a relay at now and, in the same transaction, queues
// what closing it posts (final) from its last list. It reports false (and
// queues nothing) if the relay was closed already.
func (f *Feature) closeRelay(ctx context.Context, id int64, now time.Time) (bool, error) {
	closed := false
	err := f.store.UpdateRelays(ctx, now, func(tx Tx) error {
		var err error
		if closed, err = tx.CloseRelay(id, now); err != nil || !closed {
			return err
		}
		rl, err := tx.Relay(id)
		if err != nil {
			return err
		}
		es, err := tx.RelayEntries(id)
		if err != nil {
			return err
		}
		for _, m := range f.final(rl, es) {
			if _, _, err := tx.Enqueue(m); err != nil {
				return fmt.Errorf("queue final list: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("close relay %d: %w", id, err)
	}
	return closed, nil
}

// Tick closes relays whose deadline has passed.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	due, err := f.store.RelaysDue(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, rl := range due {
		if _, err := f.closeRelay(ctx, rl.ID, rl.Until); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// meantOtherwise refuses a join whose whole note is a word that asks for
// something else: 接龙 结束 is a secretary closing the list, 接龙 取消 a member
// leaving it. Joining with such a note would put them on the list instead.
func meantOtherwise(note string, n int64, caps bot.Capabilities) error {
	num := ""
	if n > 0 {
		num = fmt.Sprintf(" #%d", n)
	}
	closeWord := "结束接龙"
	if caps.CommandsOnly {
		closeWord = "/relay close"
	}
	switch note {
	case "结束", "关闭", "截止", "停止", "完成":
		return bot.Errorf("要结束接龙请发送「%s%s」（发起人或书记）。如果「%s」是备注，请写得具体些。", closeWord, num, note)
	case "取消", "退出", "撤销", "删除":
		return bot.Errorf("要退出接龙请发送「%s%s」。如果「%s」是备注，请写得具体些。", leaveWord(caps), num, note)
	}
	return nil
}
