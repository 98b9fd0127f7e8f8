package followup

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/exports"
)

// exportArg splits the word that asks /progress for a spreadsheet (导出,
// export, xlsx) from the other arguments.
func exportArg(args []string) (rest []string, export bool) {
	for _, a := range args {
		switch strings.ToLower(a) {
		case "导出", "export", "xlsx":
			export = true
		default:
			rest = append(rest, a)
		}
	}
	return rest, export
}

// progressRow is one line of a progress spreadsheet.
type progressRow struct {
	person Person
	state  string
	stamp  Stamp
}

// rows lists p's people as the spreadsheet shows them: done, on leave,
// not yet, not linked, each with when they did it (or were given leave).
func progressRows(t Task, p Progress, done, leave map[int64]Stamp) []progressRow {
	w := wordsOf(t.Kind)
	var out []progressRow
	for _, part := range []struct {
		state  string
		people []Person
		stamps map[int64]Stamp
	}{{w.done, p.Done, done}, {"请假", p.Leave, leave}, {w.notDone, p.Pending, nil}, {w.notDone + "（未绑定，无法提醒）", p.Unlinked, nil}} {
		for _, who := range part.people {
			out = append(out, progressRow{person: who, state: part.state, stamp: part.stamps[who.Entry.ID]})
		}
	}
	return out
}

// export is /progress <kind> [#N] 导出: the task's progress as an .xlsx
// file, sent to the caller's private chat with the bot through the outbox
// (the list holds every expected member's 学号, so never into the group).
// Where the platform sends no files, or the caller has no private chat
// with the bot, the answer says so (and where on the server the file is).
func (f *Feature) export(ctx context.Context, r *bot.Request, t Task, p Progress) error {
	caps := r.Capabilities()
	again := fmt.Sprintf("/progress %s #%d 导出", t.Kind, t.Seq)
	var private []bot.Chat
	if caps.Files && caps.Private {
		var err error
		if private, err = f.store.PrivateChatsOf(ctx, []bot.Member{r.Caller.Member}); err != nil {
			return fmt.Errorf("private chat of member %d: %w", r.Caller.Member.ID, err)
		}
		if len(private) == 0 {
			return bot.Errorf("表格要私聊发给你，但你还没有私聊过机器人：请先私聊机器人发送任意一句话，再在群里发送 %s。", again)
		}
	}
	done, leave, err := f.store.TaskStamps(ctx, t)
	if err != nil {
		return err
	}
	now := r.Now()
	path, err := f.writeProgress(t, p, progressRows(t, p, done, leave), r, now)
	if err != nil {
		return err
	}
	w := wordsOf(t.Kind)
	counts := fmt.Sprintf("应%s %d 人：%s %d", verbOf(t), p.Expected(), w.done, len(p.Done))
	if len(p.Leave) > 0 {
		counts += fmt.Sprintf("，请假 %d", len(p.Leave))
	}
	counts += fmt.Sprintf("，%s %d，未绑定 %d", w.notDone, len(p.Pending), len(p.Unlinked))
	summary := fmt.Sprintf("已导出群「%s」%s的完成情况，%s。", r.Chat.Title, name(t), counts)
	onServer := "表格已保存在服务器上：" + path + "，请管理员从服务器取出。"
	switch {
	case !caps.Files:
		return r.Reply(ctx, summary+"\n本平台不能发送文件，"+onServer)
	case !caps.Private:
		return r.Reply(ctx, summary+"\n本平台没有私聊，名单含学号等个人信息，不在群里发送文件。"+onServer)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if _, err := r.Send(ctx, bot.Outgoing{ChatID: private[0].ID, Text: summary, File: abs}); err != nil {
		return fmt.Errorf("send progress export: %w", err)
	}
	return r.Reply(ctx, "表格已私聊发给你。")
}

// writeProgress writes the spreadsheet of a task's progress into the
// exports folder: one sheet, a line per expected member.
func (f *Feature) writeProgress(t Task, p Progress, rows []progressRow, r *bot.Request, now time.Time) (string, error) {
	loc := f.engine.Location()
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "完成情况"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return "", err
	}
	deadline := "不限"
	if !t.Deadline.IsZero() {
		deadline = t.Deadline.In(loc).Format("2006-01-02 15:04")
	}
	lines := [][]any{
		{fmt.Sprintf("群「%s」%s", r.Chat.Title, name(t)), "截止", deadline, "导出时间", now.In(loc).Format("2006-01-02 15:04")},
		{"应" + verbOf(t), p.Expected(), wordsOf(t.Kind).done, len(p.Done), "请假", len(p.Leave), wordsOf(t.Kind).notDone, len(p.Pending) + len(p.Unlinked)},
		{},
		{"姓名", "学号/工号", "单位", "状态", "时间", "备注"},
	}
	units := r.Units()
	for _, row := range rows {
		at := ""
		if !row.stamp.At.IsZero() {
			at = row.stamp.At.In(loc).Format("2006-01-02 15:04")
		}
		e := row.person.Entry
		lines = append(lines, []any{e.Name, e.Number, units.Name(e.UnitID), row.state, at, row.stamp.Note})
	}
	for i, line := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow(sheet, cell, &line); err != nil {
			return "", fmt.Errorf("write progress of %s %d: %w", t.Kind, t.ID, err)
		}
	}
	path := filepath.Join(f.opts.ExportDir, fmt.Sprintf("progress-%s-%d-%s.xlsx", t.Kind, t.ID, now.In(loc).Format("20060102-150405")))
	err := exports.Save(path, func(w io.Writer) error {
		_, err := x.WriteTo(w)
		return err
	})
	return path, err
}
