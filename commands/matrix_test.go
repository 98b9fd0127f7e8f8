package commands_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/commands/commandtest"
)

// The permission matrix: every form in the registry (Engine.Runnables(),
// the platform's own commands included) is run by seven personas in four
// places, and what happens is checked against what its spec allows.
//
// The expected verdict is computed here from the spec (place, role, scope,
// audience) and the personas' roster facts, not by asking the engine. A
// caller the spec refuses must get a refusal in their own terms (the unit
// they lack the role for; how to link when unlinked) and nothing else: the
// database's state tables and the outbox must be as before but for the one
// refusal. A caller the spec admits must not be refused.
//
// Commands that act on units the spec cannot name (Scope AnyUnit, and
// role-bearing commands run in a private chat) declare in matrixCases the
// units their sample arguments act on; the handler must refuse a caller who
// lacks the role for one of them. A form without a case fails the test.

// persona is one kind of caller.
type persona struct {
	label  string
	name   string   // display name and user id
	number string   // roster number; "" for the stranger
	role   bot.Role // the roster role
	unit   string   // the roster unit
}

var personas = []persona{
	{"a linked member", "张三", "2023001", bot.RoleMember, "第一党支部"},
	{"an unlinked stranger", "路人", "", bot.RoleMember, ""},
	{"a secretary of another unit", "陈书记", "T0008", bot.RoleSecretary, "第二党支部"},
	{"a secretary of the chat's unit", "周书记", "T0007", bot.RoleSecretary, "第一党支部"},
	{"staff of another department", "孙丽", "T0006", bot.RoleStaff, "学生工作部"},
	{"staff of the right department", "刘芳", "T0003", bot.RoleStaff, "组织部"},
	{"an admin", "王老师", "T0001", bot.RoleAdmin, "校党委"},
}

// place is where a command is sent.
type place struct {
	label   string
	group   string // "" for the persona's private chat
	unit    string // the unit the group is bound to; "" unbound
	private bool
}

var places = []place{
	{"the group of 第一党支部", "第一党支部群", "第一党支部", false},
	{"the group of 第二党支部", "第二党支部群", "第二党支部", false},
	{"an unbound group", "闲聊群", "", false},
	{"a private chat", "", "", true},
}

// matrixCase is what the matrix needs of one form.
type matrixCase struct {
	args string
	// actsOn lists the units the sample arguments make the command act on
	// in place p; the caller needs the form's role for each of them (none:
	// the arguments name nothing there, and the role for some unit will do).
	actsOn func(p place) []string
	// anyUnit: the form acts for whatever units the caller holds its role
	// for (a list of the caller's own); the role for some unit suffices.
	anyUnit bool
	// handlerRole is the role a handler checks although the spec declares
	// none: WeChat's /rebind judges the caller by who they were in the old
	// group, which the engine cannot see.
	handlerRole bot.Role
}

func on(units ...string) func(place) []string { return func(place) []string { return units } }

// numberedIn is for a number that means the group's own #N in a group and
// the global id elsewhere: it names the fixture (of unit, in group) only
// in that group and in a private chat; in other groups it names nothing.
func numberedIn(group, unit string) func(place) []string {
	return func(p place) []string {
		if p.private || p.group == group {
			return []string{unit}
		}
		return nil
	}
}

// The fixtures (see matrixFixtures): check-in #1 and relay #1 in the group
// of 第一党支部, ticket #1 for 组织部, broadcast #1 to 第一党支部 waiting for
// review, link request #1 for 2023003 (第一党支部), the push 每日学习 of
// 计算机学院党委.
var matrixCases = map[string]matrixCase{
	"/help":   {},
	"/whoami": {},
	"/iam":    {args: "2023099 某某"},
	"/bind": {args: "第一党支部", actsOn: func(p place) []string {
		return append([]string{"第一党支部"}, nonEmpty(p.unit)...)
	}},
	"/unbind":           {},
	"/unlink":           {args: "2023002", actsOn: on("第一党支部")},
	"/links":            {anyUnit: true},
	"/links approve":    {args: "1", actsOn: on("第一党支部")},
	"/links reject":     {args: "1 不是本人", actsOn: on("第一党支部")},
	"/links code":       {args: "2023002", actsOn: on("第一党支部")},
	"/unlinked":         {},
	"/checkin":          {},
	"/checkin open":     {args: "组织生活会 30m"},
	"/checkin close":    {},
	"/checkin stats":    {},
	"/checkin makeup":   {args: "#1 王五"},
	"/checkin note":     {args: "#1 传达学习了全会精神"},
	"/checkin photo":    {args: "#1"},
	"/relay":            {args: "周日读书会 limit=3"},
	"/relay list":       {},
	"/relay close":      {args: "#1"},
	"/relay edit":       {args: "#1 limit=9"},
	"/relay add":        {args: "#1 王五"},
	"/relay remove":     {args: "#1 王五"},
	"/join":             {},
	"/leave":            {},
	"/study":            {},
	"/study list":       {},
	"/study stats":      {args: "第一党支部", actsOn: on("第一党支部")},
	"/studied":          {},
	"/pushes":           {},
	"/push now":         {args: "每日学习", actsOn: on("计算机学院党委")},
	"/broadcast":        {args: "第一党支部 周五下午开支部大会", actsOn: on("第一党支部")},
	"/broadcast status": {args: "1"},
	"/broadcast log":    {args: "1"},
	"/broadcast cancel": {args: "1", anyUnit: true},
	"/approve":          {args: "1"},
	"/reject":           {args: "1 内容有误"},
	"/suggest":          {args: "食堂晚上太吵"},
	"/suggest -a":       {args: "宿舍热水不稳定"},
	"/mytickets":        {},
	"/followup":         {args: "1 三楼也一样"},
	"/tickets":          {anyUnit: true},
	"/ticket":           {args: "1", actsOn: on("组织部")},
	"/answer":           {args: "1 已经处理", actsOn: on("组织部")},
	"/close":            {args: "1 与其他建议重复", actsOn: on("组织部")},
	"/reopen":           {args: "1", actsOn: on("组织部")},
	"/assign":           {args: "1 刘芳", actsOn: on("组织部")},
	"/draft":            {args: "1", actsOn: on("组织部")},
	"/sla":              {anyUnit: true},
	"/summary":          {},
	"/retain":           {},
	"/retain on":        {args: "7d"},
	"/retain off":       {},
	"/retain status":    {},
	"/export checkin":   {args: "1", actsOn: numberedIn("第一党支部群", "第一党支部")},
	"/export relay":     {args: "1", actsOn: numberedIn("第一党支部群", "第一党支部")},
	"/rebind":           {args: "第一党支部群", actsOn: on("第一党支部"), handlerRole: bot.RoleSecretary},
	"/remind checkin":   {},
	"/remind relay":     {args: "#1"},
	"/remind study":     {},
	"/remind broadcast": {args: "1", actsOn: on("第一党支部")},
	"/progress checkin": {},
	"/progress relay":   {args: "#1"},
	"/progress study":   {},
	"/todo":             {},
	"/console":          {},
	"/ack":              {args: "1"},
	"/absence":          {args: "下午有课"},
	"/absence approve":  {args: "1"},
	"/absence reject":   {args: "1 请按时参加"},
	"/absence list":     {},
	"/meetings":         {args: "第一党支部", actsOn: on("第一党支部")},
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// refusals records the engine's "command refused" log lines by member.
type refusals struct {
	mu  sync.Mutex
	got []int64
}

func (r *refusals) Enabled(context.Context, slog.Level) bool { return true }
func (r *refusals) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *refusals) WithGroup(string) slog.Handler            { return r }
func (r *refusals) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "command refused" {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "member" {
			r.mu.Lock()
			r.got = append(r.got, a.Value.Int64())
			r.mu.Unlock()
		}
		return true
	})
	return nil
}

func (r *refusals) take() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// verdict is what the spec says of one cell: allowed, or the refusal's
// reason as text the answer must contain.
type verdict struct {
	allowed bool
	want    string
}

// expect computes the verdict from the spec, never from the engine.
func expect(t *testing.T, s *bot.CommandSpec, c matrixCase, p place, who persona, units *bot.UnitTree) verdict {
	deny := func(text string) verdict { return verdict{want: text} }
	switch {
	case s.Where == bot.GroupOnly && p.private:
		return deny(s.Invocation() + " 只能在群里使用，请在相应的群里发送。")
	case s.Where == bot.PrivateOnly && !p.private:
		return deny(s.Invocation() + " 只能在与机器人的私聊中使用，请私聊机器人发送。")
	}
	role := s.Role
	if role == bot.RoleMember && c.handlerRole != bot.RoleMember {
		role = c.handlerRole
	}
	unitID := func(name string) int64 {
		u, ok := units.ByName(name)
		if !ok {
			t.Fatalf("matrix: unknown unit %q", name)
		}
		return u.ID
	}
	holds := func(unit string) bool {
		switch {
		case who.number == "":
			return false
		case who.role == bot.RoleAdmin:
			return true
		case who.role != role:
			return false
		}
		return unit == "" || units.Contains(unitID(who.unit), unitID(unit))
	}
	lacks := func(unit string) verdict {
		switch {
		case who.number == "" && c.handlerRole == bot.RoleMember:
			return deny("/iam <学号/工号> <姓名> <绑定码>")
		case role == bot.RoleAdmin:
			return deny("只有管理员可以使用该命令")
		case unit == "":
			return deny("只有" + role.Chinese() + "可以使用该命令")
		case role == bot.RoleSecretary:
			return deny("你不是" + unit + "或其上级单位的书记")
		}
		return deny("你不是" + unit + "的工作人员")
	}
	if role != bot.RoleMember && who.role != bot.RoleAdmin {
		if s.Role != bot.RoleMember && s.Scope == bot.ChatUnit && !p.private {
			if p.unit == "" {
				return deny(bot.UnboundText(role))
			}
			if !holds(p.unit) {
				return lacks(p.unit)
			}
		}
		needUnits := s.Scope == bot.AnyUnit || p.private || c.handlerRole != bot.RoleMember
		if needUnits && s.Role != bot.RoleMember && !holds("") {
			// The engine checks the role for some unit first.
			return lacks("")
		}
		var acts []string
		if c.actsOn != nil {
			acts = c.actsOn(p)
		}
		if needUnits && c.actsOn == nil && !c.anyUnit {
			t.Errorf("%s: a %s command the engine cannot check for the chat's unit: say in matrixCases which units its arguments act on (actsOn), or that it acts for any unit (anyUnit)", s.Invocation(), role)
		}
		if (c.anyUnit || len(acts) == 0) && !holds("") {
			return lacks("")
		}
		for _, u := range acts {
			if !holds(u) {
				return lacks(u)
			}
		}
	}
	if s.Audience != nil && !s.Audience.Admits(callerOf(who, units, unitID)) {
		if who.number == "" {
			return deny(s.Audience.Denial + "如果你有该身份，请先绑定花名册。")
		}
		return deny(s.Audience.Denial)
	}
	return verdict{allowed: true}
}

// callerOf is the persona as the engine would see it, for a spec's
// audience rule.
func callerOf(who persona, units *bot.UnitTree, unitID func(string) int64) bot.Caller {
	c := bot.Caller{Member: bot.Member{Name: who.name}, Admin: who.role == bot.RoleAdmin}
	if who.number != "" {
		c.Roster = &bot.RosterEntry{Name: who.name, Number: who.number, UnitID: unitID(who.unit), Role: who.role}
		c.Roster.Title = map[string]string{"T0006": "工作人员", "T0003": "组织员", "T0001": "管理员", "T0007": "书记", "T0008": "书记"}[who.number]
	}
	return c
}

// stateDump is every row of every table, the outbox's rows up to a known
// id apart.
type stateDump struct {
	tables   map[string][]string
	outboxID int64
}

func dumpState(t *testing.T, db *sql.DB) stateDump {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	d := stateDump{tables: map[string][]string{}}
	if err := db.QueryRow(`SELECT COALESCE(MAX(id), 0) FROM outbox`).Scan(&d.outboxID); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		rs, err := db.Query(`SELECT * FROM "` + n + `" ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rs.Columns()
		for rs.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			d.tables[n] = append(d.tables[n], fmt.Sprintf("%v", vals))
		}
		rs.Close()
	}
	return d
}

// changes lists what differs between two dumps, the outbox compared only up
// to before's last message.
func changes(before, after stateDump) []string {
	var out []string
	for n, rows := range after.tables {
		old := before.tables[n]
		if n == "outbox" {
			rows = rows[:min(len(rows), len(old))]
		}
		if !slices.Equal(old, rows) {
			out = append(out, n)
		}
	}
	for n := range before.tables {
		if _, ok := after.tables[n]; !ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// newOutbox lists the messages queued after before: chat id and text.
func newOutbox(t *testing.T, db *sql.DB, after int64) [][2]string {
	t.Helper()
	rows, err := db.Query(`SELECT c.external_id, o.text FROM outbox o JOIN chats c ON c.id = o.chat_id WHERE o.id > ? ORDER BY o.id`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var m [2]string
		if err := rows.Scan(&m[0], &m[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// matrixFixtures sets the scene every cell starts from.
func matrixFixtures(t testing.TB, h *commandtest.Harness) {
	t.Helper()
	do := func(lines ...string) {
		t.Helper()
		for _, l := range lines {
			if _, err := h.Do(l); err != nil {
				t.Fatalf("fixture %q: %v", l, err)
			}
		}
	}
	// Link the personas, bind the groups, and let every persona speak once
	// in every place (so that speaking is no effect of a cell).
	for _, who := range personas {
		do(":as " + who.name)
		if who.number != "" {
			do(":link " + who.number)
		}
	}
	do(":as 王老师", ":group 第一党支部群", "/bind 第一党支部", ":group 第二党支部群", "/bind 第二党支部",
		":group 组织部群", "/bind 组织部", ":group 闲聊群", "/whoami")
	for _, who := range personas {
		do(":as " + who.name)
		for _, p := range places {
			if p.private {
				do(":private")
			} else {
				do(":group " + p.group)
			}
			do("/whoami")
		}
	}
	do(":as 周书记", ":group 第一党支部群", "/checkin open 主题党日 60m",
		":as 张三", "/relay 周六志愿服务 limit=5", ":private", "/suggest 党费缴纳标准不清楚",
		":as 周书记", ":group 第一党支部群", "/broadcast 第一党支部 周五下午开支部大会",
		":as 王五", "/iam 2023003 王五")
}

// matrixHarness is the engine with every feature and WeChat's own
// commands, on a platform with private chats, logging to log, with the
// matrix's personas and fixtures in the database.
func matrixHarness(tb testing.TB, log *slog.Logger) *commandtest.Harness {
	feats := allFeatures(tb)
	h := commandtest.New(tb, commandtest.Options{
		Platform: wechat.Name, Caps: bot.Capabilities{Private: true, Mentions: true},
		Logger: log,
		Features: func(h *commandtest.Harness) []bot.Feature {
			return append(feats(h), platformCommands(wechat.Commands(h.DB)))
		},
	})
	h.Config.Exports.Dir = tb.TempDir()
	matrixFixtures(tb, h)
	h.Flush()
	return h
}

// TestPermissionMatrix runs every registered form as every persona in
// every place (see the comment at the top of this file).
func TestPermissionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("the matrix runs every command 28 times")
	}
	seen := &refusals{}
	h := matrixHarness(t, slog.New(seen))
	template := filepath.Join(t.TempDir(), "template.db")
	if err := h.Save(template); err != nil {
		t.Fatal(err)
	}
	var ro *sql.DB
	openRO := func() {
		var err error
		if ro, err = sql.Open("sqlite3", "file:"+filepath.Join(h.Dir, "branchbot.db")+"?mode=ro&_busy_timeout=10000"); err != nil {
			t.Fatal(err)
		}
	}
	openRO()
	defer func() { ro.Close() }()
	restores := 0
	restore := func() {
		restores++
		ro.Close()
		if err := h.Load(template); err != nil {
			t.Fatal(err)
		}
		openRO()
	}

	runnables := h.Engine.Runnables()
	covered := map[string]bool{}
	members := map[string]int64{}
	for _, who := range personas {
		m, err := h.DB.EnsureMember(context.Background(), wechat.Name, who.name, who.name)
		if err != nil {
			t.Fatal(err)
		}
		members[who.name] = m.ID
	}
	cells, allowed := 0, 0
	var next stateDump // the state the next cell starts from
	fresh := true      // next must be read again
	for i := range runnables {
		s := &runnables[i]
		inv := s.Invocation()
		c, ok := matrixCases[inv]
		if !ok {
			t.Errorf("%s is not in the permission matrix: add a case to matrixCases (its sample arguments and the units they act on)", inv)
			continue
		}
		covered[inv] = true
		line := strings.TrimSpace(inv + " " + c.args)
		if i > 0 {
			// Every form starts from the fixtures.
			restore()
			fresh = true
		}
		for _, p := range places {
			for _, who := range personas {
				cells++
				want := expect(t, s, c, p, who, h.Engine.Units())
				if fresh {
					next = dumpState(t, ro)
				}
				before := next
				h.As(who.name)
				if p.private {
					h.Private()
				} else {
					h.Group(p.group)
				}
				seen.take()
				h.Say(line)
				refused := slices.Contains(seen.take(), members[who.name])
				after := dumpState(t, ro)
				next, fresh = after, false
				where := fmt.Sprintf("%s as %s (%s) in %s", line, who.label, who.name, p.label)
				if want.allowed {
					allowed++
					if refused {
						t.Errorf("%s: refused, but the spec allows it: %q", where, newOutbox(t, ro, before.outboxID))
					}
					// A verdict depends on the units, the roster, the
					// links and the bindings only; other changes (a ticket
					// answered, a relay closed) leave later verdicts as
					// they are, and each refused cell compares the state
					// just before it with the state after it.
					if slices.ContainsFunc(changes(before, after), func(n string) bool {
						return n == "chats" || n == "members" || n == "roster" || n == "units"
					}) {
						restore()
						fresh = true
					}
					continue
				}
				msgs := newOutbox(t, ro, before.outboxID)
				chat := p.group
				if p.private {
					chat = "private:" + who.name
				}
				switch {
				case !refused:
					t.Errorf("%s: the spec refuses it (%q), but it ran: %q", where, want.want, msgs)
				case len(msgs) != 1 || msgs[0][0] != chat:
					t.Errorf("%s: want one refusal in the chat, got %q", where, msgs)
				case !strings.Contains(msgs[0][1], want.want):
					t.Errorf("%s: the refusal %q does not say %q", where, msgs[0][1], want.want)
				}
				if ch := changes(before, after); len(ch) > 0 {
					t.Errorf("%s: the spec refuses it, yet it changed %v", where, ch)
				}
				if len(msgs) != 1 || len(changes(before, after)) > 0 {
					restore()
					fresh = true
				}
			}
		}
	}
	for inv := range matrixCases {
		if !covered[inv] {
			t.Errorf("matrixCases has %s, which the registry does not", inv)
		}
	}
	t.Logf("permission matrix: %d forms × %d personas × %d places = %d cells (%d allowed, %d refused; the database was restored %d times)",
		len(runnables), len(personas), len(places), cells, allowed, cells-allowed, restores)
}

// platformCommands registers a platform adapter's own commands (WeChat's
// /rebind) as a feature, so that the matrix covers them.
type platformCommands []bot.CommandSpec

func (platformCommands) Name() string                  { return "platform" }
func (p platformCommands) Commands() []bot.CommandSpec { return p }
