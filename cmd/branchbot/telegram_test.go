package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
)

func telegramConfig(t *testing.T, srv *telegramtest.Server, token string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := "data_dir: " + dir + "\nunits:\n  - name: 校党委\nroster:\n  seed_file: \"\"\n" +
		"platforms:\n  terminal:\n    enabled: false\n  telegram:\n    enabled: true\n" +
		"    token: \"" + token + "\"\n    api_url: " + srv.URL + "\n    poll_timeout: 2s\n"
	path := filepath.Join(dir, "branchbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunWithWrongTelegramTokenFailsFast(t *testing.T) {
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "")
	srv := telegramtest.New(t, telegramtest.Options{})
	path := telegramConfig(t, srv, "123456:WRONG-token")
	var out, errb bytes.Buffer
	start := time.Now()
	err := Main(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, []string{"run", "--config", path})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "platforms.telegram.token") {
		t.Fatalf("run with a wrong token: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s to fail", d)
	}
}

func TestRunAnswersOnTelegram(t *testing.T) {
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "")
	srv := telegramtest.New(t, telegramtest.Options{})
	path := telegramConfig(t, srv, srv.Token)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, []string{"run", "--config", path})
	}()
	srv.WaitCall(t, "getUpdates", 5*time.Second, nil)
	g := telegramtest.Group(-42, "测试群")
	srv.Say(g, telegramtest.Person(7, "李", "明"), "/help@BranchTestBot")
	c := srv.WaitCall(t, "sendMessage", 5*time.Second, func(c telegramtest.Call) bool { return c.Int("chat_id") == g.ID })
	if !strings.Contains(c.Params["text"], "/whoami") {
		t.Fatalf("help answer = %q", c.Params["text"])
	}
	// The menu (names the fake server checks as Telegram does) lists the
	// commands and the flat names of sub-commands, which reach them.
	menu := map[string]bool{}
	for _, c := range srv.Commands("default") {
		menu[c.Command] = true
	}
	for _, n := range []string{"checkin", "checkin_open", "checkin_close", "checkin_stats", "relay", "relay_close", "suggest_anon", "export"} {
		if !menu[n] {
			t.Errorf("the command menu has no /%s: %v", n, menu)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}
