// Package export writes check-in and relay records as spreadsheets (.xlsx
// with excelize, or UTF-8 .csv) with Chinese headers, for the /export
// command and the "branchbot export" CLI.
package export

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/exports"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/relay"
)

// Store is what the exports read; *storage.DB satisfies it.
type Store interface {
	CheckinSession(ctx context.Context, id int64) (checkin.Session, error)
	CheckinByNumber(ctx context.Context, chatID, seq int64) (checkin.Session, error)
	RelayByNumber(ctx context.Context, chatID, seq int64) (relay.Relay, error)
	Checkins(ctx context.Context, sessionIDs ...int64) ([]checkin.Checkin, error)
	Relay(ctx context.Context, id int64) (relay.Relay, error)
	RelayEntries(ctx context.Context, relayID int64) ([]relay.Entry, error)
	Chat(ctx context.Context, id int64) (bot.Chat, error)
	RosterEntry(ctx context.Context, id int64) (bot.RosterEntry, error)
	RosterOfUnits(ctx context.Context, unitIDs []int64) ([]bot.RosterEntry, error)
	LinkedRosterIDs(ctx context.Context, rosterIDs []int64) (map[int64]bool, error)
	CheckinLeaves(ctx context.Context, sessionIDs ...int64) ([]checkin.Leave, error)
	CheckinMakeups(ctx context.Context, sessionIDs ...int64) ([]checkin.Makeup, error)
}

// Table is a sheet of records.
type Table struct {
	Sheet  string
	Header []string
	Rows   [][]string
}

// Formats are the file formats Write knows.
var Formats = []string{"xlsx", "csv"}

const timeLayout = "2006-01-02 15:04:05"

// Checkin builds the table of a check-in session (by its global id) as it
// stands at now: everyone who checked in, then the roster entries of the
// unit who did not: 请假 for approved leave, 缺席 once the session is over,
// 未签到（进行中） while it is open, 未签到（未绑定花名册） for those who never
// linked a chat identity.
func Checkin(ctx context.Context, store Store, units *bot.UnitTree, loc *time.Location, id int64, now time.Time) (Table, checkin.Session, error) {
	t := Table{Sheet: "签到", Header: []string{"姓名", "学号", "单位", "时间", "状态"}}
	s, err := store.CheckinSession(ctx, id)
	if err != nil {
		return t, s, err
	}
	cs, err := store.Checkins(ctx, id)
	if err != nil {
		return t, s, err
	}
	roster, err := store.RosterOfUnits(ctx, units.Subtree(s.UnitID))
	if err != nil {
		return t, s, err
	}
	roster = checkin.ExpectedOf(s, roster) // a 支委会: the committee
	kindOf := checkin.KindAmong(s, units, roster)
	checked := map[int64]bool{}
	for _, c := range cs {
		name, number, unit := c.Name, "", ""
		status := "已签到"
		if c.Late {
			status = "迟到"
		}
		switch kindOf(c) {
		case checkin.Unlinked:
			status += "（未绑定花名册）"
		case checkin.Outside:
			status += "（名单外）"
		default:
			checked[c.RosterID] = true
		}
		if c.RosterID != 0 {
			e, err := store.RosterEntry(ctx, c.RosterID)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return t, s, err
			}
			if err == nil {
				name, number, unit = e.Name, e.Number, units.Name(e.UnitID)
			}
		}
		t.Rows = append(t.Rows, []string{name, number, unit, c.At.In(loc).Format(timeLayout), status})
	}
	ids := make([]int64, 0, len(roster))
	for _, e := range roster {
		ids = append(ids, e.ID)
	}
	linked, err := store.LinkedRosterIDs(ctx, ids)
	if err != nil {
		return t, s, err
	}
	leaves, err := store.CheckinLeaves(ctx, s.ID)
	if err != nil {
		return t, s, err
	}
	onLeave := checkin.OnLeave(leaves)
	makeups, err := store.CheckinMakeups(ctx, s.ID)
	if err != nil {
		return t, s, err
	}
	madeAt := map[int64]time.Time{}
	for _, m := range makeups {
		madeAt[m.RosterID] = m.At
	}
	madeUp := checkin.MadeUp(makeups)
	for _, e := range roster {
		if checked[e.ID] {
			continue
		}
		if by := madeUp[e.ID]; by != "" {
			t.Rows = append(t.Rows, []string{e.Name, e.Number, units.Name(e.UnitID), madeAt[e.ID].In(loc).Format(timeLayout), "补签（" + by + "）"})
			continue
		}
		status := "缺席"
		switch {
		case onLeave[e.ID]:
			status = "请假"
		case !linked[e.ID]:
			status = "未签到（未绑定花名册）"
		case !s.Closed(now):
			status = "未签到（进行中）"
		}
		t.Rows = append(t.Rows, []string{e.Name, e.Number, units.Name(e.UnitID), "", status})
	}
	return t, s, nil
}

// Relay builds the table of a relay (by its global id), in list order; an
// entry a secretary made for someone says so in its status.
func Relay(ctx context.Context, store Store, units *bot.UnitTree, loc *time.Location, id int64) (Table, relay.Relay, error) {
	t := Table{Sheet: "接龙", Header: []string{"序号", "姓名", "学号", "单位", "时间", "备注", "状态"}}
	rl, err := store.Relay(ctx, id)
	if err != nil {
		return t, rl, err
	}
	es, err := store.RelayEntries(ctx, id)
	if err != nil {
		return t, rl, err
	}
	for _, e := range es {
		name, number, unit := e.Name, "", ""
		if e.RosterID != 0 {
			re, err := store.RosterEntry(ctx, e.RosterID)
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return t, rl, err
			}
			if err == nil {
				name, number, unit = re.Name, re.Number, units.Name(re.UnitID)
			}
		}
		status := "已报名"
		if rl.Waitlisted(e.Place) {
			status = fmt.Sprintf("候补%d", e.Place-rl.Cap)
		}
		if e.ProxyName != "" {
			status += fmt.Sprintf("（%s代接龙）", e.ProxyName)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(e.Place), name, number, unit, e.JoinedAt.In(loc).Format(timeLayout), e.Note, status})
	}
	return t, rl, nil
}

// Write writes t to path as xlsx or csv, with the modes of exports.Save.
func Write(t Table, format, path string) error {
	switch format {
	case "xlsx":
		return exports.Save(path, func(w io.Writer) error { return writeXLSX(t, w) })
	case "csv":
		return exports.Save(path, func(w io.Writer) error { return writeCSV(t, w) })
	}
	return fmt.Errorf("unknown export format %q (want xlsx or csv)", format)
}

func writeXLSX(t Table, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", t.Sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	put := func(row int, vals []string) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		vs := make([]any, len(vals))
		for i, v := range vals {
			vs[i] = v
		}
		return x.SetSheetRow(t.Sheet, cell, &vs)
	}
	if err := put(1, t.Header); err != nil {
		return fmt.Errorf("xlsx header: %w", err)
	}
	for i, r := range t.Rows {
		if err := put(i+2, r); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+1, err)
		}
	}
	if err := x.SetPanes(t.Sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func writeCSV(t Table, out io.Writer) error {
	// A byte-order mark makes Excel read the Chinese as UTF-8.
	if _, err := io.WriteString(out, "\ufeff"); err != nil {
		return err
	}
	w := csv.NewWriter(out)
	_ = w.Write(t.Header)
	_ = w.WriteAll(t.Rows)
	return w.Error()
}

// FileName is the default file name of an export made at now.
func FileName(kind string, id int64, format string, now time.Time) string {
	return fmt.Sprintf("%s-%d-%s.%s", kind, id, now.Format("20060102-150405"), format)
}

// Feature is the /export command.
type Feature struct {
	engine *bot.Engine
	store  Store
	dir    string
}

// New makes the feature writing under dir (config exports.dir).
func New(e *bot.Engine, store Store, dir string) *Feature {
	return &Feature{engine: e, store: store, dir: dir}
}

func (f *Feature) Name() string { return "export" }

func (f *Feature) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "export", Aliases: []string{"导出"},
		Summary: "导出签到或接龙名单为表格（书记）",
		Bare:    bot.BareInPrivate,
		Help:    "在群里用签到公告或接龙列表中的 #编号；私聊中用导出时告知的总编号。在与机器人的私聊中发送，表格文件会发到私聊里；在群里不发文件（名单含个人信息）；平台不能发文件时回复表格在服务器上的位置。",
		Subs: []bot.CommandSpec{
			{
				Name: "checkin", Aliases: []string{"签到"},
				Summary: "导出一次签到的名单（书记）",
				Usage:   "/export checkin <编号> [xlsx|csv]",
				Help:    "例：/export checkin 3、/导出 签到 3 csv\n只能导出你管理的单位的签到；进行中的签到也可以导出，尚未签到的人记为「未签到（进行中）」。名单含学号等个人信息：在与机器人的私聊中发送（用总编号），文件会发到私聊里；在群里只回复导出结果，不发文件。",
				// The handler checks the unit of the session's group.
				Role: bot.RoleSecretary, Scope: bot.AnyUnit,
				Handler: f.checkin,
			},
			{
				Name: "relay", Aliases: []string{"接龙"},
				Summary: "导出一个接龙的名单（书记）",
				Usage:   "/export relay <编号> [xlsx|csv]",
				Help:    "例：/export relay 5、/导出 接龙 5 csv\n只能导出你管理的单位的群里的接龙。在与机器人的私聊中发送（用总编号），文件会发到私聊里；在群里不发文件。",
				// The handler checks the unit of the relay's group.
				Role: bot.RoleSecretary, Scope: bot.AnyUnit,
				Handler: f.relay,
			},
		},
	}}
}

// exportArgs reads <编号> [xlsx|csv].
func exportArgs(args []string) (id int64, format string, err error) {
	usage := bot.Errorf("用法：/export checkin|relay <编号> [xlsx|csv]，例：/export checkin 3")
	if len(args) < 1 || len(args) > 2 {
		return 0, "", usage
	}
	id, perr := strconv.ParseInt(strings.TrimLeft(args[0], "#＃"), 10, 64)
	if perr != nil || id <= 0 {
		return 0, "", usage
	}
	format = "xlsx"
	if len(args) == 2 {
		format = strings.ToLower(args[1])
		if format != "xlsx" && format != "csv" {
			return 0, "", bot.Errorf("格式只能是 xlsx 或 csv。")
		}
	}
	return id, format, nil
}

// sessionID finds the check-in session numbered n: in a group, the group's
// #n; in a private chat, the global id n.
func (f *Feature) sessionID(ctx context.Context, r *bot.Request, n int64) (int64, error) {
	if r.Chat.Kind != bot.Group {
		return n, nil
	}
	s, err := f.store.CheckinByNumber(ctx, r.Chat.ID, n)
	return s.ID, err
}

// checkin is /export checkin <编号> [xlsx|csv].
func (f *Feature) checkin(ctx context.Context, r *bot.Request) error {
	n, format, err := exportArgs(r.Command.Args)
	if err != nil {
		return err
	}
	units, loc := r.Units(), f.engine.Location()
	id, err := f.sessionID(ctx, r, n)
	var (
		t Table
		s checkin.Session
	)
	if err == nil {
		t, s, err = Checkin(ctx, f.store, units, loc, id, r.Now())
	}
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("没有编号为 #%d 的签到。", n)
	}
	if err != nil {
		return err
	}
	if err := r.Require(bot.RoleSecretary, s.UnitID); err != nil {
		return err
	}
	return f.write(ctx, r, t, "checkin", s.ID, format, f.label(ctx, r, "签到", s.ChatID, s.Seq, s.ID, s.Title))
}

// relay is /export relay <编号> [xlsx|csv].
func (f *Feature) relay(ctx context.Context, r *bot.Request) error {
	n, format, err := exportArgs(r.Command.Args)
	if err != nil {
		return err
	}
	units, loc := r.Units(), f.engine.Location()
	id := n
	if r.Chat.Kind == bot.Group {
		var rl relay.Relay
		rl, err = f.store.RelayByNumber(ctx, r.Chat.ID, n)
		id = rl.ID
	}
	var (
		t  Table
		rl relay.Relay
	)
	if err == nil {
		t, rl, err = Relay(ctx, f.store, units, loc, id)
	}
	if errors.Is(err, bot.ErrNotFound) {
		return bot.Errorf("没有编号为 #%d 的接龙。", n)
	}
	if err != nil {
		return err
	}
	c, err := f.store.Chat(ctx, rl.ChatID)
	if err != nil {
		return err
	}
	if c.UnitID == 0 && !r.Caller.Admin {
		return bot.Deny("接龙 #%d 所在的群未绑定单位，只有管理员可以导出。", n)
	}
	if err := r.Require(bot.RoleSecretary, c.UnitID); err != nil {
		return err
	}
	return f.write(ctx, r, t, "relay", rl.ID, format, f.label(ctx, r, "接龙", rl.ChatID, rl.Seq, rl.ID, rl.Title))
}

// label names what was exported: by the group's number in the group it
// belongs to, by the group's name and number elsewhere, and by its global
// id (总编号, for the command line) when that differs.
func (f *Feature) label(ctx context.Context, r *bot.Request, kind string, chatID, seq, id int64, title string) string {
	s := fmt.Sprintf("%s #%d「%s」", kind, seq, title)
	if chatID != r.Chat.ID {
		if c, err := f.store.Chat(ctx, chatID); err == nil {
			s = fmt.Sprintf("「%s」群的%s #%d「%s」", c.Title, kind, seq, title)
		}
	}
	if id != seq {
		s += fmt.Sprintf("（总编号 %d）", id)
	}
	return s
}

// write writes t under the export folder and hands it to the caller
// (exports.Deliver).
func (f *Feature) write(ctx context.Context, r *bot.Request, t Table, kind string, id int64, format, label string) error {
	path := filepath.Join(f.dir, FileName(kind, id, format, r.Now()))
	if err := Write(t, format, path); err != nil {
		return err
	}
	again := fmt.Sprintf("/export %s %d", kind, id)
	if format != "xlsx" {
		again += " " + format
	}
	return exports.Deliver(ctx, r, path, fmt.Sprintf("已导出%s的名单，共 %d 人。", label, len(t.Rows)), again)
}
