package main

import (
	"net"
	"os"
	"strings"
	"testing"
)

// consoleConfig is writeConfig's demo config with the console on listen.
func consoleConfig(t *testing.T, listen string) string {
	t.Helper()
	cfg, _ := writeConfig(t, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "listen: 127.0.0.1:8080", "listen: "+listen, 1)
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRunKeepsServingChatsWhenConsolePortIsTaken: another process holds
// the console's port; the run says so in one line and the chat works.
func TestRunKeepsServingChatsWhenConsolePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := consoleConfig(t, ln.Addr().String())
	out, errs, err := run(t, ":as 张三\n/whoami\n", "run", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs)
	}
	if !strings.Contains(out, "你是 张三，尚未绑定花名册") {
		t.Fatalf("the chat did not answer:\n%s", out)
	}
	var lines []string
	for _, l := range strings.Split(errs, "\n") {
		if strings.Contains(l, "console") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "console not started") || !strings.Contains(lines[0], ln.Addr().String()) {
		t.Fatalf("want one line saying the console did not start on %s, got:\n%s", ln.Addr(), errs)
	}
}

func TestConsolePasswdCommand(t *testing.T) {
	cfg := consoleConfig(t, "127.0.0.1:0")
	out, errs, err := run(t, "组织部刘芳的密码2026\n", "console", "passwd", "T0003", "--config", cfg)
	if err != nil || !strings.Contains(out, "console password set for 刘芳 (T0003)") {
		t.Fatalf("passwd: %v\n%s%s", err, out, errs)
	}
	if _, _, err := run(t, "一个足够长的密码\n", "console", "passwd", "2023001", "--config", cfg); err == nil ||
		!strings.Contains(err.Error(), "only staff, secretaries and admins") {
		t.Fatalf("a member's password: err = %v", err)
	}
	if _, _, err := run(t, "short\n", "console", "passwd", "T0004", "--config", cfg); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("a short password: err = %v", err)
	}
	if _, _, err := run(t, "", "console", "passwd", "T0004", "--config", cfg); err == nil {
		t.Fatal("an empty standard input set a password")
	}
}
