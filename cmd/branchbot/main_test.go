package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/storage"
)

// writeConfig writes a config using the repository's demo roster and a
// database in a temporary folder, and returns its path.
func writeConfig(t *testing.T, extra string) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "configs/branchbot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	s = strings.Replace(s, "data_dir: data", "data_dir: "+dir, 1)
	s = strings.Replace(s, "database: data/branchbot.db", "database: "+filepath.Join(dir, "bot.db"), 1)
	s = strings.Replace(s, "seed_file: configs/demo_roster.csv", "seed_file: "+filepath.Join(root, "configs/demo_roster.csv"), 1)
	s = strings.Replace(s, "log_level: info", "log_level: warn", 1)
	s += extra
	cfgPath = filepath.Join(dir, "branchbot.yaml")
	if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = Main(context.Background(), &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, args)
	return out.String(), errb.String(), err
}

// TestRunPipedProcessesEveryLineAndExits runs README's quick start: the
// demo admin binds a group, a member asks to be linked, the demo's branch
// secretary (linked by the demo config's preset) confirms.
func TestRunPipedProcessesEveryLineAndExits(t *testing.T) {
	cfg, _ := writeConfig(t, "")
	in := ":as 王老师\n/bind 第一党支部\n:as 张三\n/iam 2023001 张三\n:as 周书记\n/approve_link 1\n:as 张三\n/whoami\n:private\n/whoami\n"
	out, errs, err := run(t, in, "run", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	want := []string{
		"[第一党支部] branchbot: 已将本群绑定到「第一党支部」。",
		"[第一党支部] branchbot: @张三 已提交绑定申请 #1：张三（2023001，第一党支部）。等待第一党支部的书记（周书记）确认，确认后会通知你。",
		"也可以向书记索取绑定码，发送 /iam 2023001 张三 <绑定码> 立即绑定。",
		"[第一党支部] branchbot: 绑定申请 #1：账号「张三」申请绑定为 张三（2023001，第一党支部的党员）。",
		"请先核实是本人，再发送 /links approve 1 确认，或 /links reject 1 [理由] 拒绝。",
		"[第一党支部] branchbot: 已确认绑定申请 #1：账号「张三」绑定为 张三（2023001）。",
		"[第一党支部] branchbot: @张三 你的绑定申请 #1 已由 周书记 确认，绑定成功：张三，第一党支部的党员。",
		"[第一党支部] branchbot: 你是 张三（2023001），第一党支部，党员（经书记确认绑定）。",
		"本群绑定在「第一党支部」。",
		"[私聊 张三] branchbot: 你是 张三（2023001），第一党支部，党员（经书记确认绑定）。",
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("output:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
	// The state survives: a second run sees the binding and the link.
	out, _, err = run(t, ":as 张三\n/whoami\n", "run", "--config", cfg)
	if err != nil || !strings.Contains(out, "张三（2023001）") || !strings.Contains(out, "本群绑定在「第一党支部」") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
}

func TestBrokenConfigNamesKey(t *testing.T) {
	cfg, _ := writeConfig(t, "\nbogus_key: 1\n")
	_, _, err := run(t, "", "run", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), `unknown key "bogus_key"`) || !strings.Contains(err.Error(), "line") {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := run(t, "", "run", "--config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("a missing named config must fail")
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	if _, _, err := run(t, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), "frobnicate") {
		t.Fatalf("err = %v", err)
	}
	out, _, err := run(t, "", "--help")
	if err != nil || !strings.Contains(out, "roster import") {
		t.Fatalf("help: %v %q", err, out)
	}
	_, errs, err := run(t, "", "backup", "--help")
	if err == nil || !strings.Contains(errs, "usage: branchbot backup") {
		t.Fatalf("backup --help: %v %q", err, errs)
	}
}

func TestMigrateBackupAndRosterImport(t *testing.T) {
	cfg, dir := writeConfig(t, "")
	if out, _, err := run(t, "", "migrate", "--config", cfg); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %v %q", err, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("姓名,学号,单位,角色\n新人,2024001,第一党支部,党员\n,2024002,第一党支部,\n"), 0o644)
	_, errs, err := run(t, "", "roster", "import", bad, "--config", cfg)
	if err == nil || !strings.Contains(errs, "第 3 行：缺少姓名") {
		t.Fatalf("bad import: %v %q", err, errs)
	}
	out, _, err := run(t, "", "roster", "import", "--skip-bad", bad, "--config", cfg)
	if err != nil || !strings.Contains(out, "1 added") {
		t.Fatalf("skip-bad import: %v %q", err, out)
	}
	backup := filepath.Join(dir, "copy.db")
	if _, _, err := run(t, "", "backup", backup, "--config", cfg); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e, err := db.RosterByNumber(context.Background(), "2024001")
	if err != nil || e.Name != "新人" {
		t.Fatalf("backup lacks the imported entry: %+v %v", e, err)
	}
	if _, _, err := run(t, "", "backup", backup, "--config", cfg); err == nil {
		t.Fatal("backup over an existing file must fail")
	}
}

func TestHolidaysAndDeadline(t *testing.T) {
	cfg, _ := writeConfig(t, "")
	out, _, err := run(t, "", "sla", "deadline", "2026-02-13T16:00:00+08:00", "--config", cfg)
	if err != nil || strings.TrimSpace(out) != "2026-02-24T17:30:00+08:00" {
		t.Fatalf("deadline: %v %q", err, out)
	}
	// The close of business comes from the config, read as the bot reads it.
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(b), `close_of_business: "17:30"`, `close_of_business: " 16:00"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, "", "sla", "deadline", "2026-02-13T16:00:00+08:00", "--config", cfg)
	if err != nil || strings.TrimSpace(out) != "2026-02-24T16:00:00+08:00" {
		t.Fatalf("deadline with close_of_business 16:00: %v %q", err, out)
	}
	out, _, err = run(t, "", "holidays", "2026", "--config", cfg)
	if err != nil || !strings.Contains(out, "2026-02-14 周六 上班 春节调休（内置）") || !strings.Contains(out, "（来源：内置的国务院办公厅放假通知）") {
		t.Fatalf("holidays: %v %q", err, out)
	}
	// A past year is not "not yet published", and no source is in English.
	out, _, err = run(t, "", "holidays", "1999", "--config", cfg)
	if err != nil || !strings.HasPrefix(out, "1999年的官方节假日安排未收录") || strings.Contains(out, "尚未发布") ||
		strings.Contains(out, "provisional") || strings.Contains(out, "built-in") {
		t.Fatalf("holidays 1999: %v %q", err, out)
	}
	if _, _, err := run(t, "", "holidays", "next", "--config", cfg); err == nil {
		t.Fatal("want an error for a bad year")
	}
}

// A second bot on the same database is refused while the first runs, and
// starts once it has stopped.
func TestSecondBotOnOneDatabaseRefused(t *testing.T) {
	cfg, _ := writeConfig(t, "")
	stdin, feed := io.Pipe()
	var out commandtest.SyncBuffer
	first := make(chan error, 1)
	go func() {
		first <- Main(context.Background(), &Env{Stdin: stdin, Stdout: &out, Stderr: io.Discard}, []string{"run", "--config", cfg})
	}()
	// The first bot is running once it answers.
	if _, err := io.WriteString(feed, "/whoami\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "branchbot") {
		if time.Now().After(deadline) {
			t.Fatalf("first bot never answered: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, _, err := run(t, "", "run", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "another branchbot is already running") {
		t.Fatalf("second bot: %v", err)
	}
	feed.Close()
	if err := <-first; err != nil {
		t.Fatalf("first bot: %v", err)
	}
	if _, _, err := run(t, "", "run", "--config", cfg); err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
}

// A roster saved by Chinese Excel (GBK) imports like UTF-8; the counts say
// what changed; entries missing from the file are kept unless
// --remove-missing takes them off, after which they neither link nor hold
// a role, while the rest stay as they were.
func TestRosterImportGBKAndRemoveMissing(t *testing.T) {
	cfg, dir := writeConfig(t, "")
	// 陈书记 is linked (by the demo's preset) while he is on the roster.
	out, _, err := run(t, ":group 第二党支部\n:as 陈书记\n/whoami\n", "run", "--config", cfg)
	if err != nil || !strings.Contains(out, "你是 陈书记（T0008）") {
		t.Fatalf("link: %v\n%s", err, out)
	}
	demo, err := os.ReadFile(filepath.Join("..", "..", "configs", "demo_roster.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(strings.TrimSpace(string(demo)), "\n") {
		switch {
		case strings.HasPrefix(l, "王五,"), strings.HasPrefix(l, "陈书记,"): // graduated
		case strings.HasPrefix(l, "李四,"):
			rows = append(rows, "李四,2023002,第一党支部,党员,13900000000")
		default:
			rows = append(rows, l)
		}
	}
	rows = append(rows, "新生,2025001,2023级1班,学生,")
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.Join(rows, "\r\n") + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "花名册.csv")
	os.WriteFile(file, []byte(gbk), 0o644)

	out, errs, err := run(t, "", "roster", "import", file, "--config", cfg)
	if err != nil {
		t.Fatalf("GBK import: %v\n%s", err, errs)
	}
	for _, want := range []string{"1 added, 1 updated, 11 unchanged, 0 bad row(s) skipped",
		"2 on the roster but not in the file, kept (use --remove-missing to take them off)", "2023003 王五 (第一党支部)", "T0008 陈书记 (第二党支部)"} {
		if !strings.Contains(out, want) {
			t.Errorf("import without --remove-missing printed:\n%s\nwant %q", out, want)
		}
	}
	out, _, err = run(t, "", "roster", "import", "--remove-missing", file, "--config", cfg)
	if err != nil || !strings.Contains(out, "0 added, 0 updated, 13 unchanged") || !strings.Contains(out, "2 not in the file taken off the roster") {
		t.Fatalf("--remove-missing: %v\n%s", err, out)
	}
	out, _, err = run(t, "", "roster", "import", "--remove-missing", file, "--config", cfg)
	if err != nil || strings.Contains(out, "taken off") {
		t.Fatalf("a second --remove-missing found someone missing again: %v\n%s", err, out)
	}
	// The graduates: no /iam, no secretary's role; the others unchanged.
	out, _, err = run(t, ":group 第二党支部\n:as 陈书记\n/whoami\n/checkin open 支部大会\n:as 王五\n/iam 2023003 王五\n:as 新生\n/iam 2025001 新生\n", "run", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"你是 陈书记，尚未绑定花名册", "本群尚未绑定单位，在这里只有管理员可以使用", "学号/工号与姓名不符，或花名册中没有该学号/工号",
		"已提交绑定申请 #1：新生（2025001，2023级1班）"} {
		if !strings.Contains(out, want) {
			t.Errorf("after the removal the bot said:\n%s\nwant %q", out, want)
		}
	}
	// A bad row and --remove-missing: nothing is taken off for a typo.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("姓名,学号,单位\n张三,2023001,第一党支部\n李四,2023002,第一支部\n"), 0o644)
	if _, _, err := run(t, "", "roster", "import", "--skip-bad", "--remove-missing", bad, "--config", cfg); err == nil || !strings.Contains(err.Error(), "--remove-missing needs every row good") {
		t.Errorf("--skip-bad --remove-missing with a bad row: %v", err)
	}
	// Bytes that are no text a roster is saved in are refused as such.
	utf16 := filepath.Join(dir, "unicode.csv")
	os.WriteFile(utf16, []byte("\xff\xfe\x13\x59\x0d\x54"), 0o644)
	if _, _, err := run(t, "", "roster", "import", utf16, "--config", cfg); err == nil || !strings.Contains(err.Error(), "neither UTF-8 nor GBK/GB18030") {
		t.Errorf("UTF-16 roster: %v", err)
	}
}

// Log lines carry the configured time zone, like every time the bot shows,
// whatever the machine's zone.
func TestLogTimesInConfiguredZone(t *testing.T) {
	cfg, _ := writeConfig(t, "")
	_, errs, err := run(t, "", "holidays", "2099", "--config", cfg) // logs a warning: no official schedule
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^time=\S+\+08:00 level=WARN `).MatchString(errs) {
		t.Errorf("log not in China time:\n%s", errs)
	}
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "timezone: Asia/Shanghai", "timezone: America/New_York", 1)), 0o644)
	_, errs, err = run(t, "", "holidays", "2099", "--config", cfg)
	if err != nil || !regexp.MustCompile(`(?m)^time=\S+-0[45]:00 level=WARN `).MatchString(errs) {
		t.Errorf("log not in the configured zone: %v\n%s", err, errs)
	}
}
