package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

// Test people. adminUser is a configured admin (telegram:1001).
var (
	adminUser = telegramtest.Person(1001, "王", "老师")
	member    = telegramtest.Person(2002, "张", "三")
)

const longData = "/checkin here 这是一段很长的按钮数据，远远超过了六十四个字节的限制，所以必须换成短令牌"

// rollCall is a small check-in feature for the tests: /checkin posts an
// announcement with buttons, a press counts and edits the announcement.
type rollCall struct {
	mu       sync.Mutex
	announce map[int64]int64 // chat → outbox id of the announcement
	count    map[int64]int
	presses  []string // button data as received

	slowStarted chan struct{}
	slowRelease chan struct{}
	slowDone    chan error
}

func newRollCall() *rollCall {
	return &rollCall{
		announce: map[int64]int64{}, count: map[int64]int{},
		slowStarted: make(chan struct{}, 1), slowRelease: make(chan struct{}), slowDone: make(chan error, 1),
	}
}

func (f *rollCall) Name() string { return "rollcall" }

func (f *rollCall) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{Name: "checkin", Aliases: []string{"签到"}, Summary: "发起或参加签到", Where: bot.GroupOnly, Handler: f.checkin},
		{Name: "ping", Aliases: []string{"测试"}, Summary: "测试机器人是否在线", Handler: func(ctx context.Context, r *bot.Request) error {
			return r.Reply(ctx, strings.TrimSpace("pong "+r.Command.ArgText))
		}},
		{Name: "hello", Summary: "打招呼", Handler: func(ctx context.Context, r *bot.Request) error {
			return r.ReplyMention(ctx, "你好")
		}},
		{Name: "secret", Summary: "只在私聊使用", Where: bot.PrivateOnly, Handler: func(ctx context.Context, r *bot.Request) error {
			return r.Reply(ctx, "私聊收到")
		}},
		{Name: "slow", Summary: "慢命令", Handler: f.slow},
		{Name: "boom", Summary: "会崩溃的命令", Handler: func(context.Context, *bot.Request) error { panic("boom") }},
	}
}

func keyboard() [][]bot.Button {
	return [][]bot.Button{{{Text: "我到了", Data: "/checkin here"}}, {{Text: "长按钮", Data: longData}}, {{Text: "刷新", Data: "/checkin same"}}}
}

func (f *rollCall) checkin(ctx context.Context, r *bot.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !r.IsButton() {
		id, err := r.Send(ctx, bot.Outgoing{ChatID: r.Chat.ID, Text: "点名开始，已签到 0 人", Buttons: keyboard()})
		f.announce[r.Chat.ID] = id
		f.count[r.Chat.ID] = 0
		return err
	}
	f.presses = append(f.presses, r.Message.Text)
	if len(r.Command.Args) > 0 && r.Command.Args[0] == "here" {
		f.count[r.Chat.ID]++
		if err := r.Reply(ctx, "签到成功"); err != nil {
			return err
		}
	}
	_, err := r.Send(ctx, bot.Outgoing{
		ChatID: r.Chat.ID, Text: "点名开始，已签到 " + itoa(f.count[r.Chat.ID]) + " 人",
		Buttons: keyboard(), EditOf: f.announce[r.Chat.ID],
	})
	return err
}

func (f *rollCall) slow(ctx context.Context, r *bot.Request) error {
	f.slowStarted <- struct{}{}
	<-f.slowRelease
	err := r.Reply(ctx, "慢任务完成")
	f.slowDone <- err
	return err
}

func itoa(n int) string { return strconv.Itoa(n) }

type env struct {
	t    *testing.T
	srv  *telegramtest.Server
	db   *storage.DB
	eng  *bot.Engine
	tg   *telegram.Platform
	feat *rollCall

	cancel context.CancelFunc
	done   chan error
}

type envOptions struct {
	limits  bot.Limits
	webhook telegram.Webhook
	grace   time.Duration
	logs    *commandtest.SyncBuffer // also gets the log, if set
	logger  *slog.Logger            // the log, if set (else testLogger)
	client  *http.Client            // the adapter's HTTP client, if set
	timeout time.Duration           // the adapter's send timeout, if set
}

func testLogger() *slog.Logger {
	if os.Getenv("TELEGRAM_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs the real engine with the Telegram adapter against a fake Bot
// API server.
func start(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	srv := telegramtest.New(t, telegramtest.Options{})
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "校党委"}, {Name: "第一党支部", Parent: "校党委"}}); err != nil {
		t.Fatal(err)
	}
	log := o.logger
	if log == nil {
		log = testLogger()
	}
	if o.logs != nil {
		log = slog.New(slog.NewTextHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	eng, err := bot.New(bot.Options{
		Store: db, Logger: log, Admins: []string{"telegram:1001"}, TickEvery: time.Hour,
		Limits: map[string]bot.Limits{telegram.Name: o.limits}, ShutdownGrace: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	feat := newRollCall()
	for _, f := range []bot.Feature{core.New(eng, db, core.Options{}), feat} {
		if err := eng.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := telegram.New(ctx, telegram.Options{
		Token: srv.Token, APIURL: srv.URL, PollTimeout: 2 * time.Second,
		Commands: eng.Commands, Buttons: db, Logger: log, Webhook: o.webhook, ShutdownGrace: o.grace,
		HTTPClient: o.client, SendTimeout: o.timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	eng.AddPlatform(tg)
	runCtx, cancel := context.WithCancel(ctx)
	e := &env{t: t, srv: srv, db: db, eng: eng, tg: tg, feat: feat, cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- eng.Run(runCtx) }()
	t.Cleanup(func() { e.stop() })
	return e
}

// stop cancels the engine and waits for Run to return.
func (e *env) stop() error {
	e.cancel()
	select {
	case err := <-e.done:
		e.done <- err // later calls see the same result
		return err
	case <-time.After(15 * time.Second):
		e.t.Fatal("engine did not stop")
		return nil
	}
}

func sendTo(chat int64, text string) func(telegramtest.Call) bool {
	return func(c telegramtest.Call) bool {
		return c.Failure == nil && c.Int("chat_id") == chat && strings.Contains(c.Params["text"], text)
	}
}

func count(calls []telegramtest.Call, match func(telegramtest.Call) bool) int {
	n := 0
	for _, c := range calls {
		if match(c) {
			n++
		}
	}
	return n
}

const wait = 5 * time.Second

func TestStartupIdentifiesBotAndSetsMenu(t *testing.T) {
	e := start(t, envOptions{})
	if got := e.tg.BotUsername(); got != "BranchTestBot" {
		t.Fatalf("BotUsername = %q, want BranchTestBot", got)
	}
	if n := len(e.srv.Calls("getMe")); n != 1 {
		t.Fatalf("getMe called %d times, want 1", n)
	}
	poll := e.srv.WaitCall(t, "getUpdates", wait, nil)
	var allowed []string
	if err := poll.JSON("allowed_updates", &allowed); err != nil || !slices.Contains(allowed, "my_chat_member") {
		t.Fatalf("getUpdates allowed_updates = %v (%v)", allowed, err)
	}
	if poll.Int("timeout") != 2 {
		t.Fatalf("getUpdates timeout = %d, want 2 (poll timeout 2s)", poll.Int("timeout"))
	}
	if len(e.srv.Calls("deleteWebhook")) == 0 {
		t.Fatal("polling started without deleteWebhook")
	}
	menu := map[string]string{}
	for _, c := range e.srv.Commands("default") {
		menu[c.Command] = c.Description
	}
	for name, desc := range map[string]string{"checkin": "发起或参加签到", "bind": "把本群绑定到一个单位（支部、班级等）", "help": "查看可用命令", "ping": "测试机器人是否在线"} {
		if menu[name] != desc {
			t.Errorf("menu[%q] = %q, want %q", name, menu[name], desc)
		}
	}
	for name := range menu {
		if name == "签到" || name == "帮助" {
			t.Errorf("Chinese alias %q in the menu", name)
		}
	}
	has := func(scope, name string) bool {
		for _, c := range e.srv.Commands(scope) {
			if c.Command == name {
				return true
			}
		}
		return false
	}
	if has("all_private_chats", "checkin") || !has("all_private_chats", "secret") {
		t.Error("private-chat menu should list private commands and not group-only ones")
	}
	if !has("all_group_chats", "checkin") || has("all_group_chats", "secret") {
		t.Error("group menu should list group commands and not private-only ones")
	}
}

func TestWrongTokenFailsFast(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.Options{})
	start := time.Now()
	_, err := telegram.New(context.Background(), telegram.Options{Token: "123456:WRONG", APIURL: srv.URL, Logger: testLogger()})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "token") {
		t.Fatalf("New with a wrong token: err = %v, want a clear 401 token error", err)
	}
	if strings.Contains(err.Error(), "WRONG") {
		t.Fatalf("error leaks the token: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s to fail", d)
	}
}

func TestGroupCommandsAddressedToUsOrOthers(t *testing.T) {
	e := start(t, envOptions{})
	g := telegramtest.Group(-501, "第一党支部群")
	e.srv.Say(g, member, "/checkin@BranchTestBot")
	c := e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "点名开始"))
	if c.Params["text"] != "点名开始，已签到 0 人" {
		t.Fatalf("announcement text = %q", c.Params["text"])
	}
	btns := c.Buttons()
	if len(btns) != 3 || btns[0][0].Text != "我到了" || btns[0][0].CallbackData != "/checkin here" {
		t.Fatalf("buttons = %+v", btns)
	}
	if len(btns[2][0].CopyText) != 0 {
		t.Fatalf("button carries copy_text: %s", btns[2][0].CopyText)
	}

	// A command for another bot in the same group is not ours; the same
	// command for us, after Chinese text and an emoji (UTF-16 surrogate
	// pairs shift Telegram's offsets), is.
	h := telegramtest.Group(-502, "第二党支部群")
	e.srv.Say(h, member, "/ping@OtherBot 一")
	e.srv.Say(h, member, "👍🏻 大家好 /ping@OtherBot 二")
	e.srv.Say(h, member, "👍🏻 收到，/ping@BranchTestBot 三")
	e.srv.Say(h, member, "/ping 四")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(h.ID, "pong 四"))
	texts := []string{}
	for _, c := range e.srv.Calls("sendMessage") {
		if c.Int("chat_id") == h.ID {
			texts = append(texts, c.Params["text"])
		}
	}
	if strings.Join(texts, "|") != "pong 三|pong 四" {
		t.Fatalf("replies in the group = %q, want pong 三 and pong 四 only", texts)
	}

	// A bare English word is not a command; a mention-only alias is.
	e.srv.Say(h, member, "ping")
	e.srv.Say(h, member, "@BranchTestBot 测试 五")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(h.ID, "pong 五"))
	if n := count(e.srv.Calls("sendMessage"), sendTo(h.ID, "pong")); n != 3 {
		t.Fatalf("%d pong replies, want 3", n)
	}
}

func TestMentionNamesTheCaller(t *testing.T) {
	e := start(t, envOptions{})
	g := telegramtest.Group(-503, "班级群")
	e.srv.Say(g, member, "/hello")
	c := e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "你好"))
	if c.Params["text"] != "@张 三 你好" {
		t.Fatalf("text = %q", c.Params["text"])
	}
	var ents []telegramtest.Entity
	if err := c.JSON("entities", &ents); err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Type != "text_mention" || ents[0].Offset != 0 || ents[0].Length != telegramtest.UTF16Len("@张 三") ||
		ents[0].User == nil || ents[0].User.ID != member.ID {
		t.Fatalf("entities = %+v", ents)
	}
}

func TestButtonPressAnswersAndEdits(t *testing.T) {
	e := start(t, envOptions{})
	g := telegramtest.Group(-504, "第一党支部群")
	e.srv.Say(g, member, "/checkin")
	ann := e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "点名开始"))
	var sent struct {
		MessageID int `json:"message_id"`
	}
	if err := json.Unmarshal(ann.Result, &sent); err != nil {
		t.Fatal(err)
	}
	btns := ann.Buttons()
	// Press once the announcement is recorded as delivered: an edit queued
	// while its original is still in flight is folded into the original by
	// the outbox and lost (a storage race reported to the lead, not the
	// adapter's to fix).
	chat, err := e.db.ChatByExternalID(context.Background(), telegram.Name, "-504")
	if err != nil {
		t.Fatal(err)
	}
	e.feat.mu.Lock()
	annID := e.feat.announce[chat.ID]
	e.feat.mu.Unlock()
	waitState(t, e, annID, bot.OutboxDelivered)

	cb := e.srv.Press(g, member, sent.MessageID, btns[0][0].CallbackData)
	ans := e.srv.WaitCall(t, "answerCallbackQuery", wait, func(c telegramtest.Call) bool { return c.Params["callback_query_id"] == cb })
	if ans.Failure != nil || ans.Params["text"] != "签到成功" {
		t.Fatalf("answerCallbackQuery = %v %+v", ans.Params, ans.Failure)
	}
	ed := e.srv.WaitCall(t, "editMessageText", wait, func(c telegramtest.Call) bool { return c.Failure == nil })
	if ed.Int("chat_id") != g.ID || int(ed.Int("message_id")) != sent.MessageID || ed.Params["text"] != "点名开始，已签到 1 人" {
		t.Fatalf("editMessageText = %v", ed.Params)
	}
	if len(ed.Buttons()) != 3 {
		t.Fatalf("edit dropped the keyboard: %v", ed.Params["reply_markup"])
	}
	// No group message for a press: the answer is a toast.
	if n := count(e.srv.Calls("sendMessage"), sendTo(g.ID, "签到成功")); n != 0 {
		t.Fatal("button answer went to the group")
	}

	// Data longer than 64 bytes travels as a token and comes back whole.
	long := btns[1][0].CallbackData
	if len(long) > 64 || !strings.HasPrefix(long, "~") {
		t.Fatalf("long button data sent as %q", long)
	}
	cb2 := e.srv.Press(g, member, sent.MessageID, long)
	e.srv.WaitCall(t, "answerCallbackQuery", wait, func(c telegramtest.Call) bool { return c.Params["callback_query_id"] == cb2 })
	e.feat.mu.Lock()
	presses := append([]string(nil), e.feat.presses...)
	e.feat.mu.Unlock()
	if len(presses) != 2 || presses[1] != longData {
		t.Fatalf("presses = %q", presses)
	}

	// "Message is not modified" counts as delivered.
	cb3 := e.srv.Press(g, member, sent.MessageID, btns[2][0].CallbackData)
	e.srv.WaitCall(t, "answerCallbackQuery", wait, func(c telegramtest.Call) bool { return c.Params["callback_query_id"] == cb3 })
	e.srv.WaitCall(t, "editMessageText", wait, func(c telegramtest.Call) bool {
		return c.Failure != nil && strings.Contains(c.Failure.Description, "not modified")
	})
	deadline := time.Now().Add(wait)
	for {
		n, err := e.db.PendingCount(context.Background(), telegram.Name, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d message(s) still pending after a not-modified edit", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := e.srv.Sent(g.ID); len(got) != 1 || got[0].Text != "点名开始，已签到 2 人" || got[0].Edits != 2 {
		t.Fatalf("messages in the group = %+v", got)
	}

	// An unknown token (e.g. a button from a wiped database) gets a toast.
	cb4 := e.srv.Press(g, member, sent.MessageID, "~unknown-token")
	ans4 := e.srv.WaitCall(t, "answerCallbackQuery", wait, func(c telegramtest.Call) bool { return c.Params["callback_query_id"] == cb4 })
	if !strings.Contains(ans4.Params["text"], "失效") {
		t.Fatalf("unknown token answer = %q", ans4.Params["text"])
	}
}

func TestRetryAfterDelaysTheSend(t *testing.T) {
	// No per-chat limit here, so any delay is the 429's.
	e := start(t, envOptions{limits: bot.Limits{Global: bot.RateLimit{Count: 30, Per: time.Second}}})
	g := telegramtest.Group(-505, "群")
	e.srv.FailNext("sendMessage", telegramtest.TooManyRequests(1))
	e.srv.Say(g, member, "/ping 限流")
	failed := e.srv.WaitCall(t, "sendMessage", wait, func(c telegramtest.Call) bool { return c.Failure != nil && c.Failure.Code == 429 })
	ok := e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "pong 限流"))
	d := ok.At.Sub(failed.At)
	t.Logf("retry after 1s: resent %s later", d)
	if d < time.Second || d > 2500*time.Millisecond {
		t.Fatalf("resent %s after a 429 with retry_after 1, want about 1s", d)
	}
	time.Sleep(200 * time.Millisecond)
	if n := count(e.srv.Calls("sendMessage"), sendTo(g.ID, "pong 限流")); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

func TestMigrationKeepsBindingAndQueue(t *testing.T) {
	e := start(t, envOptions{})
	ctx := context.Background()
	g := telegramtest.Group(-506, "第一党支部群")
	e.srv.Say(g, adminUser, "/bind 第一党支部")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "已将本群绑定到「第一党支部」"))
	chat, err := e.db.ChatByExternalID(ctx, telegram.Name, "-506")
	if err != nil {
		t.Fatal(err)
	}
	unit, _ := e.eng.Units().ByName("第一党支部")
	if chat.UnitID != unit.ID {
		t.Fatalf("chat unit = %d, want %d", chat.UnitID, unit.ID)
	}

	// The bot learns of the upgrade from a send: 400 with migrate_to_chat_id.
	sg := e.srv.Migrate(g, -1000000000506, adminUser, false)
	if _, err := e.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "支部通知：周五开会"}); err != nil {
		t.Fatal(err)
	}
	e.srv.WaitCall(t, "sendMessage", wait, func(c telegramtest.Call) bool {
		return c.Int("chat_id") == g.ID && c.Failure != nil && c.Failure.MigrateToChatID == sg.ID
	})
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(sg.ID, "支部通知：周五开会"))
	moved, err := e.db.ChatByExternalID(ctx, telegram.Name, "-1000000000506")
	if err != nil {
		t.Fatal(err)
	}
	if moved.ID != chat.ID || moved.UnitID != unit.ID {
		t.Fatalf("migrated chat = %+v, want id %d bound to %d", moved, chat.ID, unit.ID)
	}
	if _, err := e.db.ChatByExternalID(ctx, telegram.Name, "-506"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("old id still known: %v", err)
	}
	// Commands in the supergroup find the binding.
	e.srv.Say(sg, adminUser, "/bind 第一党支部")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(sg.ID, "本群已经绑定到「第一党支部」"))

	// The other way: Telegram's service messages announce the upgrade while
	// a message is still queued; it goes to the new id only.
	h := telegramtest.Group(-507, "第二党支部群")
	e.srv.Say(h, adminUser, "/bind 校党委")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(h.ID, "已将本群绑定到「校党委」"))
	hc, err := e.db.ChatByExternalID(ctx, telegram.Name, "-507")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Send(ctx, bot.Outgoing{ChatID: hc.ID, Text: "排队中的通知", NotBefore: time.Now().Add(700 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	hsg := e.srv.Migrate(h, -1000000000507, adminUser, true)
	// A command in the supergroup right after the upgrade already finds
	// the group's binding.
	e.srv.Say(hsg, adminUser, "/bind 校党委")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(hsg.ID, "本群已经绑定到「校党委」"))
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(hsg.ID, "排队中的通知"))
	if n := count(e.srv.Calls("sendMessage"), func(c telegramtest.Call) bool {
		return c.Int("chat_id") == h.ID && strings.Contains(c.Params["text"], "排队")
	}); n != 0 {
		t.Fatalf("queued message tried the old id %d time(s)", n)
	}
	hm, err := e.db.ChatByExternalID(ctx, telegram.Name, "-1000000000507")
	if err != nil || hm.ID != hc.ID || hm.UnitID == 0 {
		t.Fatalf("announced migration: chat %+v, err %v", hm, err)
	}
}

func TestBotRemovedFromGroup(t *testing.T) {
	e := start(t, envOptions{})
	ctx := context.Background()
	g := telegramtest.Group(-508, "临时群")
	e.srv.AddBot(g, adminUser)
	chat := waitChat(t, e, "-508", func(c bot.Chat) bool { return c.Active })
	if chat.Title != "临时群" || chat.Kind != bot.Group {
		t.Fatalf("registered chat = %+v", chat)
	}

	// Removed without the update arriving yet: the send's 403 tells.
	e.srv.Kick(g)
	id1, err := e.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "第一条"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.WaitCall(t, "sendMessage", wait, func(c telegramtest.Call) bool { return c.Failure != nil && c.Failure.Code == 403 })
	waitChat(t, e, "-508", func(c bot.Chat) bool { return !c.Active })
	waitState(t, e, id1, bot.OutboxFailed)
	// Later messages fail without another try.
	id2, err := e.eng.Send(ctx, bot.Outgoing{ChatID: chat.ID, Text: "第二条"})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, e, id2, bot.OutboxFailed)
	if n := len(e.srv.Calls("sendMessage")); n != 1 {
		t.Fatalf("%d sendMessage calls, want the single 403", n)
	}

	// Added again, then removed with my_chat_member.
	e.srv.AddBot(g, adminUser)
	waitChat(t, e, "-508", func(c bot.Chat) bool { return c.Active })
	e.srv.RemoveBot(g, adminUser)
	waitChat(t, e, "-508", func(c bot.Chat) bool { return !c.Active })
}

func TestPrivateChat(t *testing.T) {
	e := start(t, envOptions{})
	p := telegramtest.PrivateChat(member)
	e.srv.Say(p, member, "/secret")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(p.ID, "私聊收到"))
	// Opening the chat sends /start (here with a deep-link payload): the
	// member gets the command list, not an error.
	e.srv.Say(p, member, "/start invite-123")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(p.ID, "你可以使用的命令"))
	e.srv.Say(p, member, "/nosuch")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(p.ID, "没有「/nosuch」这个命令"))
	// Chinese alias without slash works in private chats.
	e.srv.Say(p, member, "测试 私聊")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(p.ID, "pong 私聊"))
	chat, err := e.db.ChatByExternalID(context.Background(), telegram.Name, "2002")
	if err != nil || chat.Kind != bot.Private || chat.Title != "张 三" {
		t.Fatalf("private chat = %+v, %v", chat, err)
	}
	// A group-only command in private is refused in Chinese.
	e.srv.Say(p, member, "/checkin")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(p.ID, "只能在群里使用"))

	// A text over Telegram's 4096 characters goes out in pieces, whole.
	long := strings.Repeat(strings.Repeat("长", 99)+"\n", 60)
	if _, err := e.eng.Send(context.Background(), bot.Outgoing{ChatID: chat.ID, Text: long}); err != nil {
		t.Fatal(err)
	}
	isLong := func(c telegramtest.Call) bool {
		return c.Failure == nil && c.Int("chat_id") == p.ID && strings.Trim(c.Params["text"], "长\n") == ""
	}
	deadline := time.Now().Add(wait)
	var pieces []string
	for {
		pieces = pieces[:0]
		for _, c := range e.srv.Calls("sendMessage") {
			if isLong(c) {
				pieces = append(pieces, c.Params["text"])
			}
		}
		if strings.Count(strings.Join(pieces, ""), "长") == 99*60 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(pieces) != 2 || strings.Join(pieces, "\n") != long {
		t.Fatalf("long text sent in %d pieces of %d characters", len(pieces), len(strings.Join(pieces, "")))
	}
	for _, piece := range pieces {
		if telegramtest.UTF16Len(piece) > 4096 {
			t.Fatalf("piece of %d characters", telegramtest.UTF16Len(piece))
		}
	}
}

func TestPanicIsRecoveredAndShutdownWaitsForHandlers(t *testing.T) {
	e := start(t, envOptions{})
	g := telegramtest.Group(-509, "群")
	e.srv.Say(g, member, "/boom")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "处理命令时出错了"))
	e.srv.Say(g, member, "/ping 还活着")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "pong 还活着"))

	e.srv.Say(g, member, "/slow")
	select {
	case <-e.feat.slowStarted:
	case <-time.After(wait):
		t.Fatal("slow handler did not start")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("engine stopped (%v) while a handler was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(e.feat.slowRelease)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("engine did not stop after the handler finished")
	}
	if err := <-e.feat.slowDone; err != nil {
		t.Fatalf("slow handler's reply failed: %v", err)
	}
	// Its reply was delivered before the senders stopped, or waits in the
	// outbox for the next start.
	delivered := count(e.srv.Calls("sendMessage"), sendTo(g.ID, "慢任务完成"))
	pending, err := e.db.PendingCount(context.Background(), telegram.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if delivered+pending != 1 {
		t.Fatalf("slow reply: delivered %d, pending %d; want exactly one of them", delivered, pending)
	}
}

func TestShutdownConfirmsOnlyStoredUpdates(t *testing.T) {
	const total = 60
	for round := 0; round < 3; round++ {
		e := start(t, envOptions{})
		g := telegramtest.Group(-510, "群")
		e.srv.WaitCall(t, "getUpdates", wait, nil)
		// Messages keep arriving while the bot shuts down.
		pushed := make(chan struct{})
		go func() {
			defer close(pushed)
			for i := 0; i < total; i++ {
				e.srv.Say(g, member, "/ping "+strconv.Itoa(i))
				time.Sleep(200 * time.Microsecond)
			}
		}()
		time.Sleep(time.Duration(2+round*3) * time.Millisecond)
		if err := e.stop(); err != nil {
			t.Fatal(err)
		}
		<-pushed
		// Every update was handled (its reply sent or queued), or is stored
		// in the inbox to be handled at the next start, or is still
		// unconfirmed at the server, to be fetched again after a restart:
		// none lost, none both handled now and fetched again later. (A send
		// cut off by the shutdown may be both sent and still queued, so
		// replies are counted once per update.)
		replied := map[string]bool{}
		for _, c := range e.srv.Calls("sendMessage") {
			if c.Failure == nil {
				replied[c.Params["text"]] = true
			}
		}
		ctx := context.Background()
		var queued []bot.OutboxMessage
		chat, err := e.db.ChatByExternalID(ctx, telegram.Name, "-510")
		if err == nil {
			queued, err = e.db.OutboxFollowing(ctx, chat.ID, 0, time.Now(), 1000)
		}
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			t.Fatal(err)
		}
		for _, m := range queued {
			replied[m.Text] = true
		}
		handled := 0
		for i := 0; i < total; i++ {
			if replied["pong "+strconv.Itoa(i)] {
				handled++
			}
		}
		stored, err := e.db.InboxCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := handled + stored + e.srv.Pending(); got != total {
			t.Fatalf("round %d: handled %d + stored %d + unconfirmed %d = %d, want %d", round, handled, stored, e.srv.Pending(), got, total)
		}
		t.Logf("round %d: handled %d, stored %d, unconfirmed %d", round, handled, stored, e.srv.Pending())
	}
}

func waitChat(t *testing.T, e *env, ext string, ok func(bot.Chat) bool) bot.Chat {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		c, err := e.db.ChatByExternalID(context.Background(), telegram.Name, ext)
		if err == nil && ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("chat %s: %+v, %v", ext, c, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitState(t *testing.T, e *env, id int64, want bot.OutboxState) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		m, err := e.db.OutboxMessage(context.Background(), id)
		if err == nil && m.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox %d: state %q (%v), want %q", id, m.State, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWebhookMode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hook := "http://" + ln.Addr().String() + "/telegram/hook"
	e := start(t, envOptions{webhook: telegram.Webhook{URL: hook, Secret: "s3cret-token", Listener: ln}})
	set := e.srv.WaitCall(t, "setWebhook", wait, nil)
	if set.Params["url"] != hook || set.Params["secret_token"] != "s3cret-token" {
		t.Fatalf("setWebhook %v", set.Params)
	}
	var allowed []string
	if err := set.JSON("allowed_updates", &allowed); err != nil || !slices.Contains(allowed, "my_chat_member") || !slices.Contains(allowed, "callback_query") {
		t.Fatalf("allowed_updates = %v (%v)", allowed, err)
	}
	// Updates come by webhook; getUpdates is not used.
	g := telegramtest.Group(-511, "群")
	e.srv.Say(g, member, "/ping@BranchTestBot 钩子")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(g.ID, "pong 钩子"))
	if n := len(e.srv.Calls("getUpdates")); n != 0 {
		t.Fatalf("%d getUpdates calls in webhook mode", n)
	}
	// A post without the secret is refused and not handled.
	body := `{"update_id":999,"message":{"message_id":1,"date":1,"chat":{"id":-511,"type":"group","title":"群"},"from":{"id":2002,"is_bot":false,"first_name":"x"},"text":"/ping 伪造","entities":[{"type":"bot_command","offset":0,"length":5}]}}`
	for _, secret := range []string{"", "wrong"} {
		req, _ := http.NewRequest(http.MethodPost, hook, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d, want 401", secret, resp.StatusCode)
		}
	}
	e.srv.WaitNoCall(t, "sendMessage", 300*time.Millisecond, sendTo(g.ID, "伪造"))
	if err := e.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookRefusedStopsRun(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := telegram.New(context.Background(), telegram.Options{
		Token: srv.Token, APIURL: srv.URL, Logger: testLogger(),
		Webhook: telegram.Webhook{URL: "https://bot.example.edu.cn/tg", Secret: "x", Listener: ln},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("setWebhook", telegramtest.Failure{Code: 400, Description: "Bad Request: bad webhook: Failed to resolve host"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = tg.Run(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "setWebhook") || !strings.Contains(err.Error(), "Failed to resolve host") {
		t.Fatalf("Run = %v, want the setWebhook refusal", err)
	}
}
