// Package tickets turns members' suggestions (意见建议) into tickets that a
// department must answer within a number of business days on the official
// Chinese work calendar: filing (optionally anonymous), routing by category
// to a department's staff chat, answers delivered where the member filed,
// a reminder on the due day, one escalation when overdue, and the monthly
// SLA report. Every timer is derived from the database in Tick.
//
// Anonymity: for an anonymous ticket no staff-facing text, export or log
// line names the filer, their unit or the chat they filed in.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/configs"
)

// Assistant is optional model help; nil means keyword routing only and /draft answers that it is not enabled.
type Assistant interface {
	Classify(ctx context.Context, text string, categories []string) (category string, err error)
	Draft(ctx context.Context, suggestion string, thread []string) (string, error)
}

// Decided-by values recorded on each ticket.
const (
	DecidedByKeywords = "keywords"
	DecidedByLLM      = "llm"
)

// routeGrace is how long a ticket may stay unrouted (its department not yet
// told, while the assistant classifies it) before Tick routes it.
const routeGrace = time.Minute

// Feature is the suggestion-ticket feature.
type Feature struct {
	engine    *bot.Engine
	db        Store
	cal       *calendar.Calendar
	cfg       configs.SLAConfig
	assistant Assistant
	log       *slog.Logger

	mu         sync.Mutex
	warnedDest map[int64]bool // tickets whose escalation had nowhere to go, to log that once
}

// New makes the feature. assistant may be nil: keyword rules then route every
// ticket and /draft says the assistant is not enabled.
func New(e *bot.Engine, db Store, cal *calendar.Calendar, cfg configs.SLAConfig, assistant Assistant) *Feature {
	return &Feature{engine: e, db: db, cal: cal, cfg: cfg, assistant: assistant, log: e.Logger().With("feature", "tickets"),
		warnedDest: map[int64]bool{}}
}

func (f *Feature) Name() string { return "tickets" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{
			Name: "suggest", Aliases: []string{"建议", "提建议", "意见"},
			Summary: "提意见建议（工作人员将在两个工作日内答复）",
			Usage:   "/suggest <内容>",
			Help: "例：/suggest 希望党课资料提前一天发到群里\n加 -a 或「匿名」匿名提交：/suggest -a 食堂晚上关门太早、/suggest 匿名 食堂晚上关门太早（或用 /匿名建议）。" +
				"匿名建议的提交人对工作人员完全保密。答复期限按国家法定工作日计算：提交当天不算，第二个工作日下班前答复。",
			// Sentences start with 建议 and 意见: in a group they need the slash.
			Bare:    bot.BareInPrivate,
			Handler: f.suggest,
			Subs: []bot.CommandSpec{{
				Name: "-a", Aliases: []string{"--anonymous", "匿名"}, Flat: []string{"suggest_anon", "匿名建议"},
				Summary: "匿名提意见建议",
				Usage:   "/suggest -a <内容>",
				Help:    "例：/匿名建议 宿舍热水经常中断\n工作人员看不到提交人；答复会私信发给你（平台不支持私信时发在群里，不提及任何人）。在群里发送时群成员仍能看到是谁发的，最好私聊机器人提交。",
				Bare:    bot.BareInPrivate,
				Handler: f.suggestAnon,
			}},
		},
		{
			Name: "mytickets", Aliases: []string{"我的建议"},
			Summary: "查看自己提的建议及答复",
			Usage:   "/mytickets [编号]",
			Help:    "不带编号列出你提过的建议、状态和答复期限；/mytickets 3 查看建议 #3 的全部记录。只能查看自己的建议。",
			Bare:    bot.BareInPrivate,
			Handler: f.mytickets,
		},
		{
			Name: "followup", Aliases: []string{"补充建议"},
			Summary: "给自己的建议补充说明",
			Usage:   "/followup <编号> <内容>",
			Help:    "例：/followup 3 补充：三楼也有同样的问题\n补充内容会转给负责的部门。匿名建议请在与机器人的私聊中补充。",
			Bare:    bot.BareInPrivate,
			Handler: f.followup,
		},
		{
			Name: "tickets", Aliases: []string{"待办"},
			Summary: "本部门待办建议（按期限）",
			Usage:   "/tickets",
			Help:    "在私聊或本部门工作群中使用；列出未关闭的建议，最早到期的在前。",
			Instead: "查看自己提的建议请发送 /mytickets；查看自己还没完成的签到、接龙和学习请发送 /todo（我的待办）。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Bare: bot.BareInPrivate, Handler: f.list,
		},
		{
			Name: "ticket", Aliases: []string{"查看建议"},
			Summary: "查看一条建议及其记录",
			Usage:   "/ticket <编号>",
			Instead: "查看自己提的建议请发送 /mytickets <编号>。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Handler: f.show,
		},
		{
			Name: "answer", Aliases: []string{"答复"},
			Summary: "答复一条建议",
			Usage:   "/answer <编号> <答复内容>",
			Instead: "给自己的建议补充说明请发送 /followup <编号> <内容>。",
			Help:    "例：/answer 3 已联系后勤，本周内修复。\n答复会发到提建议人提交的地方；匿名建议不会透露提交人。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Bare: bot.BareInPrivate, Handler: f.answer,
		},
		{
			Name: "close", Aliases: []string{"关闭建议", "办结"},
			Summary: "关闭（办结）一条建议",
			Usage:   "/close <编号> [理由]",
			Instead: "建议由负责部门的工作人员办结；要补充说明请发送 /followup <编号> <内容>。",
			Help: "例：/close 3\n已答复的建议可直接关闭；从未答复的建议关闭时必须写明理由，理由会发给提建议人，例：/close 5 与建议 #3 重复，已合并处理。" +
				"未答复就关闭的建议不算按时答复，在答复统计中单独列出。",
			Role: bot.RoleStaff, Scope: bot.AnyUnit, Bare: bot.BareInPrivate, Handler: f.close,
		},
		{
			Name: "reopen", Aliases: []string{"重开建议"},
			Summary: "重新打开一条建议（重新计算答复期限）",
			Usage:   "/reopen <编号>",
			Instead: "已关闭的建议由负责部门的工作人员重新打开；问题没有解决，请重新提建议：/suggest <内容>。",
			Help:    "例：/reopen 3\n提建议人会收到通知和新的答复期限。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Handler: f.reopen,
		},
		{
			Name: "assign", Aliases: []string{"指派"},
			Summary: "把建议指派给本部门的工作人员",
			Usage:   "/assign <编号> <姓名或工号>",
			Help:    "例：/assign 3 黄伟",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Bare: bot.BareInPrivate, Handler: f.assign,
		},
		{
			Name: "draft", Aliases: []string{"起草"},
			Summary: "让智能助手起草答复（只发给你本人）",
			Usage:   "/draft <编号>",
			Help:    "草稿只发给你本人，不会发给提建议人；确认后用 /answer 发送。需要配置智能助手（llm）。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Bare: bot.BareInPrivate, Handler: f.draft,
		},
		{
			Name: "sla", Aliases: []string{"答复统计"},
			Summary: "建议答复时效统计",
			Usage:   "/sla [月份]",
			Help:    "例：/sla 2026-11\n按部门统计当月提交数、按时答复、逾期和首次响应时间中位数（工作小时）。",
			Role:    bot.RoleStaff, Scope: bot.AnyUnit, Handler: f.slaCommand,
		},
	}
}

// --- shared helpers ---

// parseNumber reads a ticket number such as 3, #3 or ＃3.
func parseNumber(s string) (int64, bool) {
	s = strings.TrimLeft(strings.TrimSpace(s), "#＃")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// numberAndText splits "<编号> <内容>" from the argument text.
func numberAndText(r *bot.Request) (int64, string, bool) {
	args := r.Command.Args
	if len(args) == 0 {
		return 0, "", false
	}
	n, ok := parseNumber(args[0])
	if !ok {
		return 0, "", false
	}
	rest := strings.TrimSpace(r.Command.ArgText)
	if i := strings.IndexFunc(rest, isSpace); i >= 0 {
		rest = strings.TrimFunc(rest[i:], isSpace)
	} else {
		rest = ""
	}
	return n, rest, true
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\u3000' || r == '\u2005'
}

func (f *Feature) checkText(text, usage string) error {
	if strings.TrimSpace(text) == "" {
		return bot.Errorf("内容不能为空。用法：%s", usage)
	}
	if !bot.HasWords(text) {
		return bot.Errorf("内容只有表情或标点，请用文字写明。用法：%s", usage)
	}
	if n := utf8.RuneCountInString(text); n > f.cfg.MaxLength {
		return bot.Errorf("内容过长（%d 字），最多 %d 字，请精简后再发。", n, f.cfg.MaxLength)
	}
	return nil
}

// summary shortens text for one-line lists.
func summary(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n]) + "…"
}

// longDate is the form of the filing acknowledgement: 2026年11月25日(周三) 17:30.
func (f *Feature) longDate(t time.Time) string {
	t = t.In(f.cal.Location())
	return fmt.Sprintf("%d年%d月%d日(%s) %s", t.Year(), t.Month(), t.Day(), calendar.WeekdayName(t.Weekday()), t.Format("15:04"))
}

// shortDate drops the year when it is now's year: 11月25日(周三) 17:30.
func (f *Feature) shortDate(t, now time.Time) string {
	t = t.In(f.cal.Location())
	if t.Year() != now.In(f.cal.Location()).Year() {
		return f.longDate(t)
	}
	return fmt.Sprintf("%d月%d日(%s) %s", t.Month(), t.Day(), calendar.WeekdayName(t.Weekday()), t.Format("15:04"))
}

func stateText(t Ticket, now time.Time) string {
	switch t.State {
	case StateClosed:
		return "已关闭"
	case StateAnswered:
		return "已答复"
	}
	if now.After(t.DueAt) {
		return "已逾期"
	}
	return "待答复"
}

// deadlines computes a ticket's deadline and reminder instant when it is
// filed (or reopened) at now.
func (f *Feature) deadlines(now time.Time) (due, remind time.Time) {
	due = f.cal.Deadline(now, f.cfg.BusinessDays, f.cfg.CloseOfBusinessOffset())
	off := f.cfg.RemindAtOffset()
	y, m, d := due.Date()
	remind = time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, due.Location())
	return due, remind
}

// departmentIDs lists the configured departments (category departments and
// the default one) that exist in the unit tree.
func (f *Feature) departmentIDs(units *bot.UnitTree) map[int64]bool {
	out := map[int64]bool{}
	add := func(name string) {
		if u, ok := units.ByName(name); ok {
			out[u.ID] = true
		}
	}
	add(f.cfg.DefaultDepartment)
	for _, c := range f.cfg.Categories {
		add(c.Department)
	}
	return out
}

// inPurview reports whether a staff caller may act on a department's tickets:
// admins everywhere, staff for their roster unit and the units below it.
func inPurview(c bot.Caller, dept int64, units *bot.UnitTree) bool {
	if c.Admin {
		return true
	}
	return c.Roster != nil && units.Contains(c.Roster.UnitID, dept)
}

// viewScope decides whether ticket contents may be shown in the request's
// chat and returns the departments to list (nil: every department). Contents
// are shown in private chats, in the supervisor chat, and in a department's
// own staff chat, never in a members' group.
func (f *Feature) viewScope(r *bot.Request) ([]int64, error) {
	units := r.Units()
	purview := func() []int64 {
		if r.Caller.Admin {
			return nil
		}
		if r.Caller.Roster == nil {
			return []int64{}
		}
		return units.Subtree(r.Caller.Roster.UnitID)
	}
	if r.Chat.Kind == bot.Private {
		return purview(), nil
	}
	if f.cfg.SupervisorChat != "" && r.Chat.Title == f.cfg.SupervisorChat {
		return purview(), nil
	}
	if r.Chat.UnitID != 0 && f.departmentIDs(units)[r.Chat.UnitID] && inPurview(r.Caller, r.Chat.UnitID, units) {
		return units.Subtree(r.Chat.UnitID), nil
	}
	return nil, bot.Errorf("为保护提建议人的隐私，请在与机器人的私聊或本部门工作群中使用该命令。")
}

// staffTicket loads a ticket a staff caller may act on.
func (f *Feature) staffTicket(ctx context.Context, r *bot.Request, n int64) (Ticket, error) {
	return f.callerTicket(ctx, r.Caller, n)
}

// callerTicket loads a ticket c may act on as staff, in a chat or not.
func (f *Feature) callerTicket(ctx context.Context, c bot.Caller, n int64) (Ticket, error) {
	t, err := f.db.Ticket(ctx, n)
	if errors.Is(err, bot.ErrNotFound) {
		return t, bot.Errorf("没有建议 #%d。", n)
	}
	if err != nil {
		return t, fmt.Errorf("load ticket %d: %w", n, err)
	}
	// Staff act for their department and the units below it.
	if err := bot.Require(c, f.engine.Units(), bot.RoleStaff, t.DepartmentID); err != nil {
		return t, err
	}
	return t, nil
}

// notePrivate remembers a member's private chat, so answers to anonymous
// tickets can reach them privately.
func (f *Feature) notePrivate(ctx context.Context, r *bot.Request) {
	if r.Chat.Kind != bot.Private {
		return
	}
	if err := f.db.SetPrivateChat(ctx, r.Caller.Member.ID, r.Chat.ID, r.Now()); err != nil {
		f.log.Warn("record private chat", "err", err)
	}
}

// departmentChats lists the active group chats bound to a department.
func (f *Feature) departmentChats(ctx context.Context, dept int64) ([]bot.Chat, error) {
	cs, err := f.db.ChatsOfUnits(ctx, []int64{dept})
	if err != nil {
		return nil, err
	}
	var out []bot.Chat
	for _, c := range cs {
		if c.Active {
			out = append(out, c)
		}
	}
	return out, nil
}

// filerLabel names the filer for staff: 匿名 for anonymous tickets.
func filerLabel(t Ticket, units *bot.UnitTree) string {
	if t.Anonymous {
		return "匿名"
	}
	if t.FilerUnitID != 0 {
		return fmt.Sprintf("%s（%s）", t.FilerName, units.Name(t.FilerUnitID))
	}
	return t.FilerName
}

func categoryLabel(t Ticket) string {
	switch {
	case t.Category == "":
		return "未分类"
	case t.DecidedBy == DecidedByLLM:
		return t.Category + "（智能分类）"
	case t.Keyword != "":
		return fmt.Sprintf("%s（关键词「%s」）", t.Category, t.Keyword)
	}
	return t.Category
}
