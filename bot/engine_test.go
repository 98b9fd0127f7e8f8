package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/storage"
)

// echo is a test feature: /echo replies with its argument; /slow blocks
// until released.
type echo struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func (*echo) Name() string { return "echo" }
func (f *echo) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{
		{Name: "echo", Aliases: []string{"回声"}, Summary: "回声", Usage: "/echo <文字>", Handler: func(ctx context.Context, r *bot.Request) error {
			f.calls.Add(1)
			return r.Reply(ctx, "回声："+r.Command.ArgText)
		}},
		{Name: "slow", Summary: "慢", Usage: "/slow", Handler: func(ctx context.Context, r *bot.Request) error {
			close(f.started)
			<-f.release
			return r.Reply(ctx, "慢命令完成")
		}},
	}
}

type env struct {
	t    testing.TB
	path string
	db   *storage.DB
	e    *bot.Engine
	p    *memchat.Platform
	f    *echo
}

func newEnv(t testing.TB, path string, limits bot.Limits, p *memchat.Platform) *env {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "bot.db")
	}
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, err := bot.New(bot.Options{Store: db, Limits: map[string]bot.Limits{"mem": limits}, ShutdownGrace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if p == nil {
		p = memchat.New("mem", bot.Capabilities{})
	}
	e.AddPlatform(p)
	f := &echo{started: make(chan struct{}), release: make(chan struct{})}
	if err := e.Register(f); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, path: path, db: db, e: e, p: p, f: f}
}

func (v *env) chat(title string) bot.Chat {
	c, err := v.db.EnsureChat(context.Background(), "mem", title, bot.Group, title)
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

func msg(chat, text string) bot.Message {
	return bot.Message{Platform: "mem", ChatID: chat, ChatKind: bot.Group, ChatTitle: chat, SenderID: "u1", SenderName: "张三", Text: text}
}

func texts(ss []memchat.Sent) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ChatID+":"+s.Text)
	}
	return out
}

func TestRegisterRejectsDuplicateNames(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	if err := v.e.Register(&echo{}); err == nil || !strings.Contains(err.Error(), "already names") {
		t.Fatalf("err = %v", err)
	}
}

func TestQueuedMessagesSurviveRestartInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	v := newEnv(t, path, bot.Limits{}, nil)
	v.p.FailWith(func(bot.Outbound) error { return bot.ErrNotConnected })
	for i := range 5 {
		v.e.Receive(context.Background(), msg("一支部", fmt.Sprintf("/echo %d", i)))
	}
	v.e.Flush(context.Background())
	if n := len(v.p.Sent()); n != 0 {
		t.Fatalf("sent %d while offline", n)
	}
	v.db.Close()

	v2 := newEnv(t, path, bot.Limits{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v2.e.Run(ctx) }()
	waitFor(t, func() bool { return len(v2.p.Sent()) >= 5 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := texts(v2.p.Sent())
	want := []string{"一支部:回声：0", "一支部:回声：1", "一支部:回声：2", "一支部:回声：3", "一支部:回声：4"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	// Nothing is sent twice by a third start.
	v3 := newEnv(t, path, bot.Limits{}, nil)
	v3.e.Flush(context.Background())
	if n := len(v3.p.Sent()); n != 0 {
		t.Fatalf("resent %d after restart", n)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetryAfterHoldsOnlyThatChat(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	var once sync.Once
	v.p.FailWith(func(o bot.Outbound) error {
		var err error
		if o.ChatID == "甲" {
			once.Do(func() { err = &bot.RetryAfterError{After: 400 * time.Millisecond, Err: errors.New("429")} })
		}
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go v.e.Run(ctx)
	start := time.Now()
	a, b := v.chat("甲"), v.chat("乙")
	if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: a.ID, Text: "给甲"}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: b.ID, Text: "给乙"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(v.p.Sent()) == 2 })
	sent := v.p.Sent()
	if sent[0].ChatID != "乙" || sent[1].ChatID != "甲" {
		t.Fatalf("order %v", texts(sent))
	}
	if d := sent[1].At.Sub(start); d < 400*time.Millisecond {
		t.Fatalf("甲 was retried after %v, before retry_after", d)
	}
	if d := sent[0].At.Sub(start); d > 300*time.Millisecond {
		t.Fatalf("乙 waited %v for 甲's 429", d)
	}
}

func TestMergesWhenChatLimitHoldsMessagesBack(t *testing.T) {
	v := newEnv(t, "", bot.Limits{PerChat: []bot.RateLimit{{Count: 1, Per: 500 * time.Millisecond}}, Merge: true}, nil)
	c := v.chat("甲")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 4 {
		if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: fmt.Sprintf("第%d条", i)}); err != nil {
			t.Fatal(err)
		}
	}
	go v.e.Run(ctx)
	waitFor(t, func() bool {
		n, _ := v.db.PendingCount(ctx, "mem", time.Now())
		return n == 0
	})
	sent := v.p.Sent()
	if len(sent) != 1 || sent[0].Text != "第0条\n\n第1条\n\n第2条\n\n第3条" {
		t.Fatalf("sent %q", texts(sent))
	}
	// The next message waits for the chat's window.
	if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "第4条"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(v.p.Sent()) == 2 })
	if gap := v.p.Sent()[1].At.Sub(sent[0].At); gap < 500*time.Millisecond {
		t.Fatalf("second send after %v, limit is 1 per 500ms", gap)
	}
}

func TestChatGoneFailsMessageAndDeactivatesChat(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	v.p.FailWith(func(bot.Outbound) error { return fmt.Errorf("kicked: %w", bot.ErrChatGone) })
	c := v.chat("甲")
	ctx := context.Background()
	id, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "一"})
	id2, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "二"})
	v.e.Flush(ctx)
	for _, id := range []int64{id, id2} {
		m, err := v.db.OutboxMessage(ctx, id)
		if err != nil || m.State != bot.OutboxFailed || m.LastError != "机器人已不在该群" {
			t.Fatalf("message %d: %+v %v", id, m, err)
		}
	}
	if c2, _ := v.db.Chat(ctx, c.ID); c2.Active {
		t.Fatal("chat still active")
	}
	// A chat event brings it back.
	if err := v.e.ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatJoined, Platform: "mem", ChatID: "甲", ChatKind: bot.Group, Title: "甲"}); err != nil {
		t.Fatal(err)
	}
	if c2, _ := v.db.Chat(ctx, c.ID); !c2.Active {
		t.Fatal("chat not reactivated")
	}
}

func TestIdempotencyKeySupersedeAndEditOfUnsent(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	ctx := context.Background()
	c := v.chat("甲")
	id1, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "推送", IdemKey: "push:1:甲"})
	id2, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "推送again", IdemKey: "push:1:甲"})
	if id1 != id2 {
		t.Fatalf("same key queued twice: %d %d", id1, id2)
	}
	count1, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "已签到 1/40", MergeKey: "checkin:1"})
	count2, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "已签到 2/40", MergeKey: "checkin:1"})
	if count1 != count2 {
		t.Fatalf("a pending snapshot was not replaced in place: ids %d, %d", count1, count2)
	}
	list, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v1"})
	v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v2", EditOf: list})
	v.e.Flush(ctx)
	got := strings.Join(texts(v.p.Sent()), "|")
	if got != "甲:推送|甲:已签到 2/40|甲:名单 v2" {
		t.Fatalf("sent %q", got)
	}
}

func TestEditsDeliveredMessageWhereSupported(t *testing.T) {
	p := memchat.New("mem", bot.Capabilities{Edit: true, Buttons: true})
	v := newEnv(t, "", bot.Limits{}, p)
	ctx := context.Background()
	c := v.chat("甲")
	list, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v1", Buttons: [][]bot.Button{{{Text: "接龙", Data: "/join"}}}})
	v.e.Flush(ctx)
	v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v2", EditOf: list})
	v.e.Flush(ctx)
	sent := p.Sent()
	if len(sent) != 2 || !sent[1].Edit || sent[1].MessageID != sent[0].MessageID || sent[1].Text != "名单 v2" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestPanicAndUnknownBotAndGracefulShutdown(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.e.Run(ctx) }()
	go v.p.Deliver(msg("甲", "/slow"))
	<-v.f.started
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned with a handler in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(v.f.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c, err := v.db.ChatByExternalID(context.Background(), "mem", "甲")
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := v.db.OutboxOfChat(context.Background(), c.ID)
	if len(ms) != 1 || ms[0].Text != "慢命令完成" {
		t.Fatalf("the in-flight handler's reply was not stored: %+v", ms)
	}
}

func TestCommandsForOtherBotsAndHugeMessages(t *testing.T) {
	p := memchat.New("mem", bot.Capabilities{})
	p.SetUsername("BranchBot")
	v := newEnv(t, "", bot.Limits{}, p)
	ctx := context.Background()
	v.e.Receive(ctx, msg("甲", "/echo@OtherBot 嗨"))
	v.e.Receive(ctx, msg("甲", "/echo@branchbot 你好"))
	v.e.Receive(ctx, msg("甲", "echo 不带斜杠的英文不是命令"))
	v.e.Receive(ctx, msg("甲", "回声 中文别名"))
	v.e.Receive(ctx, msg("甲", "/echo "+strings.Repeat("长", bot.MaxCommandRunes)))
	v.e.Receive(ctx, msg("甲", "/echo \xff"))
	v.e.Receive(ctx, msg("甲", "   "))
	v.e.Flush(ctx)
	got := strings.Join(texts(p.Sent()), "|")
	want := "甲:回声：你好|甲:回声：中文别名|甲:消息过长（最多 4000 字），未处理。"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if v.f.calls.Load() != 2 {
		t.Fatalf("handler ran %d times", v.f.calls.Load())
	}
}

// An edit queued while its original is being handed to the platform is not
// lost: it goes out as an edit once the original is delivered.
func TestEditQueuedDuringSendIsNotLost(t *testing.T) {
	p := memchat.New("mem", bot.Capabilities{Edit: true})
	v := newEnv(t, "", bot.Limits{}, p)
	ctx := context.Background()
	c := v.chat("甲")
	list, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v1"})
	var once sync.Once
	p.FailWith(func(o bot.Outbound) error {
		once.Do(func() {
			if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v2", EditOf: list}); err != nil {
				t.Error(err)
			}
		})
		return nil
	})
	v.e.Flush(ctx)
	sent := p.Sent()
	if len(sent) != 2 || sent[0].Text != "名单 v1" || !sent[1].Edit || sent[1].Text != "名单 v2" {
		t.Fatalf("sent %v", texts(sent))
	}
}

// A message left "sending" by a crash is sent after the restart.
func TestInterruptedSendIsQueuedAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	v := newEnv(t, path, bot.Limits{}, nil)
	ctx := context.Background()
	c := v.chat("甲")
	id, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "半路崩溃"})
	if _, err := v.db.MarkSending(ctx, []int64{id}); err != nil { // the crash happens here
		t.Fatal(err)
	}
	v.db.Close()
	v2 := newEnv(t, path, bot.Limits{}, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- v2.e.Run(runCtx) }()
	waitFor(t, func() bool { return len(v2.p.Sent()) == 1 })
	cancel()
	<-done
	if got := texts(v2.p.Sent()); len(got) != 1 || got[0] != "甲:半路崩溃" {
		t.Fatalf("sent %q", got)
	}
}

// When a merged send fails, every merged message stays queued and nothing
// is lost.
func TestFailedMergedSendRequeuesEveryPart(t *testing.T) {
	v := newEnv(t, "", bot.Limits{PerChat: []bot.RateLimit{{Count: 1, Per: time.Second}}, Merge: true}, nil)
	ctx := context.Background()
	c := v.chat("甲")
	for i := range 3 {
		v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: fmt.Sprintf("第%d条", i)})
	}
	v.p.FailWith(func(bot.Outbound) error { return errors.New("network down") })
	v.e.Flush(ctx)
	ms, err := v.db.OutboxOfChat(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.State != bot.OutboxPending {
			t.Fatalf("message %d %q is %s after a failed merged send", m.ID, m.Text, m.State)
		}
	}
	if ms[0].Attempts != 1 || ms[1].Attempts != 0 {
		t.Fatalf("attempts %d %d", ms[0].Attempts, ms[1].Attempts)
	}
}

// Claiming a message for delivery returns its content as it is then: an
// edit of the still-unsent message that came after the sender read it is
// what goes out, and an edit after the claim is queued as an edit.
func TestClaimReturnsContentAtClaimTime(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	ctx := context.Background()
	c := v.chat("甲")
	list, _ := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v1"})
	read, err := v.db.OutboxMessage(ctx, list) // what a sender read
	if err != nil || read.Text != "名单 v1" {
		t.Fatal(read, err)
	}
	if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v2", EditOf: list}); err != nil {
		t.Fatal(err)
	}
	claimed, err := v.db.MarkSending(ctx, []int64{list})
	if err != nil || len(claimed) != 1 || claimed[0].Text != "名单 v2" {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	edit, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "名单 v3", EditOf: list})
	if err != nil || edit == list {
		t.Fatalf("an edit after the claim changed the message being sent: %d %v", edit, err)
	}
	if again, _ := v.db.MarkSending(ctx, []int64{list}); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
}

// A message's platform time is when the member acted, bounded by the
// engine's clock: never later than now, never earlier than MaxMessageAge
// before it.
func TestRequestAtIsTheBoundedMessageTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, bot.ShanghaiLocation())
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, err := bot.New(bot.Options{Store: db, Now: func() time.Time { return now }, MaxMessageAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	if err := e.Register(featureFunc("at", func(ctx context.Context, r *bot.Request) error {
		got = append(got, r.At())
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	e.AddPlatform(memchat.New("mem", bot.Capabilities{}))
	for _, sent := range []time.Time{now.Add(-50 * time.Second), now.Add(time.Minute), now.Add(-3 * time.Hour), {}} {
		e.Receive(context.Background(), bot.Message{Platform: "mem", ChatID: "甲", ChatKind: bot.Group, SenderID: "u", Text: "/at", Time: sent})
	}
	want := []time.Time{now.Add(-50 * time.Second), now, now.Add(-time.Hour), now}
	for i := range want {
		if i >= len(got) || !got[i].Equal(want[i]) {
			t.Fatalf("At() = %v, want %v", got, want)
		}
	}
}

// oneCommand is a feature with one command (featureFunc).
type oneCommand struct {
	name string
	fn   bot.Handler
}

func featureFunc(name string, fn bot.Handler) bot.Feature { return oneCommand{name, fn} }

func (f oneCommand) Name() string { return f.name }
func (f oneCommand) Commands() []bot.CommandSpec {
	return []bot.CommandSpec{{Name: f.name, Summary: f.name, Handler: f.fn}}
}

// watcher records what its Observer and ImageObserver hooks are shown.
type watcher struct {
	mu             sync.Mutex
	words, picture []string
}

func (*watcher) Name() string                { return "watcher" }
func (*watcher) Commands() []bot.CommandSpec { return nil }
func (w *watcher) Observe(ctx context.Context, r *bot.Request) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.words = append(w.words, r.Message.Text)
	return nil
}
func (w *watcher) ObserveImage(ctx context.Context, r *bot.Request) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.picture = append(w.picture, r.Message.Image+"|"+r.Message.Text)
	return nil
}

// A picture without words reaches the ImageObservers only; one with words
// that are no command reaches both hooks; a picture captioned with a command
// goes to the command alone; a message with neither words nor picture to
// nobody.
func TestPicturesReachImageObservers(t *testing.T) {
	v := newEnv(t, "", bot.Limits{}, nil)
	w := &watcher{}
	if err := v.e.Register(w); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pic := func(id, text string) bot.Message { m := msg("甲", text); m.Image = id; return m }
	v.e.Receive(ctx, pic("p1", ""))
	v.e.Receive(ctx, pic("p2", "会场"))
	v.e.Receive(ctx, pic("p3", "/echo 配文"))
	v.e.Receive(ctx, msg("甲", "说话"))
	v.e.Receive(ctx, msg("甲", " "))
	v.e.Flush(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	if got, want := strings.Join(w.picture, ","), "p1|,p2|会场"; got != want {
		t.Errorf("ImageObserver saw %q, want %q", got, want)
	}
	if got, want := strings.Join(w.words, ","), "会场,说话"; got != want {
		t.Errorf("Observer saw %q, want %q", got, want)
	}
	if got := strings.Join(texts(v.p.Sent()), "|"); got != "甲:回声：配文" {
		t.Errorf("sent %q, want the command's answer alone", got)
	}
}
