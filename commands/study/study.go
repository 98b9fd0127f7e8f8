// Package study is the study-material feature: a content library imported
// from Markdown files, /study and /studied for members, completion statistics
// with an .xlsx export, and scheduled pushes on the official work calendar,
// queued exactly once per (schedule, occurrence, group).
package study

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/configs"
)

// Feature is the study feature.
type Feature struct {
	engine *bot.Engine
	db     Store
	cfg    *configs.Config
	cal    *calendar.Calendar
	log    *slog.Logger
	pushes []*push

	// scanned remembers, per schedule, up to when the cron instants were
	// already examined, so a rarely matching rule (a lunar date) is not
	// rescanned from its last run on every tick. It is only a shortcut:
	// after a restart the scan starts again from the database.
	mu      sync.Mutex
	scanned map[string]time.Time

	// batch is how many groups one fan-out transaction queues.
	batch int
	// afterBatch, if set, runs after each committed fan-out batch (tests
	// use it to crash in the middle of a fan-out).
	afterBatch func()
}

// push is one configured schedule, parsed.
type push struct {
	cfg        configs.PushConfig
	sched      cron.Schedule
	rule       string
	lunarMonth int
	lunarDay   int
}

// New makes the feature. The config must have passed validation.
func New(e *bot.Engine, db Store, cfg *configs.Config, cal *calendar.Calendar, log *slog.Logger) (*Feature, error) {
	if log == nil {
		log = e.Logger()
	}
	f := &Feature{engine: e, db: db, cfg: cfg, cal: cal, log: log.With("feature", "study"), batch: 200, scanned: map[string]time.Time{}}
	for i, p := range cfg.Study.Pushes {
		s, err := configs.CronParser.Parse(p.Cron)
		if err != nil {
			return nil, fmt.Errorf("study.pushes[%d].cron: %w", i, err)
		}
		kind, m, d, err := configs.ParsePushRule(p.Rule)
		if err != nil {
			return nil, fmt.Errorf("study.pushes[%d].rule: %w", i, err)
		}
		if cal == nil && (kind == "workdays" || kind == "holidays_only") {
			return nil, fmt.Errorf("study.pushes[%d].rule: %s needs the business calendar", i, kind)
		}
		f.pushes = append(f.pushes, &push{cfg: p, sched: s, rule: kind, lunarMonth: m, lunarDay: d})
	}
	return f, nil
}

func (f *Feature) Name() string { return "study" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{
			Name: "study", Aliases: []string{"学习"},
			Summary: "查看最新学习内容",
			Usage:   "/study [编号]",
			Help:    "/study 显示本群单位最新的学习内容（私聊中为你所在单位的）；/study 3 显示第 3 条。",
			// "学习强国今天的题好难": in a group it needs the slash.
			Bare:    bot.BareInPrivate,
			Handler: f.study,
			Subs: []bot.CommandSpec{
				{
					Name: "list", Aliases: []string{"列表"},
					Summary: "列出最近的学习内容",
					Usage:   "/study list [栏目]",
					Help:    "例：/study list 理论学习\n列出最近的十条内容，可只看一个栏目。",
					Handler: f.list,
				},
				{
					Name: "stats", Aliases: []string{"统计"},
					Summary: "查看学习完成情况（书记）",
					Usage:   "/study stats [单位] [导出]",
					Help:    "按成员和单位统计完成情况，不写单位时为本群单位（私聊中为你所在单位）；加「导出」生成 .xlsx 文件。只有管理员或该单位及其上级单位的书记可以查看。",
					// Any secretary; the handler checks the unit asked about.
					Role: bot.RoleSecretary, Scope: bot.AnyUnit,
					Handler: f.stats,
				},
			},
		},
		{
			Name: "studied", Aliases: []string{"已学"},
			Summary: "标记已学完学习内容",
			Usage:   "/studied [编号]",
			Help:    "不带编号时，在群里标记本群最近推送、还没到学习截止时间的一条，没有则标记最新的一条。需要先用 /iam 绑定花名册。",
			Bare:    bot.BareWhenExpected,
			Expecting: &bot.Expecting{When: "单独发送或后面只跟编号时", Now: func(_ context.Context, r *bot.Request) (bool, error) {
				args := bot.Words(r.Command.Args) // 已学！ is 已学
				return len(args) == 0 || len(args) == 1 && isNumber(args[0]), nil
			}},
			Handler: f.studied,
		},
		{
			Name: "pushes", Aliases: []string{"推送计划"},
			Summary: "查看定时学习推送",
			Usage:   "/pushes",
			Handler: f.listPushes,
		},
		{
			Name: "push", Aliases: []string{"推送"},
			Summary: "立即执行一次定时推送（书记、管理员）",
			Bare:    bot.BareInPrivate,
			Subs: []bot.CommandSpec{{
				Name: "now", Aliases: []string{"立即"},
				Summary: "立即执行一次定时推送（书记、管理员）",
				Usage:   "/push now <推送名称>",
				Help:    "例：/push now 每日学习\n只有推送涉及的全部单位的书记或管理员可以使用。",
				// The handler checks the push's units.
				Role: bot.RoleSecretary, Scope: bot.AnyUnit,
				Handler: f.pushNow,
			}},
		},
	}
}

// unitOf is the unit a request is about: the group's, or in a private chat
// the caller's roster unit.
func unitOf(r *bot.Request) int64 {
	if r.Chat.Kind == bot.Group {
		return r.Chat.UnitID
	}
	if r.Caller.Roster != nil {
		return r.Caller.Roster.UnitID
	}
	return 0
}

func (f *Feature) visibleItems(ctx context.Context, column string, unitID int64, now time.Time) ([]Item, error) {
	all, err := f.db.PublishedContent(ctx, column, now)
	if err != nil {
		return nil, err
	}
	units := f.engine.Units()
	var out []Item
	for _, it := range all {
		if visible(it, unitID, units) {
			out = append(out, it)
		}
	}
	return out, nil
}

func (f *Feature) study(ctx context.Context, r *bot.Request) error {
	args := r.Command.Args
	if len(args) > 0 {
		n, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
		if err != nil || len(args) > 1 {
			return bot.Errorf("用法：%s", r.Spec.FullUsage())
		}
		it, err := f.item(ctx, r, n)
		if err != nil {
			return err
		}
		return r.Reply(ctx, render(it, ""))
	}
	unit := unitOf(r)
	if unit == 0 && r.Chat.Kind == bot.Group {
		return bot.Errorf("本群尚未绑定单位，请书记先用 /bind <单位> 绑定。")
	}
	items, err := f.visibleItems(ctx, "", unit, r.Now())
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return f.nothingYet(ctx, r)
	}
	return r.Reply(ctx, render(items[0], ""))
}

// nothingYet answers a request that found no item. When the library itself
// is empty, an admin is told how to fill it and anyone else whom to ask.
func (f *Feature) nothingYet(ctx context.Context, r *bot.Request) error {
	cols, err := f.db.ContentColumns(ctx)
	if err != nil {
		return err
	}
	switch {
	case len(cols) > 0:
		return r.Reply(ctx, "暂时没有发给本单位的学习内容。")
	case r.Caller.Admin:
		dir := cmp.Or(f.cfg.Study.ContentDir, "<文件夹>")
		return r.Reply(ctx, bot.JoinLines(
			"学习内容库还是空的。导入方法（管理员）：",
			"1. 每条内容写成一个 Markdown 文件，开头是 YAML 头（column 栏目、title 标题、published 发布时间，以及 link 链接或正文），格式见 README「Study content」；",
			"2. 放进文件夹 "+dir+"，在服务器上运行 branchbot content import "+dir+"；",
			"   或者放好后重启机器人：内容库为空时，启动时会自动导入 study.content_dir。"))
	}
	return r.Reply(ctx, "暂时没有学习内容：内容库还是空的，请联系管理员导入。")
}

// item loads item n if it is published and meant for the request's unit.
func (f *Feature) item(ctx context.Context, r *bot.Request, n int64) (Item, error) {
	it, err := f.db.ContentItem(ctx, n)
	if errors.Is(err, bot.ErrNotFound) || err == nil && (it.PublishedAt.After(r.Now()) || !visible(it, unitOf(r), r.Units())) {
		return it, bot.Errorf("没有编号为 %d 的学习内容。发送 /study list 查看最近的内容。", n)
	}
	return it, err
}

func (f *Feature) list(ctx context.Context, r *bot.Request) error {
	column := strings.Join(r.Command.Args, " ")
	items, err := f.visibleItems(ctx, column, unitOf(r), r.Now())
	if err != nil {
		return err
	}
	if len(items) == 0 {
		if column != "" {
			cols, _ := f.db.ContentColumns(ctx)
			return bot.Errorf("栏目「%s」没有内容。现有栏目：%s", column, strings.Join(cols, "、"))
		}
		return f.nothingYet(ctx, r)
	}
	lines := []string{"最近的学习内容："}
	for i, it := range items {
		if i == 10 {
			lines = append(lines, fmt.Sprintf("……共 %d 条", len(items)))
			break
		}
		lines = append(lines, fmt.Sprintf("%d. 【%s】%s（%s）", it.ID, it.Column, it.Title, it.PublishedAt.In(f.engine.Location()).Format("01-02")))
	}
	lines = append(lines, "发送 /study <编号> 查看，学完后发送 /studied <编号>。")
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

const maxBodyRunes = 600

// render shows an item; prefix is an optional first line.
func render(it Item, prefix string) string {
	lines := []string{prefix, fmt.Sprintf("📚【%s】%s", it.Column, it.Title)}
	if it.Summary != "" {
		lines = append(lines, it.Summary)
	}
	if it.Link != "" {
		lines = append(lines, "原文："+it.Link)
	} else if it.Body != "" {
		b := []rune(it.Body)
		if len(b) > maxBodyRunes {
			b = append(b[:maxBodyRunes], []rune("……")...)
		}
		lines = append(lines, string(b))
	}
	if len(it.Tags) > 0 {
		lines = append(lines, "标签："+strings.Join(it.Tags, "、"))
	}
	lines = append(lines, fmt.Sprintf("学完后请发送 /studied %d", it.ID))
	return bot.JoinLines(lines...)
}

func (f *Feature) studied(ctx context.Context, r *bot.Request) error {
	if r.Caller.Roster == nil {
		return bot.Errorf("请先用 /iam <学号/工号> <姓名> 绑定花名册，才能记录学习情况。")
	}
	var it Item
	args := bot.Words(r.Command.Args) // 已学！, 已学 👍
	switch len(args) {
	case 0:
		// In a group, the item the group was pushed and is still due:
		// the push asks for 已学 and members answer it.
		if r.Chat.Kind == bot.Group {
			pushed, err := f.db.LatestStudyTask(ctx, r.Chat.ID, r.Now())
			if err == nil {
				it = pushed
				break
			}
			if !errors.Is(err, bot.ErrNotFound) {
				return fmt.Errorf("item pushed to chat %d: %w", r.Chat.ID, err)
			}
		}
		items, err := f.visibleItems(ctx, "", unitOf(r), r.Now())
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return f.nothingYet(ctx, r)
		}
		it = items[0]
	case 1:
		n, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
		if err != nil || n <= 0 {
			return bot.Errorf("编号应是数字，例：/studied 3")
		}
		if it, err = f.item(ctx, r, n); err != nil {
			return err
		}
	default:
		return bot.Errorf("用法：/studied [编号]")
	}
	loc := f.engine.Location()
	now := r.Now()
	mark := Mark{ItemID: it.ID, RosterID: r.Caller.Roster.ID, MemberID: r.Caller.Member.ID, ChatID: r.Chat.ID, At: now}
	return f.db.UpdateStudy(ctx, now, func(tx Tx) error {
		prev, found, err := tx.StudyMark(it.ID, mark.RosterID)
		if err != nil {
			return err
		}
		record, first := studied(prev, found, mark)
		text := fmt.Sprintf("已记录：你已学完「%s」。", it.Title)
		if record {
			if err := tx.InsertStudyMark(mark); err != nil {
				return err
			}
		} else {
			text = fmt.Sprintf("你已于 %s 学完「%s」，无需重复标记。", first.At.In(loc).Format("01-02 15:04"), it.Title)
		}
		out := bot.Outgoing{ChatID: r.Chat.ID, Text: text}
		if r.Chat.Kind == bot.Group {
			out.MentionMember = r.Caller.Member.ID
		}
		_, _, err = tx.Enqueue(out)
		return err
	})
}

// unitStats is one unit's completion.
type unitStats struct {
	unit    bot.Unit
	members int
	done    int // studied (member, item) pairs
	total   int // (member, item) pairs due
}

type memberStats struct {
	entry bot.RosterEntry
	done  int
	total int
}

func pct(done, total int) string {
	if total == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(done)/float64(total))
}

func (f *Feature) stats(ctx context.Context, r *bot.Request) error {
	export := false
	var name []string
	for _, a := range r.Command.Args {
		if a == "导出" || a == "export" || a == "xlsx" {
			export = true
			continue
		}
		name = append(name, a)
	}
	units := r.Units()
	root := unitOf(r)
	if len(name) > 0 {
		u, ok := units.ByName(strings.Join(name, " "))
		if !ok {
			return bot.Errorf("找不到单位「%s」。", strings.Join(name, " "))
		}
		root = u.ID
	}
	if root == 0 {
		return bot.Errorf("请指明单位，例：/study stats 第一党支部")
	}
	if err := r.Require(bot.RoleSecretary, root); err != nil {
		return err
	}
	sub := units.Subtree(root)
	entries, err := f.db.RosterOfUnits(ctx, sub)
	if err != nil {
		return err
	}
	items, err := f.db.PublishedContent(ctx, "", r.Now())
	if err != nil {
		return err
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	marks, err := f.db.StudyMarks(ctx, ids)
	if err != nil {
		return err
	}
	byUnit := map[int64]*unitStats{}
	for _, id := range sub {
		u, _ := units.Get(id)
		byUnit[id] = &unitStats{unit: u}
	}
	var ms []memberStats
	for _, e := range entries {
		m := memberStats{entry: e}
		for _, it := range items {
			if visible(it, e.UnitID, units) {
				m.total++
				if marks[e.ID][it.ID] {
					m.done++
				}
			}
		}
		ms = append(ms, m)
		if us := byUnit[e.UnitID]; us != nil {
			us.members++
			us.done += m.done
			us.total += m.total
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].entry.Number < ms[j].entry.Number })
	if export {
		path, err := f.exportStats(root, r.Now(), sub, byUnit, ms, units)
		if err != nil {
			return err
		}
		name := units.Name(root)
		return exports.Deliver(ctx, r, path, fmt.Sprintf("已导出「%s」的学习统计，共 %d 人。", name, len(ms)), "/study stats "+name+" 导出")
	}
	// Only the items some unit of the subtree is meant to study: a column
	// for other units is not theirs to count.
	meant := 0
	for _, it := range items {
		if slices.ContainsFunc(sub, func(u int64) bool { return visible(it, u, units) }) {
			meant++
		}
	}
	lines := []string{fmt.Sprintf("「%s」学习完成情况（已发布 %d 条内容）：", units.Name(root), meant), "按单位："}
	for _, id := range sub {
		us := byUnit[id]
		if us.members == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s：%d 人，完成 %d/%d（%s）", us.unit.Name, us.members, us.done, us.total, pct(us.done, us.total)))
	}
	lines = append(lines, "按成员：")
	for i, m := range ms {
		if i == 50 {
			lines = append(lines, fmt.Sprintf("……共 %d 人，完整名单请用 /study stats %s 导出", len(ms), units.Name(root)))
			break
		}
		lines = append(lines, fmt.Sprintf("%s（%s）%d/%d", m.entry.Name, m.entry.Number, m.done, m.total))
	}
	return r.Reply(ctx, strings.Join(lines, "\n"))
}

func (f *Feature) exportStats(root int64, now time.Time, sub []int64, byUnit map[int64]*unitStats, ms []memberStats, units *bot.UnitTree) (string, error) {
	x := excelize.NewFile()
	defer x.Close()
	const s1, s2 = "按成员", "按单位"
	x.SetSheetName("Sheet1", s1)
	if _, err := x.NewSheet(s2); err != nil {
		return "", err
	}
	rows := [][]any{{"学号/工号", "姓名", "单位", "已学", "应学", "完成率"}}
	for _, m := range ms {
		rows = append(rows, []any{m.entry.Number, m.entry.Name, units.Name(m.entry.UnitID), m.done, m.total, pct(m.done, m.total)})
	}
	urows := [][]any{{"单位", "人数", "已学", "应学", "完成率"}}
	for _, id := range sub {
		us := byUnit[id]
		urows = append(urows, []any{us.unit.Name, us.members, us.done, us.total, pct(us.done, us.total)})
	}
	for sheet, rs := range map[string][][]any{s1: rows, s2: urows} {
		for i, row := range rs {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow(sheet, cell, &row); err != nil {
				return "", fmt.Errorf("write %s: %w", sheet, err)
			}
		}
	}
	path := filepath.Join(f.cfg.Exports.Dir, fmt.Sprintf("study-%s-%s.xlsx", units.Name(root), now.In(f.engine.Location()).Format("20060102-1504")))
	err := exports.Save(path, func(w io.Writer) error {
		_, err := x.WriteTo(w)
		return err
	})
	return path, err
}

// isNumber reports an item number as members write it: 3 or #3.
func isNumber(s string) bool {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return err == nil && n > 0
}
