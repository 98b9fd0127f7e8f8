package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/commandtest"
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
	srv.WaitCall(t, "setMyCommands", 5*time.Second, nil) // the default scope's, set first
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

// TestTelegramUnreachableAtStartKeepsTheBotUp: getMe fails (the Bot API is
// down) when the bot starts: the terminal serves meanwhile, getMe is asked
// again with backoff, and Telegram serves once it answers.
func TestTelegramUnreachableAtStartKeepsTheBotUp(t *testing.T) {
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "")
	srv := telegramtest.New(t, telegramtest.Options{})
	var up atomic.Bool
	srv.OnCall(func(c telegramtest.Call) *telegramtest.Failure {
		if !up.Load() {
			return &telegramtest.Failure{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	cfg, _ := writeConfig(t, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "    token: \"\"", "    token: \""+srv.Token+"\"", 1)
	s = strings.Replace(s, "api_url: https://api.telegram.org", "api_url: "+srv.URL, 1)
	s = strings.Replace(s, "poll_timeout: 30s", "poll_timeout: 2s", 1)
	s = strings.Replace(s, "  telegram:\n    enabled: false", "  telegram:\n    enabled: true", 1)
	if err := os.WriteFile(cfg, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	in, w := io.Pipe()
	defer w.Close()
	out, errb := &commandtest.SyncBuffer{}, &commandtest.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, &Env{Stdin: in, Stdout: out, Stderr: errb}, []string{"run", "--config", cfg})
	}()
	// The terminal answers while Telegram is down.
	go io.WriteString(w, ":as 张三\n/whoami\n")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "你是") {
		select {
		case err := <-done:
			t.Fatalf("the bot stopped while Telegram was down: %v\n%s", err, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal did not answer while Telegram was down:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	up.Store(true)
	srv.WaitCall(t, "getUpdates", 10*time.Second, func(c telegramtest.Call) bool { return c.Failure == nil })
	g := telegramtest.Group(-43, "测试群")
	srv.Say(g, telegramtest.Person(7, "李", "明"), "/help@BranchTestBot")
	srv.WaitCall(t, "sendMessage", 10*time.Second, func(c telegramtest.Call) bool { return c.Int("chat_id") == g.ID && c.Failure == nil })
	if n := len(srv.Calls("getMe")); n < 2 {
		t.Errorf("getMe was asked %d times, want again after the failure", n)
	}
	cancel()
	w.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestEmptyConfigWarnsThatDefaultsAreUsed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, _ := run(t, "", "run", "--config", cfg)
	if !strings.Contains(stderr, "empty.yaml is empty: the built-in defaults are used") {
		t.Fatalf("no warning about the empty config:\n%s", stderr)
	}
}
