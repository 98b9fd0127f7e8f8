package platformtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/storage"
)

// wait bounds every wait for something the bot should do. It is generous:
// other tests share the machine, and nothing here asserts that it is fast.
const wait = 15 * time.Second

// env is one subtest's bot: a harness, and the current run of the engine
// on a SQLite file that outlives runs.
type env struct {
	t   *testing.T
	h   Harness
	dir string
	log *slog.Logger
	cur *run
}

// run is one run of the bot: what a process holds between start and exit.
type run struct {
	db     *storage.DB
	eng    *bot.Engine
	p      bot.Platform
	feat   *feature
	cancel context.CancelFunc
	done   chan error
}

func logger() *slog.Logger {
	if os.Getenv("PLATFORMTEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newEnv makes the harness and starts the first run.
func newEnv(t *testing.T, newHarness func(*testing.T) Harness) *env {
	t.Helper()
	e := &env{t: t, h: newHarness(t), dir: t.TempDir(), log: logger()}
	// Registered after the harness's own cleanups, so it runs before them:
	// the bot stops before its fake server closes.
	t.Cleanup(func() {
		if e.cur != nil {
			if err := e.stop(); err != nil {
				t.Errorf("stop the bot: %v", err)
			}
		}
	})
	e.start()
	return e
}

// in is e for a nested subtest: the same bot, reporting to t.
func (e *env) in(t *testing.T) *env {
	sub := *e
	sub.t = t
	return &sub
}

// start opens the database, makes the engine with the suite's feature and
// the harness's adapter, runs it and waits until the adapter is ready.
func (e *env) start() {
	t := e.t
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(e.dir, "branchbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(bot.Options{Store: db, Logger: e.log, TickEvery: time.Hour, ShutdownGrace: wait})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	feat := newFeature()
	if err := eng.Register(feat); err != nil {
		db.Close()
		t.Fatal(err)
	}
	p := e.h.Start(t, Bot{DB: db, Engine: eng, Dir: e.dir, Logger: e.log})
	eng.AddPlatform(p)
	runCtx, cancel := context.WithCancel(ctx)
	r := &run{db: db, eng: eng, p: p, feat: feat, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- eng.Run(runCtx) }()
	e.cur = r
	e.h.Ready(t)
}

// stop cancels the run, waits for the engine to return and closes the
// database, as a process that was asked to exit.
func (e *env) stop() error {
	r := e.cur
	if r == nil {
		return errors.New("not running")
	}
	e.cur = nil
	r.cancel()
	var err error
	select {
	case err = <-r.done:
	case <-time.After(2 * wait):
		return errors.New("the engine did not return after its context was cancelled")
	}
	if errors.Is(err, context.Canceled) {
		// Stopped while it was still starting (a subtest skipped at once):
		// Run reports the cancelled start-up.
		err = nil
	}
	return errors.Join(err, r.db.Close())
}

// kill ends the run the way kill -9 ends a process: the adapter is cut off
// the platform at once, the database closed under it, and nothing waits
// for its handlers (a handler that is stuck stays stuck, and nothing it
// does later reaches the platform or the file).
func (e *env) kill() {
	e.t.Helper()
	r := e.cur
	if r == nil {
		e.t.Fatal("not running")
	}
	e.cur = nil
	e.h.Kill(e.t)
	r.cancel()
	if err := r.db.Close(); err != nil {
		e.t.Logf("close the killed run's database: %v", err)
	}
}

// restart stops the run and starts another on the same database file and
// fake server.
func (e *env) restart() {
	e.t.Helper()
	if err := e.stop(); err != nil {
		e.t.Fatal(err)
	}
	e.start()
}

func (e *env) platform() string { return e.cur.p.Name() }

// chat is the bot's record of c, created as a join would create it.
func (e *env) chat(c Chat) bot.Chat {
	e.t.Helper()
	bc, err := e.cur.db.EnsureChat(context.Background(), e.platform(), e.h.ChatID(c), c.Kind, c.Name)
	if err != nil {
		e.t.Fatal(err)
	}
	return bc
}

// send queues a message to c through the engine, as a feature does.
func (e *env) send(c Chat, m bot.Outgoing) int64 {
	e.t.Helper()
	m.ChatID = e.chat(c).ID
	id, err := e.cur.eng.Send(context.Background(), m)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// eventually waits until ok holds, failing with what was awaited and the
// state of the chats involved.
func (e *env) eventually(what string, ok func() bool, chats ...Chat) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			e.t.Fatalf("waited %s for %s; %s", wait, what, e.describe(chats...))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) describe(chats ...Chat) string {
	var b strings.Builder
	for _, c := range chats {
		fmt.Fprintf(&b, "\n  %s received:", c)
		for _, m := range e.h.Received(e.t, c) {
			fmt.Fprintf(&b, "\n    %q", m.Text)
			if m.Mention != "" {
				fmt.Fprintf(&b, " mention=%s", m.Mention)
			}
			if len(m.Buttons) > 0 {
				fmt.Fprintf(&b, " buttons=%v", m.Buttons)
			}
			if m.Edits > 0 {
				fmt.Fprintf(&b, " edits=%d", m.Edits)
			}
			if m.File != nil {
				fmt.Fprintf(&b, " file=%s (%d bytes)", m.File.Name, len(m.File.Data))
			}
		}
	}
	return b.String()
}

// texts lists the texts c received, in order.
func (e *env) texts(c Chat) []string {
	var out []string
	for _, m := range e.h.Received(e.t, c) {
		out = append(out, m.Text)
	}
	return out
}

// count is how many messages c received with exactly this text.
func (e *env) count(c Chat, text string) int {
	n := 0
	for _, s := range e.texts(c) {
		if s == text {
			n++
		}
	}
	return n
}

// find returns the first message c received with this text.
func (e *env) find(c Chat, text string) (Message, bool) {
	for _, m := range e.h.Received(e.t, c) {
		if m.Text == text {
			return m, true
		}
	}
	return Message{}, false
}

// await waits for a message with this text in c and returns it.
func (e *env) await(c Chat, text string) Message {
	e.t.Helper()
	var m Message
	e.eventually(fmt.Sprintf("%q in %s", text, c), func() bool {
		var ok bool
		m, ok = e.find(c, text)
		return ok
	}, c)
	return m
}

// settle makes sure everything queued for c before now has had its turn:
// a marker sent after it arrives (a chat's messages leave in order), and
// nothing of the platform waits in the outbox.
func (e *env) settle(c Chat) {
	e.t.Helper()
	marker := fmt.Sprintf("（标记 %d）", time.Now().UnixNano())
	e.send(c, bot.Outgoing{Text: marker})
	e.await(c, marker)
	e.eventually("an empty outbox", func() bool { return e.pending() == 0 }, c)
}

// pending counts the platform's messages still waiting in the outbox,
// including those waiting to be retried.
func (e *env) pending() int {
	n, err := e.cur.db.PendingCount(context.Background(), e.platform(), time.Now().Add(time.Hour))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// outbox reads a queued message back.
func (e *env) outbox(id int64) bot.OutboxMessage {
	e.t.Helper()
	m, err := e.cur.db.OutboxMessage(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// awaitState waits until the outbox message is in state want.
func (e *env) awaitState(id int64, want bot.OutboxState, chats ...Chat) bot.OutboxMessage {
	e.t.Helper()
	var m bot.OutboxMessage
	e.eventually(fmt.Sprintf("outbox message %d to be %s", id, want), func() bool {
		m = e.outbox(id)
		return m.State == want
	}, chats...)
	return m
}

// noneReceived fails if any of the chats received a message.
func (e *env) noneReceived(chats ...Chat) {
	e.t.Helper()
	for _, c := range chats {
		if got := e.texts(c); len(got) > 0 {
			e.t.Errorf("%s received %q, want nothing", c, got)
		}
	}
}

// botName is the bot's @name on the platform, "" if it has none.
func (e *env) botName() string {
	if id, ok := e.cur.p.(bot.Identified); ok {
		return strings.TrimPrefix(id.BotUsername(), "@")
	}
	return ""
}

func (e *env) caps() bot.Capabilities { return e.cur.p.Capabilities() }

// answersTo lists the answers shown to member.
func (e *env) answersTo(member string) []string {
	var out []string
	for _, a := range e.h.Answers(e.t) {
		if a.To == member {
			out = append(out, a.Text)
		}
	}
	return out
}

func (e *env) answered(member, text string) bool {
	return slices.Contains(e.answersTo(member), text)
}
