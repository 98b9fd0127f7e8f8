package wechat_test

// These tests run the real openwechat client against the fake web-WeChat
// server in wechattest, with the real engine and a real SQLite file. They
// pass under -race with no exclusions: our code calls the library from one
// goroutine only, and what the library's sync goroutine shares with it
// (login data, the cookie jar's map) is either written before that goroutine
// starts or written by us under a lock.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/bot/wechat/wechattest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

const (
	groupName  = "第一党支部群"
	otherGroup = "第二党支部群"
)

// checkin is a stand-in for the real check-in feature.
type checkin struct{}

func (checkin) Name() string { return "checkin-test" }
func (checkin) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{
		Name: "checkin", Aliases: []string{"签到"}, Summary: "签到", Usage: "/checkin", Where: bot.GroupOnly,
		Handler: func(ctx context.Context, r *bot.Request) error { return r.ReplyMention(ctx, "签到成功") },
	}}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newServer(t *testing.T, o wechattest.Options) *wechattest.Server {
	srv := wechattest.New(o)
	t.Cleanup(srv.Close)
	srv.AddGroup(wechattest.Group{Name: groupName, Saved: true, Members: []wechattest.Member{
		{NickName: "张三"}, {NickName: "lisi", DisplayName: "李四"},
	}})
	// Not saved to contacts: invisible until somebody speaks in it.
	srv.AddGroup(wechattest.Group{Name: otherGroup, Members: []wechattest.Member{{NickName: "赵六"}}})
	return srv
}

// rig is one run of the bot: engine, database, adapter.
type rig struct {
	t       *testing.T
	srv     *wechattest.Server
	db      *storage.DB
	eng     *bot.Engine
	p       *wechat.Platform
	qr      *syncBuffer
	logouts atomic.Int32
	cancel  context.CancelFunc
	done    chan error
}

type rigOptions struct {
	limits      bot.Limits
	push        bool
	onLogout    func(r *rig)
	admins      []string
	groupRetry  time.Duration
	pushTimeout time.Duration
	features    func(r *rig) []bot.Feature
	store       bool // give the adapter the database: its /rebind
	logger      *slog.Logger
}

func start(t *testing.T, srv *wechattest.Server, dir string, ro rigOptions) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := storage.Open(ctx, filepath.Join(dir, "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if ro.logger != nil {
		log = ro.logger
	}
	eng, err := bot.New(bot.Options{Store: db, Logger: log, Limits: map[string]bot.Limits{wechat.Name: ro.limits}, TickEvery: time.Hour, Admins: ro.admins})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Register(checkin{}); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, srv: srv, db: db, eng: eng, qr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	if ro.features != nil {
		for _, f := range ro.features(r) {
			if err := eng.Register(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	var store wechat.Store
	if ro.store {
		store = db
	}
	r.p = wechat.New(wechat.Options{
		Store:       store,
		SessionFile: filepath.Join(dir, "wechat-session.json"),
		QRFile:      filepath.Join(dir, "wechat-qr.png"),
		QROut:       r.qr,
		Logger:      log,
		Transport:   srv.Transport(),
		PushLogin:   ro.push,
		PushTimeout: ro.pushTimeout, LoginRetry: 50 * time.Millisecond,
		TooOftenBackoff: 300 * time.Millisecond, SyncErrorPause: 20 * time.Millisecond, GroupRetry: ro.groupRetry,
		OnLogout: func(ctx context.Context, reason error) {
			r.logouts.Add(1)
			if ro.onLogout != nil {
				ro.onLogout(r)
			}
		},
	})
	if err := eng.AddPlatform(r.p); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- eng.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("engine.Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		r.t.Error("engine did not stop")
	}
	r.cancel = nil
	r.db.Close()
}

func (r *rig) scan() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	uuid, err := r.srv.QR(ctx)
	if err != nil {
		r.t.Fatalf("no QR code was requested: %v", err)
	}
	r.srv.Scan(uuid)
	r.waitConnected()
}

func (r *rig) waitConnected() {
	r.t.Helper()
	if !wechattest.WaitFor(5*time.Second, r.p.Connected) {
		r.t.Fatal("not connected")
	}
}

func waitDelivered(t *testing.T, srv *wechattest.Server, n int) []wechattest.Sent {
	t.Helper()
	if !wechattest.WaitFor(8*time.Second, func() bool { return len(srv.Delivered()) >= n }) {
		t.Fatalf("delivered %d messages, want %d: %+v", len(srv.Delivered()), n, srv.Sent())
	}
	return srv.Delivered()
}

func (r *rig) groupChat() bot.Chat {
	r.t.Helper()
	var c bot.Chat
	ok := wechattest.WaitFor(3*time.Second, func() bool {
		var err error
		c, err = r.db.ChatByExternalID(context.Background(), wechat.Name, groupName)
		return err == nil
	})
	if !ok {
		r.t.Fatalf("group %s was not registered", groupName)
	}
	return c
}

func TestScanLoginAndCheckinReply(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	dir := t.TempDir()
	r := start(t, srv, dir, rigOptions{})
	r.scan()

	if !strings.Contains(r.qr.String(), "https://login.weixin.qq.com/qrcode/") {
		t.Errorf("QR code not printed for the terminal: %q", r.qr.String())
	}
	st, err := os.Stat(filepath.Join(dir, "wechat-session.json"))
	if err != nil {
		t.Fatalf("session not saved: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "wechat-qr.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("QR PNG should be removed after login, stat: %v", err)
	}
	chat := r.groupChat()
	if chat.Kind != bot.Group || chat.Title != groupName {
		t.Errorf("group registered as %+v", chat)
	}

	if err := srv.Say(groupName, "张三", "签到"); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 1)
	if got[0].Group != groupName || got[0].Content != "@张三\u2005签到成功" {
		t.Errorf("reply = %+v, want @张三 mention in %s", got[0], groupName)
	}
	m, err := r.db.EnsureMember(context.Background(), wechat.Name, groupName+"/张三", "")
	if err != nil || m.Name != "张三" {
		t.Errorf("member %+v, %v", m, err)
	}
	// A display name (群昵称) wins over the nickname.
	if err := srv.Say(groupName, "李四", "/签到"); err != nil {
		t.Fatal(err)
	}
	got = waitDelivered(t, srv, 2)
	if got[1].Content != "@李四\u2005签到成功" {
		t.Errorf("second reply = %q", got[1].Content)
	}
	// The unsaved group is unknown until it speaks; then it is answered too.
	if _, err := r.db.ChatByExternalID(context.Background(), wechat.Name, otherGroup); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a group not saved to contacts was registered at login: %v", err)
	}
	if err := srv.Say(otherGroup, "赵六", "签到"); err != nil {
		t.Fatal(err)
	}
	got = waitDelivered(t, srv, 3)
	if got[2].Group != otherGroup || got[2].Content != "@赵六\u2005签到成功" {
		t.Errorf("reply in the unsaved group = %+v", got[2])
	}
	if n := srv.CookieMisses("webpush.wx.qq.com") + srv.CookieMisses("wx.qq.com"); n != 0 {
		t.Errorf("%d requests without the session cookies", n)
	}
}

func TestQRCodePNG(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	dir := t.TempDir()
	r := start(t, srv, dir, rigOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := srv.QR(ctx); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "wechat-qr.png")
	var b []byte
	wechattest.WaitFor(2*time.Second, func() bool { b, _ = os.ReadFile(png); return len(b) > 0 })
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("QR file is not a PNG: %q", b[:min(len(b), 16)])
	}
	r.stop()
}

func TestHotLoginSurvivesRestarts(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	dir := t.TempDir()
	r := start(t, srv, dir, rigOptions{})
	r.scan()
	r.stop()

	for run := 2; run <= 3; run++ {
		before := srv.Hits("jslogin")
		r := start(t, srv, dir, rigOptions{})
		r.waitConnected()
		if srv.Hits("jslogin") != before {
			t.Fatalf("run %d asked for a QR code instead of logging in hot", run)
		}
		if err := srv.Say(groupName, "张三", "签到"); err != nil {
			t.Fatal(err)
		}
		got := waitDelivered(t, srv, run-1)
		if got[run-2].Group != groupName {
			t.Errorf("run %d: reply went to %q", run, got[run-2].Group)
		}
		r.stop()
	}
	if n := srv.CookieMisses("webpush.wx.qq.com"); n != 0 {
		t.Errorf("%d synccheck requests lost the domain cookies", n)
	}
	if srv.CookieHits("webpush.wx.qq.com") == 0 {
		t.Error("no synccheck reached the server")
	}
	if srv.Logins() != 3 {
		t.Errorf("logins = %d, want 3", srv.Logins())
	}
	// The file keeps the cookies' domains.
	var f struct {
		Cookies []struct{ Name, Domain string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "wechat-session.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	domains := map[string]string{}
	for _, c := range f.Cookies {
		domains[c.Name] = c.Domain
	}
	if domains["wxsid"] != "qq.com" || domains["wxloadtime"] != "wx.qq.com" {
		t.Errorf("saved cookie domains = %v", domains)
	}
}

func TestLogoutRelogin(t *testing.T) {
	for _, tc := range []struct {
		name               string
		push, rejectPush   bool // adapter tries push login; the phone ignores it
		wantScan, wantPush bool
	}{
		{name: "push", push: true, wantPush: true},
		{name: "qr", push: false, wantScan: true},
		{name: "push-ignored-then-qr", push: true, rejectPush: true, wantScan: true, wantPush: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, wechattest.Options{PushLogin: true, RejectPush: tc.rejectPush})
			dir := t.TempDir()
			var chatID atomic.Int64
			r := start(t, srv, dir, rigOptions{push: tc.push, pushTimeout: 300 * time.Millisecond, onLogout: func(r *rig) {
				// Messages queued while WeChat is away, e.g. a scheduled
				// notice, must wait and then go out once each.
				for _, text := range []string{"通知一", "通知二", "通知三"} {
					if _, err := r.eng.Send(context.Background(), bot.Outgoing{ChatID: chatID.Load(), Text: text}); err != nil {
						t.Error(err)
					}
				}
			}})
			r.scan()
			chatID.Store(r.groupChat().ID)
			if err := srv.Say(groupName, "张三", "签到"); err != nil {
				t.Fatal(err)
			}
			first := waitDelivered(t, srv, 1)[0]

			srv.Logout("1101")
			if !wechattest.WaitFor(5*time.Second, func() bool { return r.logouts.Load() == 1 }) {
				t.Fatal("logout not reported")
			}
			if tc.wantScan {
				time.Sleep(300 * time.Millisecond)
				if n := len(srv.Delivered()); n != 1 {
					t.Fatalf("%d messages delivered while logged out", n)
				}
				if r.p.Connected() {
					t.Fatal("connected without a scan")
				}
				r.scan()
			}
			waitDelivered(t, srv, 4)
			time.Sleep(200 * time.Millisecond) // anything sent twice would show now
			got := srv.Delivered()
			var texts []string
			for _, m := range got[1:] {
				texts = append(texts, m.Content)
				if m.Group != groupName || m.ToUserName == first.ToUserName {
					t.Errorf("message %q went to %s (%s); the group's UserName must be re-resolved", m.Content, m.Group, m.ToUserName)
				}
			}
			if strings.Join(texts, ",") != "通知一,通知二,通知三" {
				t.Errorf("after re-login delivered %q, want each notice once in order", texts)
			}
			if srv.Logins() != 2 {
				t.Errorf("logins = %d, want 2", srv.Logins())
			}
			if qrs := srv.Hits("jslogin"); (qrs == 2) != tc.wantScan {
				t.Errorf("QR codes requested: %d", qrs)
			}
			if (srv.Pushes() > 0) != tc.wantPush {
				t.Errorf("push logins tried: %d", srv.Pushes())
			}
		})
	}
}

func TestTooOftenBacksOff(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	r := start(t, srv, t.TempDir(), rigOptions{})
	r.scan()
	chat := r.groupChat()
	srv.FailSends(1205)
	if _, err := r.eng.Send(context.Background(), bot.Outgoing{ChatID: chat.ID, Text: "通知"}); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 1)
	sent := srv.Sent()
	if len(sent) != 2 || sent[0].Ret != 1205 {
		t.Fatalf("sends = %+v, want one refused with 1205 then one accepted", sent)
	}
	if wait := got[0].At.Sub(sent[0].At); wait < 300*time.Millisecond {
		t.Errorf("sent again after %v, want a pause of at least 300ms", wait)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.Delivered()); n != 1 {
		t.Errorf("delivered %d times", n)
	}
}

func TestPacing(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	gap := 100 * time.Millisecond
	r := start(t, srv, t.TempDir(), rigOptions{limits: bot.Limits{MinGap: gap, MaxGap: 150 * time.Millisecond}})
	r.scan()
	chat := r.groupChat()
	for _, text := range []string{"一", "二", "三", "四"} {
		if _, err := r.eng.Send(context.Background(), bot.Outgoing{ChatID: chat.ID, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	got := waitDelivered(t, srv, 4)
	for i := 1; i < len(got); i++ {
		if d := got[i].At.Sub(got[i-1].At); d < gap {
			t.Errorf("send %d came %v after the previous one, want at least %v", i, d, gap)
		}
	}
	if got[0].Content != "一" || got[3].Content != "四" {
		t.Errorf("order: %+v", got)
	}
}

func TestRenamedGroupKeepsItsQueueAfterRebind(t *testing.T) {
	srv := newServer(t, wechattest.Options{PushLogin: true})
	r := start(t, srv, t.TempDir(), rigOptions{
		push: true, groupRetry: 200 * time.Millisecond,
		admins: []string{"wechat:" + groupName + "/张三"},
		store:  true,
	})
	r.scan()
	ctx := context.Background()
	chat := r.groupChat()
	if err := r.db.SyncUnits(ctx, []core.UnitDef{{Name: "第一党支部"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.eng.ReloadUnits(ctx); err != nil {
		t.Fatal(err)
	}
	unit, _ := r.eng.Units().ByName("第一党支部")
	if err := r.db.BindChat(ctx, chat.ID, unit.ID); err != nil {
		t.Fatal(err)
	}

	const renamed = "第一党支部委员会"
	srv.RenameGroup(groupName, renamed)
	srv.Logout("1101") // the rename is noticed at the next login
	if !wechattest.WaitFor(5*time.Second, func() bool { return r.logouts.Load() == 1 && r.p.Connected() }) {
		t.Fatal("no re-login")
	}
	if _, err := r.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "支部通知"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(srv.Delivered()); n != 0 {
		t.Fatalf("%d messages delivered to a group that cannot be found", n)
	}
	// The admin re-binds in the renamed group; the waiting notice follows.
	if err := srv.Say(renamed, "张三", "/rebind "+groupName); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 2)
	var texts []string
	for _, m := range got {
		if m.Group != renamed {
			t.Errorf("%q went to %q", m.Content, m.Group)
		}
		texts = append(texts, m.Content)
	}
	if !strings.Contains(strings.Join(texts, "|"), "支部通知") || !strings.Contains(strings.Join(texts, "|"), "本群绑定在「第一党支部」") {
		t.Errorf("delivered %q", texts)
	}
	c, err := r.db.ChatByExternalID(ctx, wechat.Name, renamed)
	if err != nil || c.ID != chat.ID || c.UnitID != unit.ID {
		t.Errorf("renamed chat %+v, %v", c, err)
	}
}

// slow has a command that blocks until released, one that echoes and one
// that panics.
type slow struct{ entered, release chan struct{} }

func (slow) Name() string { return "slow-test" }
func (f slow) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{Name: "wait", Aliases: []string{"等待"}, Handler: func(ctx context.Context, r *bot.Request) error {
			close(f.entered)
			<-f.release
			return r.Reply(ctx, "等完了")
		}},
		{Name: "echo", Aliases: []string{"复述"}, Handler: func(ctx context.Context, r *bot.Request) error {
			return r.Reply(ctx, r.Command.ArgText)
		}},
		{Name: "boom", Aliases: []string{"爆炸"}, Handler: func(ctx context.Context, r *bot.Request) error {
			panic("boom")
		}},
	}
}

func TestMessagesInOrderWithoutBlockingTheSyncLoop(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	f := slow{entered: make(chan struct{}), release: make(chan struct{})}
	r := start(t, srv, t.TempDir(), rigOptions{features: func(*rig) []bot.Feature { return []bot.Feature{f} }})
	r.scan()
	if err := srv.Say(groupName, "张三", "爆炸"); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 1)
	if !strings.Contains(got[0].Content, "出错") {
		t.Errorf("after a panic: %q", got[0].Content)
	}

	if err := srv.Say(groupName, "张三", "等待"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-f.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the wait command never ran")
	}
	syncs := srv.Hits("webwxsync")
	for _, n := range []string{"1", "2", "3"} {
		if err := srv.Say(groupName, "李四", "复述 "+n); err != nil {
			t.Fatal(err)
		}
	}
	// The handler is stuck, yet the library keeps fetching messages.
	if !wechattest.WaitFor(3*time.Second, func() bool { return srv.Hits("webwxsync") > syncs }) {
		t.Fatal("the sync loop stopped while a handler was busy")
	}
	if n := len(srv.Delivered()); n != 1 {
		t.Fatalf("%d replies before the busy handler finished", n)
	}
	close(f.release)
	got = waitDelivered(t, srv, 5)
	var texts []string
	for _, m := range got[1:] {
		texts = append(texts, m.Content)
	}
	if strings.Join(texts, ",") != "等完了,1,2,3" {
		t.Errorf("replies %q, want them in message order", texts)
	}
}

func TestPrivateChatWithFriend(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	srv.AddFriend("王老师")
	f := slow{}
	r := start(t, srv, t.TempDir(), rigOptions{features: func(*rig) []bot.Feature { return []bot.Feature{f} }})
	r.scan()
	if err := srv.SayPrivate("王老师", "复述 你好"); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 1)
	if got[0].Friend != "王老师" || got[0].Group != "" || got[0].Content != "你好" {
		t.Errorf("private reply = %+v", got[0])
	}
	c, err := r.db.ChatByExternalID(context.Background(), wechat.Name, "private:王老师")
	if err != nil || c.Kind != bot.Private {
		t.Errorf("private chat %+v, %v", c, err)
	}
}

func TestSendRefusedAsLoggedOutLogsInAgain(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	dir := t.TempDir()
	r := start(t, srv, dir, rigOptions{})
	r.scan()
	chat := r.groupChat()
	srv.FailSends(1101) // the server dropped the session; synccheck has not said so yet
	if _, err := r.eng.Send(context.Background(), bot.Outgoing{ChatID: chat.ID, Text: "通知"}); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 1)
	if got[0].Content != "通知" || len(srv.Sent()) != 2 {
		t.Errorf("sends %+v", srv.Sent())
	}
	if r.logouts.Load() != 1 || srv.Logins() != 2 || srv.Hits("jslogin") != 1 {
		t.Errorf("logouts %d, logins %d, QR codes %d: want one hot re-login", r.logouts.Load(), srv.Logins(), srv.Hits("jslogin"))
	}
}

// A file larger than one upload chunk (512 KiB) goes up in chunks, with the
// session's data ticket and pass ticket, and arrives whole under its name
// after its caption. When WeChat refuses the file after taking the caption,
// the outbox's retry sends the file alone: the caption is not repeated.
func TestFileInChunksCaptionOnce(t *testing.T) {
	srv := newServer(t, wechattest.Options{})
	r := start(t, srv, t.TempDir(), rigOptions{})
	r.scan()
	chat := r.groupChat()

	data := bytes.Repeat([]byte("姓名,学号\n张三,2023001\n"), 40000) // about 1.1 MB: three chunks
	path := filepath.Join(t.TempDir(), "签到-1.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var refused atomic.Bool
	srv.OnSend(func(s wechattest.Sent) int {
		if s.File != nil && refused.CompareAndSwap(false, true) {
			return 1205
		}
		return 0
	})
	if _, err := r.eng.Send(context.Background(), bot.Outgoing{ChatID: chat.ID, Text: "签到 #1 的名单", File: path}); err != nil {
		t.Fatal(err)
	}
	got := waitDelivered(t, srv, 2)
	if got[0].Content != "签到 #1 的名单" || got[0].File != nil {
		t.Errorf("first delivered %+v, want the caption", got[0])
	}
	f := got[1].File
	if f == nil || f.Name != "签到-1.csv" || !bytes.Equal(f.Data, data) || got[1].Group != groupName {
		t.Fatalf("second delivered %+v, want the whole file in %s", got[1], groupName)
	}
	if !refused.Load() {
		t.Error("the first upload was not refused")
	}
	if n := srv.Hits("webwxuploadmedia"); n < 6 {
		t.Errorf("%d upload requests, want three chunks twice", n)
	}
	if n := srv.CookieMisses("file.wx.qq.com"); n != 0 {
		t.Errorf("%d uploads lacked the session cookies", n)
	}
	captions := 0
	for _, s := range srv.Sent() {
		if s.Content == "签到 #1 的名单" {
			captions++
		}
	}
	if captions != 1 {
		t.Errorf("the caption was sent %d times, want once", captions)
	}
}
