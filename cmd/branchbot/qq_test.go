package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

// TestRunAnswersOnQQ: with platforms.qq enabled, `branchbot run` serves
// the reverse WebSocket, a bridge with the token from the environment
// connects, and a group command is answered through it.
func TestRunAnswersOnQQ(t *testing.T) {
	t.Setenv("BRANCHBOT_QQ_ACCESS_TOKEN", "env-token")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := "data_dir: " + dir + "\nunits:\n  - name: 校党委\nroster:\n  seed_file: \"\"\n" +
		"platforms:\n  terminal:\n    enabled: false\n  qq:\n    enabled: true\n    listen: \"" + addr + "\"\n    access_token: file-token\n"
	path := filepath.Join(dir, "branchbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, []string{"run", "--config", path})
	}()
	w := qqtest.NewWorld(10001, "支部助手")
	w.AddGroup(qqtest.Group{ID: 777, Name: "测试群", Members: []qqtest.Member{{UserID: 42, Nickname: "李明"}}})
	b := qqtest.Start(w, qqtest.Options{URL: "ws://" + addr + "/onebot/v11/ws", Token: "env-token"})
	defer b.Close()
	if !b.WaitConnected(10 * time.Second) {
		t.Fatalf("the bridge did not connect (refusals %v); log:\n%s", b.Refusals(), errb.String())
	}
	// Events that arrive before get_login_info confirmed the account are
	// kept until it has.
	if _, err := b.SayGroup(777, 42, qqtest.Text("/help")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(w.Delivered()) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	got := w.Delivered()
	if len(got) == 0 || !strings.Contains(got[0].Text(), "/whoami") {
		t.Fatalf("help answer = %v; log:\n%s", got, errb.String())
	}
	if strings.Contains(errb.String(), "env-token") {
		t.Error("the access token appears in the log")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}

// TestRunQQNeedsTokenOffLoopback: listening beyond loopback without an
// access token stops the start, naming the key.
func TestRunQQNeedsTokenOffLoopback(t *testing.T) {
	t.Setenv("BRANCHBOT_QQ_ACCESS_TOKEN", "")
	dir := t.TempDir()
	cfg := "data_dir: " + dir + "\nunits:\n  - name: 校党委\nroster:\n  seed_file: \"\"\n" +
		"platforms:\n  terminal:\n    enabled: false\n  qq:\n    enabled: true\n    listen: \"0.0.0.0:0\"\n"
	path := filepath.Join(dir, "branchbot.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := Main(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, []string{"run", "--config", path})
	if err == nil || !strings.Contains(err.Error(), "platforms.qq.access_token") {
		t.Fatalf("run without a token on 0.0.0.0: %v", err)
	}
}
