// Package checkin is attendance check-in (签到): a secretary opens a session
// in a bound group (and is checked in by opening it), members check in (with
// a code if the session has one, which they may also send alone), the group
// sees one running count that names who just checked in instead of one
// receipt per member, and at the end the bot posts who was present, late and
// absent against the roster of the group's unit, naming those who never
// linked themselves to it. Check-ins go through a group-commit writer, so a
// whole room checking in at once costs a handful of transactions. Sessions
// are numbered per group (#1, #2 …); exports name them by their global id.
//
// The rule for a check-in (decide) and the writer's memory of open sessions
// live in writer.go, the other rules in rules.go, bare names and codes in
// bare.go; store.go declares the nouns and what the feature needs from
// storage, which stores what the feature decided.
package checkin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/when"
)

// DefaultDuration is how long a session takes on-time check-ins when the
// opener gives no duration.
const DefaultDuration = 30 * time.Minute

// Feature is the check-in feature.
type Feature struct {
	engine  *bot.Engine
	store   Store
	writer  *writer
	batcher Batcher
	latest  latestSessions
	// meetingTypes are the 三会一课 types a session may be (type=, or a
	// title that is one).
	meetingTypes []string
	// meetingTitles: per type, the roster titles it expects (committee.go).
	meetingTitles map[string][]string
	// photoDir is where photos of minutes are kept ("" : none are taken).
	photoDir string
}

// WithMeetingTypes sets the meeting types (meetings.types) a session may
// carry, and returns f.
func (f *Feature) WithMeetingTypes(types []string) *Feature {
	f.meetingTypes = types
	return f
}

// New makes the feature.
func New(e *bot.Engine, store Store) *Feature {
	f := &Feature{engine: e, store: store, writer: &writer{render: count, units: e.Units}}
	f.batcher = store.CheckinBatcher(f.writer)
	return f
}

func (f *Feature) Name() string { return "checkin" }

// Settle waits until the running counts owed for stored check-ins are queued.
func (f *Feature) Settle(ctx context.Context) error { return f.batcher.Settle(ctx) }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "checkin", Aliases: []string{"签到", "到"},
		Summary: "签到",
		Usage:   "/checkin [口令]",
		Help: "签到：发送 /checkin、「签到」或「到」；需要口令时发送「签到 4827」或只发送口令「4827」。\n" +
			"签到后群里的签到人数消息会列出你的名字。",
		Where:     bot.GroupOnly,
		Bare:      bot.BareWhenExpected,
		Expecting: &bot.Expecting{When: "本群有进行中（或刚结束半小时内）的签到时", Now: f.sessionOpen},
		Handler:   f.checkin,
		Subs: []bot.CommandSpec{
			{
				Name: "open", Aliases: []string{"发起"}, Flat: []string{"checkin_open", "发起签到"},
				Summary: "发起签到（书记）",
				Usage:   "/checkin open <主题> [时长] [code=口令] [late=迟到时长] [type=会议类型]",
				Help: "例：/checkin open 主题党日 30m code=4827 late=10m\n" +
					"时长默认 30 分钟，可写 30m、90分钟、1小时、半小时；主题中有空格请加引号：/checkin open \"支部 大会\" 1h。\n" +
					"设了口令，成员须发送「签到 口令」或只发送口令；设了 late，截止后该时长内的签到记为迟到。\n" +
					"本群须先绑定单位，缺席名单按该单位花名册统计；发起人（在花名册上的）自动签到。\n" +
					"三会一课：type=支委会 或以会议类型为主题（/checkin open 支部党员大会 1h），记入 /meetings 的台账。",
				Role:    bot.RoleSecretary,
				Handler: f.open,
			},
			{
				Name: "close", Aliases: []string{"结束"}, Flat: []string{"checkin_close", "结束签到"},
				Summary: "结束签到并公布结果（书记）",
				Usage:   "/checkin close",
				Role:    bot.RoleSecretary,
				Handler: f.close,
			},
			{
				Name: "stats", Aliases: []string{"统计"}, Flat: []string{"checkin_stats", "签到统计"},
				Summary: "查看本群一段时间的出勤率（书记）",
				Usage:   "/checkin stats [起始日期] [结束日期]",
				Help:    "例：/checkin stats 11月1日 11月30日、/checkin stats 2026-09-01、签到统计 11月、签到统计 12月1日至12月5日\n不写日期统计本群全部签到；只写月份（11月、本月、上个月）统计整月；结束日期当天包含在内。不写年份的日期取离今天最近的那一天。",
				Role:    bot.RoleSecretary,
				Handler: f.stats,
			},
			f.makeupSpec(),
			f.noteSpec(),
			f.photoSpec(),
		},
	}, f.leaveSpec()}
}

// checkin is a member's check-in: /checkin [口令].
func (f *Feature) checkin(ctx context.Context, r *bot.Request) error {
	if len(r.Command.Args) > 1 {
		return bot.Errorf("用法：/checkin [口令]")
	}
	return f.checkInWith(ctx, r, codeOf(r.Command.Args))
}

// checkInWith checks the caller in with code and answers: a check-in is
// confirmed by the running count, which names them (a button press also
// gets a private notice); anything else is answered to them.
func (f *Feature) checkInWith(ctx context.Context, r *bot.Request, code string) error {
	// Judged when the member sent it, not when the bot got to it.
	a := Attempt{ChatID: r.Chat.ID, MemberID: r.Caller.Member.ID, Name: r.Caller.Name(), Code: code, At: r.At()}
	if r.Caller.Roster != nil {
		a.RosterID, a.UnitID, a.Title = r.Caller.Roster.ID, r.Caller.Roster.UnitID, r.Caller.Roster.Title
	}
	res, err := f.batcher.Do(ctx, a)
	if err != nil {
		return err
	}
	s := res.Session
	switch res.Outcome {
	case CheckedIn, CheckedInLate:
		// Stored; the group sees the running count naming them (queued a
		// moment later). A button press also gets a private notice.
		if r.IsButton() {
			msg := "签到成功"
			if res.Outcome == CheckedInLate {
				msg = "已签到（迟到）"
			}
			return r.Reply(ctx, fmt.Sprintf("%s：%s", msg, s.Title))
		}
		return nil
	case Repeat:
		return r.ReplyMention(ctx, fmt.Sprintf("已签到（%s），无需重复签到。", when.Clock(res.Earlier.At.In(f.engine.Location()), r.Now())))
	case NoSession:
		return bot.Errorf("本群当前没有进行中的签到。")
	case Closed:
		if r.Can(bot.RoleSecretary) {
			// The secretary is the one a member is sent to.
			return bot.Errorf("签到「%s」已结束，未记录。如需补记，请发送 /checkin makeup #%d <姓名或学号>。", s.Title, s.Seq)
		}
		return bot.Errorf("签到「%s」已结束，未记录。如已到会，请联系书记补签。", s.Title)
	case NeedCode:
		if r.Capabilities().CommandsOnly {
			return bot.Errorf("本次签到需要口令，请发送「/checkin 口令」。")
		}
		return bot.Errorf("本次签到需要口令，请发送「签到 口令」或只发送口令。")
	case WrongCode:
		return bot.Errorf("口令不对，未签到。")
	}
	return fmt.Errorf("check-in: unexpected outcome %d", res.Outcome)
}

// count is the running count of a session (see countText).
func count(s Session, t Tally, names []string) bot.Outgoing {
	return bot.Outgoing{ChatID: s.ChatID, Text: countText(s, t, names), MergeKey: fmt.Sprintf("checkin:%d:count", s.ID)}
}

func (f *Feature) open(ctx context.Context, r *bot.Request) error {
	if r.Chat.UnitID == 0 {
		return bot.Errorf("本群尚未绑定单位，无法按花名册统计签到。请先用 /bind <单位> 绑定。")
	}
	pos, opts := bot.SplitOptions(r.Command.Args)
	name, dur, err := openArgs(pos)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(name) > 50 {
		return bot.Errorf("主题太长（最多 50 字）。")
	}
	if dur > 24*time.Hour {
		return bot.Errorf("签到时长最长 24 小时。")
	}
	var late time.Duration
	for k, v := range opts {
		switch k {
		case "code":
			if v == "" || utf8.RuneCountInString(v) > 16 || strings.TrimRightFunc(v, decoration) != v {
				return bot.Errorf("口令须为 1–16 个字符，不以标点或表情结尾，例：code=4827")
			}
		case "type":
			if !slices.Contains(f.meetingTypes, v) {
				return bot.Errorf("type=%s 不是会议类型，可用：%s", v, strings.Join(f.meetingTypes, "、"))
			}
		case "late":
			d, err := when.ParseDuration(v)
			if err != nil {
				return bot.Errorf("late=%s：%v", v, err)
			}
			if d > 24*time.Hour {
				return bot.Errorf("迟到签到时长最长 24 小时。")
			}
			late = d
		default:
			return bot.Errorf("不认识的选项 %s=，可用：code=口令、late=迟到时长、type=会议类型", k)
		}
	}
	units := r.Units()
	roster, err := f.store.RosterOfUnits(ctx, units.Subtree(r.Chat.UnitID))
	if err != nil {
		return err
	}
	now := r.Now()
	s := Session{
		ChatID: r.Chat.ID, UnitID: r.Chat.UnitID, Title: name, Code: opts["code"], Expected: len(roster),
		OpenedBy: r.Caller.Member.ID, OpenedAt: now, Deadline: now.Add(dur), EndsAt: now.Add(dur + late),
		MeetingType: opts["type"],
	}
	if s.MeetingType == "" && slices.Contains(f.meetingTypes, name) {
		s.MeetingType = name // /checkin open 支部党员大会 1h
	}
	s.Titles = f.meetingTitles[s.MeetingType]
	s.Expected = len(ExpectedOf(s, roster))
	// The opener runs the meeting: on the roster, they are present.
	var opener *Checkin
	if c := r.Caller.Roster; c != nil && units.Contains(s.UnitID, c.UnitID) && s.Expects(*c) {
		opener = &Checkin{MemberID: r.Caller.Member.ID, RosterID: c.ID, UnitID: c.UnitID, Name: r.Caller.Name(), At: now}
	}
	caps := r.Capabilities()
	s, err = f.openSession(ctx, s, opener, now, func(s Session) bot.Outgoing {
		return f.announcement(s, opener, caps, now)
	})
	if errors.Is(err, errAlreadyOpen) {
		return bot.Errorf("本群已有进行中的签到「%s」（#%d，截止 %s）。请先 /checkin close 结束它。", s.Title, s.Seq, when.Clock(s.EndsAt.In(f.engine.Location()), now))
	}
	return err
}

// errAlreadyOpen: the chat has a session open already.
var errAlreadyOpen = errors.New("a check-in is open in the chat")

// openSession stores s (with the opener's check-in, if any) and, in the
// same transaction, queues its announcement (rendered once s has its id),
// unless the chat has a session open at now: then it returns that session
// and errAlreadyOpen.
func (f *Feature) openSession(ctx context.Context, s Session, opener *Checkin, now time.Time, announce func(Session) bot.Outgoing) (Session, error) {
	f.latest.forget(s.ChatID)
	defer f.latest.forget(s.ChatID) // once committed
	err := f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		f.writer.markStale(s.ChatID) // while this transaction holds the writer
		latest, err := tx.LatestCheckinSessions([]int64{s.ChatID})
		if err != nil {
			return err
		}
		if len(latest) > 0 && !latest[0].Closed(now) {
			s = latest[0]
			return errAlreadyOpen
		}
		if s, err = tx.InsertCheckinSession(s); err != nil {
			return err
		}
		if opener != nil {
			opener.SessionID = s.ID
			if err := tx.InsertCheckins([]Checkin{*opener}); err != nil {
				return fmt.Errorf("check the opener in: %w", err)
			}
		}
		ahead, err := tx.AttachLeavesAhead(s, s.OpenedAt.In(f.engine.Location()).Format(dayLayout))
		if err != nil {
			return err
		}
		out := announce(s)
		out.Text = bot.JoinLines(out.Text, attachedLine(ahead))
		if s.AnnounceID, _, err = tx.Enqueue(out); err != nil {
			return fmt.Errorf("queue announcement: %w", err)
		}
		return tx.SetCheckinAnnouncement(s.ID, s.AnnounceID)
	})
	if err != nil && !errors.Is(err, errAlreadyOpen) {
		return s, fmt.Errorf("open check-in in chat %d: %w", s.ChatID, err)
	}
	return s, err
}

func (f *Feature) announcement(s Session, opener *Checkin, caps bot.Capabilities, now time.Time) bot.Outgoing {
	loc := f.engine.Location()
	lines := []string{
		fmt.Sprintf("签到开始：%s（#%d）", s.Title, s.Seq),
		fmt.Sprintf("截止时间：%s", when.Clock(s.Deadline.In(loc), now)),
	}
	if s.AllowsLate() {
		lines = append(lines, fmt.Sprintf("截止后 %s内仍可签到，记为迟到。", when.Minutes(s.EndsAt.Sub(s.Deadline))))
	}
	out := bot.Outgoing{ChatID: s.ChatID}
	switch {
	case s.Code != "" && caps.CommandsOnly:
		lines = append(lines, "请发送「/checkin 口令」签到，口令见会场屏幕。")
	case s.Code != "":
		lines = append(lines, "请直接发送口令签到（或「签到 口令」），口令见会场屏幕。")
	case caps.CommandsOnly:
		lines = append(lines, "请发送 /checkin 签到。")
	default:
		lines = append(lines, "请发送「签到」或「到」签到。")
	}
	if s.Code == "" && caps.Buttons {
		out.Buttons = [][]bot.Button{{{Text: "签到", Data: "/checkin"}}}
	}
	expected := ""
	if s.Expected > 0 {
		expected = fmt.Sprintf("应到 %d 人", s.Expected)
	}
	switch {
	case opener != nil && expected != "":
		lines = append(lines, fmt.Sprintf("%s，发起人 %s 已签到。", expected, opener.Name))
	case expected != "":
		lines = append(lines, expected+"。")
	}
	out.Text = strings.Join(lines, "\n")
	return out
}

func (f *Feature) close(ctx context.Context, r *bot.Request) error {
	if len(bot.Words(r.Command.Args)) > 0 { // 结束签到。 is 结束签到
		return bot.Errorf("用法：/checkin close")
	}
	s, err := f.store.LatestCheckin(ctx, r.Chat.ID)
	if errors.Is(err, bot.ErrNotFound) || err == nil && !s.ClosedAt.IsZero() {
		return bot.Errorf("本群当前没有进行中的签到。")
	}
	if err != nil {
		return err
	}
	return f.finish(ctx, s, r.Now())
}

// finish closes a session and queues its result.
func (f *Feature) finish(ctx context.Context, s Session, now time.Time) error {
	units := f.engine.Units()
	roster, linked, err := f.rosterOf(ctx, s, units)
	if err != nil {
		return err
	}
	leaves, err := f.store.CheckinLeaves(ctx, s.ID)
	if err != nil {
		return err
	}
	makeups, err := f.store.CheckinMakeups(ctx, s.ID)
	if err != nil {
		return err
	}
	strangers := f.groupUnlinked(ctx, s.ChatID)
	_, err = f.closeSession(ctx, s.ID, now, func(s Session, cs []Checkin) bot.Outgoing {
		text := Result(s, cs, roster, linked, OnLeave(leaves), MadeUp(makeups), units)
		if line := strangersLine(strangers, cs); line != "" {
			text += "\n" + line
		}
		return bot.Outgoing{ChatID: s.ChatID, Text: text}
	})
	return err
}

// groupMember is someone a platform lists in a group who has no roster
// link: memberID is 0 if they never wrote where the bot could see it.
type groupMember struct {
	memberID int64
	name     string
}

// groupUnlinked lists the members of a session's group who never linked a
// roster entry, where the platform can list a group's members (QQ); nil
// elsewhere. A failure to list them is logged, not fatal: the result goes
// out without them.
func (f *Feature) groupUnlinked(ctx context.Context, chatID int64) []groupMember {
	chat, err := f.store.Chat(ctx, chatID)
	if err != nil || !f.engine.Capabilities(chat.Platform).Members {
		return nil
	}
	listed, err := f.engine.GroupMembers(ctx, chat)
	if err != nil {
		f.engine.Logger().Warn("check-in result without the group's unlinked members: cannot list them", "chat", chatID, "err", err)
		return nil
	}
	var out []groupMember
	for _, gm := range listed {
		m, err := f.store.MemberByExternalID(ctx, chat.Platform, gm.UserID)
		switch {
		case errors.Is(err, bot.ErrNotFound):
		case err != nil:
			f.engine.Logger().Warn("check-in result: look up a group member", "chat", chatID, "err", err)
			continue
		case m.RosterID != 0:
			continue
		}
		out = append(out, groupMember{memberID: m.ID, name: gm.Name})
	}
	return out
}

// strangersShown bounds the names strangersLine lists.
const strangersShown = 50

// strangersLine names the group's members without a roster link who did
// not check in (those who did are among the check-ins of others already):
// the secretary cannot tell whether they were expected.
func strangersLine(strangers []groupMember, cs []Checkin) string {
	checked := map[int64]bool{}
	for _, c := range cs {
		checked[c.MemberID] = true
	}
	var names []string
	for _, g := range strangers {
		if g.memberID == 0 || !checked[g.memberID] {
			names = append(names, g.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	shown := names
	more := ""
	if len(names) > strangersShown {
		shown, more = names[:strangersShown], fmt.Sprintf(" 等 %d 人", len(names))
	}
	return fmt.Sprintf("群里未绑定花名册、没有签到的成员：%s%s（无法核对是否应到；书记可用 /unlinked 查看，/linkcode 发绑定码）", strings.Join(shown, "、"), more)
}

// rosterOf is the roster a session expects (its unit and the units below
// it; with Titles, those of them with one), and which of its entries
// have a linked chat identity.
func (f *Feature) rosterOf(ctx context.Context, s Session, units *bot.UnitTree) ([]bot.RosterEntry, map[int64]bool, error) {
	roster, err := f.store.RosterOfUnits(ctx, units.Subtree(s.UnitID))
	if err != nil {
		return nil, nil, err
	}
	roster = ExpectedOf(s, roster)
	ids := make([]int64, len(roster))
	for i, e := range roster {
		ids[i] = e.ID
	}
	linked, err := f.store.LinkedRosterIDs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return roster, linked, nil
}

// closeSession ends session id at now and, in the same transaction, queues
// its result, rendered from the final list of check-ins. It reports false
// (and queues nothing) if the session had ended already.
func (f *Feature) closeSession(ctx context.Context, id int64, now time.Time, result func(Session, []Checkin) bot.Outgoing) (bool, error) {
	closed := false
	chat := int64(0)
	defer func() { f.latest.forget(chat) }() // once committed
	err := f.store.UpdateCheckins(ctx, now, func(tx Tx) error {
		var err error
		if closed, err = tx.CloseCheckinSession(id, now); err != nil || !closed {
			return err
		}
		s, err := tx.CheckinSession(id)
		if err != nil {
			return err
		}
		chat = s.ChatID
		f.latest.forget(chat)
		f.writer.markStale(s.ChatID) // while this transaction holds the writer
		cs, err := tx.CheckinsOfSessions(id)
		if err != nil {
			return err
		}
		out := result(s, cs)
		out.IdemKey = fmt.Sprintf("checkin:%d:result", id)
		rid, _, err := tx.Enqueue(out)
		if err != nil {
			return fmt.Errorf("queue result: %w", err)
		}
		return tx.SetCheckinResult(id, rid)
	})
	if err != nil {
		return false, fmt.Errorf("close check-in %d: %w", id, err)
	}
	return closed, nil
}

// Result renders a closed session against the roster of its unit: present,
// late and absent members (linked ones by name), the roster members who never
// linked a chat identity (by name, for the secretary to chase), and the
// check-ins of others, counted as the running count counts them (KindOf).
// Those on approved leave (onLeave) who did not check in are 请假, not
// absent; those a secretary signed in (madeUp: by whom) are present, 补签.
func Result(s Session, cs []Checkin, roster []bot.RosterEntry, linked, onLeave map[int64]bool, madeUp map[int64]string, units *bot.UnitTree) string {
	a := classify(s, cs, roster, linked, onLeave, madeUp, units)
	onTime, late, absent, never, others, leave, made := a.OnTime, a.Late, a.Absent, a.Unlinked, a.Others, a.Leave, a.MadeUp
	list := func(ns []string) string {
		if len(ns) == 0 {
			return "无"
		}
		return strings.Join(ns, "、")
	}
	head := fmt.Sprintf("应到 %d 人，实到 %d 人（其中迟到 %d 人），缺席 %d 人", len(roster), len(onTime)+len(late), len(late), len(absent))
	present := fmt.Sprintf("实到 %d 人（其中迟到 %d 人）", len(onTime)+len(late), len(late))
	if len(made) > 0 {
		present = fmt.Sprintf("实到 %d 人（其中迟到 %d 人，补签 %d 人）", len(onTime)+len(late)+len(made), len(late), len(made))
	}
	if len(leave) > 0 || len(made) > 0 {
		head = fmt.Sprintf("应到 %d 人，%s，请假 %d 人，缺席 %d 人", len(roster), present, len(leave), len(absent))
	}
	if len(never) > 0 {
		head += fmt.Sprintf("，未绑定花名册无法核对 %d 人", len(never))
	}
	lines := []string{
		fmt.Sprintf("签到结束：%s（#%d）", s.Title, s.Seq),
		head + "。",
		"已签到：" + list(onTime),
	}
	if s.AllowsLate() || len(late) > 0 {
		lines = append(lines, "迟到："+list(late))
	}
	if len(made) > 0 {
		lines = append(lines, "补签："+list(made))
	}
	if len(leave) > 0 {
		lines = append(lines, "请假："+list(leave))
	}
	lines = append(lines, "缺席："+list(absent))
	if len(never) > 0 {
		lines = append(lines, "未绑定花名册："+list(never)+"（请提醒他们发送 /iam <学号> <姓名> 绑定）")
	}
	if len(others) > 0 {
		lines = append(lines, fmt.Sprintf("名单外签到 %d 人：%s", len(others), list(others)))
	}
	return strings.Join(lines, "\n")
}

// Attendance is a session's check-ins against the roster of its unit, by
// name (see Result).
type Attendance struct {
	OnTime, Late []string // roster members who checked in
	// MadeUp are those a secretary signed in (补签), each with who did:
	// 李四（周书记补签）.
	MadeUp   []string
	Leave    []string // roster members on approved leave (请假)
	Absent   []string // linked roster members who did not
	Unlinked []string // roster members who never linked a chat identity
	Others   []string // check-ins of people not on the unit's roster, with why
}

// classify sorts a session's check-ins against the roster of its unit, as
// the running count counts them (KindOf); the make-ups (madeUp: by whom)
// and approved leave (onLeave) of those who did not check in apart.
func classify(s Session, cs []Checkin, roster []bot.RosterEntry, linked, onLeave map[int64]bool, madeUp map[int64]string, units *bot.UnitTree) Attendance {
	var a Attendance
	checked := map[int64]bool{}
	expected := expectedSet(s, roster)
	for _, c := range cs {
		k := kindAmong(s, c, units, expected)
		if k != Expected {
			name := arrival(c, k)
			if c.Late {
				name += "（迟到）"
			}
			a.Others = append(a.Others, name)
			continue
		}
		checked[c.RosterID] = true
		if c.Late {
			a.Late = append(a.Late, c.Name)
		} else {
			a.OnTime = append(a.OnTime, c.Name)
		}
	}
	for _, e := range roster {
		switch {
		case checked[e.ID]:
		case madeUp[e.ID] != "":
			a.MadeUp = append(a.MadeUp, e.Name+"（"+madeUp[e.ID]+"补签）")
		case onLeave[e.ID]:
			a.Leave = append(a.Leave, e.Name)
		case linked[e.ID]:
			a.Absent = append(a.Absent, e.Name)
		default:
			a.Unlinked = append(a.Unlinked, e.Name)
		}
	}
	return a
}

// Tick closes sessions whose time is up and posts their results, and has
// the writer forget the chats no check-in came from lately.
func (f *Feature) Tick(ctx context.Context, now time.Time) error {
	f.writer.forgetIdle(time.Now())
	due, err := f.store.CheckinsDue(ctx, now)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range due {
		if err := f.finish(ctx, s, s.EndsAt); err != nil {
			errs = append(errs, fmt.Errorf("close check-in %d: %w", s.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (f *Feature) stats(ctx context.Context, r *bot.Request) error {
	if r.Chat.UnitID == 0 {
		return bot.Errorf("本群尚未绑定单位。请先用 /bind <单位> 绑定。")
	}
	from, to, err := statsRange(r.Command.Args, r.Now())
	if err != nil {
		return err
	}
	sessions, err := f.store.CheckinSessionsOfChat(ctx, r.Chat.ID, from, to)
	if err != nil {
		return err
	}
	if len(sessions) == 0 {
		return r.Reply(ctx, "这段时间本群没有签到。")
	}
	ids := make([]int64, len(sessions))
	for i, s := range sessions {
		ids[i] = s.ID
	}
	cs, err := f.store.Checkins(ctx, ids...)
	if err != nil {
		return err
	}
	roster, err := f.store.RosterOfUnits(ctx, r.Units().Subtree(r.Chat.UnitID))
	if err != nil {
		return err
	}
	leaves, err := f.store.CheckinLeaves(ctx, ids...)
	if err != nil {
		return err
	}
	makeups, err := f.store.CheckinMakeups(ctx, ids...)
	if err != nil {
		return err
	}
	return r.Reply(ctx, Stats(sessions, cs, roster, leaves, makeups, f.engine.Location(), r.Now()))
}

// Stats renders each roster member's attendance over sessions, best first,
// with their approved leave.
func Stats(sessions []Session, cs []Checkin, roster []bot.RosterEntry, leaves []Leave, makeups []Makeup, loc *time.Location, now time.Time) string {
	madeN := map[int64]int{}
	for _, m := range makeups {
		madeN[m.RosterID]++
	}
	leaveN := map[int64]int{}
	for _, l := range leaves {
		if l.Status == LeaveApproved {
			leaveN[l.RosterID]++
		}
	}
	attended := map[int64]int{}
	lateN := map[int64]int{}
	byID := map[int64]Session{}
	for _, s := range sessions {
		byID[s.ID] = s
	}
	entry := map[int64]bot.RosterEntry{}
	for _, e := range roster {
		entry[e.ID] = e
	}
	for _, c := range cs {
		// A 支委会 counts only the committee (sitting in is not attending).
		if e, ok := entry[c.RosterID]; c.RosterID != 0 && (!ok || byID[c.SessionID].Expects(e)) {
			attended[c.RosterID]++
			if c.Late {
				lateN[c.RosterID]++
			}
		}
	}
	type row struct {
		e           bot.RosterEntry
		n, l, total int
	}
	rows := make([]row, 0, len(roster))
	for _, e := range roster {
		total := expectedIn(sessions, e)
		if total == 0 {
			continue // only in meetings of others (支委会)
		}
		rows = append(rows, row{e, attended[e.ID] + madeN[e.ID], lateN[e.ID], total})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return b.n - a.n })
	first, last := sessions[0].OpenedAt.In(loc), sessions[len(sessions)-1].OpenedAt.In(loc)
	lines := []string{fmt.Sprintf("签到统计：%s–%s，共 %d 次签到", when.Date(first, now), when.Date(last, now), len(sessions))}
	for _, r := range rows {
		line := fmt.Sprintf("%s %d/%d（%d%%）", r.e.Name, r.n, r.total, r.n*100/r.total)
		if r.l > 0 {
			line += fmt.Sprintf("，迟到 %d 次", r.l)
		}
		if n := madeN[r.e.ID]; n > 0 {
			line += fmt.Sprintf("，补签 %d 次", n)
		}
		if n := leaveN[r.e.ID]; n > 0 {
			line += fmt.Sprintf("，请假 %d 次", n)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
