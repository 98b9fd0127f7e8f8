package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

func TestExportCLI(t *testing.T) {
	ctx := context.Background()
	cfgPath, dir := writeConfig(t, "")
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// A session with one check-in, stored the way the bot stores it.
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	units, err := core.Setup(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	branch, _ := units.ByName("第一党支部")
	chat, _ := db.EnsureChat(ctx, "terminal", "g", bot.Group, "g")
	_ = db.BindChat(ctx, chat.ID, branch.ID)
	m, _ := db.EnsureMember(ctx, "terminal", "张三", "张三")
	e, _ := db.RosterByNumber(ctx, "2023001")
	_ = db.LinkMember(ctx, m.ID, e.ID, time.Now())
	at := time.Date(2026, 11, 23, 9, 5, 0, 0, bot.ShanghaiLocation())
	err = db.UpdateCheckins(ctx, at, func(tx checkin.Tx) error {
		s, err := tx.InsertCheckinSession(checkin.Session{ChatID: chat.ID, UnitID: branch.ID, Title: "主题党日", OpenedBy: m.ID,
			OpenedAt: at, Deadline: at.Add(time.Hour), EndsAt: at.Add(time.Hour)})
		if err != nil {
			return err
		}
		return tx.InsertCheckins([]checkin.Checkin{{SessionID: s.ID, MemberID: m.ID, RosterID: e.ID, Name: "张三", At: at}})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := filepath.Join(dir, "out.csv")
	var stdout, stderr bytes.Buffer
	env := &Env{Stdout: &stdout, Stderr: &stderr}
	if err := Main(ctx, env, []string{"export", "checkin", "--config", cfgPath, "--id", "1", "--format", "csv", "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, out, 0o600)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != "姓名,学号,单位,时间,状态" ||
		strings.Join(rows[1], ",") != "张三,2023001,第一党支部,2026-11-23 09:05:00,已签到" {
		t.Fatalf("exported %q", rows)
	}

	for _, bad := range [][]string{
		{"export", "checkin", "--config", cfgPath, "--id", "9"},
		{"export", "checkin", "--config", cfgPath},
		{"export", "votes", "--config", cfgPath, "--id", "1"},
		{"export", "relay", "--config", cfgPath, "--id", "1", "--format", "pdf"},
	} {
		if err := Main(ctx, env, bad); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}
