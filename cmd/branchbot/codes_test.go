package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// roster codes writes a sheet of one-time codes, readable by the bot's user
// only; a member links with the line on their slip, once.
func TestRosterCodes(t *testing.T) {
	cfg, dir := writeConfig(t, "")
	out, errs, err := run(t, "", "roster", "codes", "--unit", "第一党支部", "--config", cfg)
	if err != nil {
		t.Fatalf("roster codes: %v\n%s", err, errs)
	}
	// 周书记 is linked by the demo's preset; the three members get codes.
	m := regexp.MustCompile(`wrote 3 link codes for 第一党支部 to (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output: %s", out)
	}
	sheet, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, m[1], 0o600)
	assertMode(t, filepath.Dir(m[1]), 0o700)
	line := regexp.MustCompile(`发送：(/iam 2023001 张三 \S+)`).FindStringSubmatch(string(sheet))
	if line == nil || !strings.Contains(string(sheet), "李四（2023002）") || strings.Contains(string(sheet), "T0007") {
		t.Fatalf("sheet:\n%s", sheet)
	}
	out, errs, err = run(t, ":as 张三\n:private\n"+line[1]+"\n:as 冒充者\n"+line[1]+"\n", "run", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "[私聊 张三] branchbot: 绑定成功：张三，第一党支部，党员。") ||
		!strings.Contains(out, "[私聊 冒充者] branchbot: 绑定码不正确或已失效") {
		t.Fatalf("linking with the slip:\n%s", out)
	}
	// A CSV sheet for a mail merge; --all includes linked entries.
	csvPath := filepath.Join(dir, "codes.csv")
	if out, errs, err = run(t, "", "roster", "codes", "--unit", "第一党支部", "--all", "--out", csvPath, "--config", cfg); err != nil || !strings.Contains(out, "wrote 4 link codes") {
		t.Fatalf("roster codes --all: %v %s %s", err, out, errs)
	}
	b, _ := os.ReadFile(csvPath)
	if !strings.HasPrefix(string(b), "\ufeff姓名,学号/工号,单位,角色,绑定码,有效期至,发送\n") || !strings.Contains(string(b), "周书记,T0007") {
		t.Fatalf("csv:\n%s", b)
	}
	assertMode(t, csvPath, 0o600)
	if _, _, err := run(t, "", "roster", "codes", "--unit", "不存在", "--config", cfg); err == nil || !strings.Contains(err.Error(), "unknown unit") {
		t.Fatalf("unknown unit: %v", err)
	}
}

// The database, its lock and every export are readable by the bot's user
// only.
func TestFilesAreTheOwnersOnly(t *testing.T) {
	cfg, dir := writeConfig(t, "")
	if _, errs, err := run(t, ":as 王老师\n/whoami\n", "run", "--config", cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	assertMode(t, filepath.Join(dir, "bot.db"), 0o600)
	assertMode(t, filepath.Join(dir, "bot.db.lock"), 0o600)
	report := filepath.Join(dir, "reports", "sla.xlsx")
	if _, errs, err := run(t, "", "report", "sla", "--month", "2026-11", "--format", "xlsx", "--out", report, "--config", cfg); err != nil {
		t.Fatalf("report: %v %s", err, errs)
	}
	assertMode(t, report, 0o600)
	assertMode(t, filepath.Dir(report), 0o700)
	backup := filepath.Join(dir, "copy.db")
	if _, errs, err := run(t, "", "backup", backup, "--config", cfg); err != nil {
		t.Fatalf("backup: %v %s", err, errs)
	}
	assertMode(t, backup, 0o600)
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
