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

	// Without --format, the extension of --out decides; the file is for
	// the bot's user alone.
	for _, name := range []string{"r.csv", "r.xlsx", "R.CSV"} {
		path := filepath.Join(dir, name)
		stdout.Reset()
		if err := Main(ctx, env, []string{"export", "checkin", "--config", cfgPath, "--id", "1", "--out", path}); err != nil {
			t.Fatalf("--out %s: %v\n%s", name, err, stderr.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		isCSV := bytes.HasPrefix(b, []byte("\ufeff姓名,学号"))
		isXLSX := bytes.HasPrefix(b, []byte("PK"))
		if strings.HasSuffix(strings.ToLower(name), ".csv") != isCSV || strings.HasSuffix(name, ".xlsx") != isXLSX {
			t.Errorf("--out %s wrote %q…", name, b[:min(len(b), 12)])
		}
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(dir, "r.txt")}, "the name must end in .xlsx or .csv"},
		{[]string{"--format", "csv", "--out", filepath.Join(dir, "s.xlsx")}, "--format csv, but --out"},
	} {
		err := Main(ctx, env, append([]string{"export", "relay", "--config", cfgPath, "--id", "1"}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want one saying %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s.xlsx")); err == nil {
		t.Error("a refused export wrote its file")
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
