package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/tickets"
)

func TestReportSLA(t *testing.T) {
	ctx := context.Background()
	cfgPath, dir := writeConfig(t, "")
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}

	app, err := Open(ctx, env, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	loc := app.Calendar.Location()
	chat, err := app.DB.EnsureChat(ctx, "terminal", "第一党支部", bot.Group, "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.DB.EnsureMember(ctx, "terminal", "张三", "张三")
	if err != nil {
		t.Fatal(err)
	}
	org, _ := app.Engine.Units().ByName("组织部")
	filed := time.Date(2025, 3, 3, 9, 0, 0, 0, loc) // Monday
	due := app.Calendar.Deadline(filed, 2, 17*time.Hour+30*time.Minute)
	err = app.DB.UpdateTickets(ctx, filed, func(tx tickets.Tx) error {
		for _, tk := range []tickets.Ticket{
			{FilerName: "张三", Text: "党课时间", FirstResponseAt: filed.Add(3 * time.Hour), State: tickets.StateAnswered},
			{Anonymous: true, Text: "党费账目", State: tickets.StateOpen},
		} {
			tk.FilerMemberID, tk.ChatID, tk.DepartmentID, tk.Category, tk.DecidedBy = m.ID, chat.ID, org.ID, "党务", tickets.DecidedByKeywords
			tk.CreatedAt, tk.FirstDueAt, tk.DueAt, tk.RemindAt, tk.RoutedAt = filed, due, due, due, filed
			if _, err := tx.InsertTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
	app.Close()
	if err != nil {
		t.Fatal(err)
	}

	if err := Main(ctx, env, []string{"report", "sla", "--config", cfgPath, "--month", "2025-03"}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	want := "组织部：提交 2，按时答复 1，逾期 1（其中未答复 1），未答复关闭 0，未到期 0，按时率 50%，首次响应中位数 3.0 工作小时"
	if !strings.Contains(stdout.String(), "2025年3月建议答复统计") || !strings.Contains(stdout.String(), want) {
		t.Fatalf("text report:\n%s\nwant a line %s", stdout.String(), want)
	}

	out := filepath.Join(dir, "out", "sla.xlsx")
	stdout.Reset()
	if err := Main(ctx, env, []string{"report", "sla", "--config", cfgPath, "--month", "2025-03", "--format", "xlsx", "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "部门" || strings.Join(rows[1], ",") != "组织部,2,1,1,1,0,0,50%,3" {
		t.Fatalf("summary rows: %q", rows)
	}
	detail, err := x.GetRows("明细")
	if err != nil {
		t.Fatal(err)
	}
	if len(detail) != 3 || detail[1][4] != "张三" || detail[2][4] != "匿名" {
		t.Fatalf("detail rows: %q", detail)
	}

	for _, bad := range [][]string{
		{"report", "sla", "--config", cfgPath, "--month", "三月"},
		{"report", "sla", "--config", cfgPath, "--format", "pdf"},
	} {
		if err := Main(ctx, env, bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// report sla --out x.xlsx writes the workbook without --format (the
// extension says it); an --out that is no .xlsx, or --format text with
// --out, is refused before anything is written.
func TestReportSLAFormatFromOut(t *testing.T) {
	ctx := context.Background()
	cfgPath, dir := writeConfig(t, "")
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	out := filepath.Join(dir, "x.xlsx")
	if err := Main(ctx, env, []string{"report", "sla", "--config", cfgPath, "--month", "2025-03", "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("printed %q, want where it wrote", stdout.String())
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatalf("nothing written: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the report has mode %v, want 0600", st.Mode().Perm())
	}
	if x, err := excelize.OpenFile(out); err != nil {
		t.Errorf("not a workbook: %v", err)
	} else {
		x.Close()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(dir, "x.csv")}, "the name must end in .xlsx"},
		{[]string{"--out", filepath.Join(dir, "report")}, "the name must end in .xlsx"},
		{[]string{"--format", "text", "--out", filepath.Join(dir, "y.xlsx")}, "drop --format text"},
	} {
		err := Main(ctx, env, append([]string{"report", "sla", "--config", cfgPath, "--month", "2025-03"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want one saying %q", c.args, err, c.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "[xy]*")); len(left) != 1 {
		t.Errorf("files written: %q, want only x.xlsx", left)
	}
}
