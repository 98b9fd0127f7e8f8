package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/bot/wechat"
)

func openTestApp(t *testing.T, admins string) *App {
	t.Helper()
	dir := t.TempDir()
	cfg := "data_dir: " + dir + "\nadmins: " + admins + "\nunits:\n  - name: 校党委\n    children:\n      - name: 第一党支部\n" +
		"roster:\n  seed_file: \"\"\nplatforms:\n  terminal:\n    enabled: true\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	app, err := Open(context.Background(), &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	app.Engine.AddPlatform(memchat.New("terminal", bot.Capabilities{Private: true}))
	return app
}

func pending(t *testing.T, app *App, platform string) []bot.OutboxMessage {
	t.Helper()
	ms, err := app.DB.OutboxHeads(context.Background(), platform, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestWeChatOfflineNoticeGoesToAdminPrivateChats(t *testing.T) {
	app := openTestApp(t, "[terminal:王老师]")
	ctx := context.Background()
	priv, err := app.DB.EnsureChat(ctx, "terminal", "private:王老师", bot.Private, "王老师")
	if err != nil {
		t.Fatal(err)
	}
	group, err := app.DB.EnsureChat(ctx, "terminal", "校党委群", bot.Group, "校党委群")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := app.Engine.Units().ByName("校党委")
	if err := app.DB.BindChat(ctx, group.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	notify := wechatOfflineNotifier(app)
	notify(ctx, errors.New("failed login check"))
	notify(ctx, errors.New("failed login check")) // a flapping session: still one notice
	ms := pending(t, app, "terminal")
	if len(ms) != 1 || ms[0].ChatID != priv.ID || !strings.Contains(ms[0].Text, "微信已掉线，请重新扫码") {
		t.Fatalf("notices = %+v, want one in the admin's private chat", ms)
	}
}

func TestWeChatOfflineNoticeFallsBackToRootGroups(t *testing.T) {
	app := openTestApp(t, "[terminal:王老师]")
	ctx := context.Background()
	group, err := app.DB.EnsureChat(ctx, "terminal", "校党委群", bot.Group, "校党委群")
	if err != nil {
		t.Fatal(err)
	}
	branch, err := app.DB.EnsureChat(ctx, "terminal", "支部群", bot.Group, "支部群")
	if err != nil {
		t.Fatal(err)
	}
	units := app.Engine.Units()
	root, _ := units.ByName("校党委")
	leaf, _ := units.ByName("第一党支部")
	_ = app.DB.BindChat(ctx, group.ID, root.ID)
	_ = app.DB.BindChat(ctx, branch.ID, leaf.ID)
	wechatOfflineNotifier(app)(ctx, errors.New("cookie invalid"))
	ms := pending(t, app, "terminal")
	if len(ms) != 1 || ms[0].ChatID != group.ID {
		t.Fatalf("notices = %+v, want one in the group bound to the top unit", ms)
	}
}

func TestWeChatOfflineNoticeSkipsPlatformsNotRunning(t *testing.T) {
	app := openTestApp(t, "[telegram:42]")
	ctx := context.Background()
	if _, err := app.DB.EnsureChat(ctx, "telegram", "42", bot.Private, "admin"); err != nil {
		t.Fatal(err)
	}
	wechatOfflineNotifier(app)(ctx, errors.New("failed login check"))
	if ms := pending(t, app, "telegram"); len(ms) != 0 {
		t.Fatalf("notice queued for a platform that is not running: %+v", ms)
	}
}

// TestRebindComesWithTheWeChatAdapter: /rebind is the WeChat adapter's own
// command, registered only when the adapter is enabled, for WeChat chats.
func TestRebindComesWithTheWeChatAdapter(t *testing.T) {
	app := openTestApp(t, "[]")
	if err := addWeChat(app, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, ok := app.Engine.Lookup("rebind"); ok {
		t.Fatal("/rebind registered without WeChat")
	}
	app.Config.Platforms.WeChat.Enabled = true
	if err := addWeChat(app, io.Discard); err != nil {
		t.Fatal(err)
	}
	spec, ok := app.Engine.Lookup("群改名")
	if !ok || spec.Name != "rebind" || spec.Platform != wechat.Name {
		t.Fatalf("/rebind with WeChat enabled: %+v, %v", spec, ok)
	}
}
