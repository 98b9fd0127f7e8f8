package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
)

// TestReportMeetings: branchbot report meetings writes the 台账 with a
// sheet per unit and a row per meeting.
func TestReportMeetings(t *testing.T) {
	ctx := context.Background()
	cfgPath, dir := writeConfig(t, "")
	var stdout, stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	app, err := Open(ctx, env, cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	branch, _ := app.Engine.Units().ByName("第一党支部")
	chat, err := app.DB.EnsureChat(ctx, "terminal", "第一党支部", bot.Group, "第一党支部")
	if err == nil {
		err = app.DB.BindChat(ctx, chat.ID, branch.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := app.DB.EnsureMember(ctx, "terminal", "周书记", "周书记")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 5, 19, 0, 0, 0, app.Engine.Location())
	err = app.DB.UpdateCheckins(ctx, at, func(tx checkin.Tx) error {
		s, err := tx.InsertCheckinSession(checkin.Session{ChatID: chat.ID, UnitID: branch.ID, Title: "一季度支部大会", MeetingType: "支部党员大会",
			OpenedBy: m.ID, OpenedAt: at, Deadline: at.Add(time.Hour), EndsAt: at.Add(time.Hour)})
		if err != nil {
			return err
		}
		_, err = tx.CloseCheckinSession(s.ID, at.Add(time.Hour))
		return err
	})
	app.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "台账.xlsx")
	if err := Main(ctx, env, []string{"report", "meetings", "--config", cfgPath, "--unit", "第一党支部", "--year", "2026", "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 meetings, 1 units") {
		t.Errorf("stdout %q", stdout.String())
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][1] != "支部党员大会" || rows[1][3] != "4" || rows[1][4] != "0" {
		t.Errorf("rows %q", rows)
	}
	if err := Main(ctx, env, []string{"report", "meetings", "--config", cfgPath}); err == nil || !strings.Contains(err.Error(), "--unit") {
		t.Errorf("without --unit: %v", err)
	}
}
