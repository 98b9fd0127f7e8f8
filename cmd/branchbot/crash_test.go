package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/storage"
)

// crashFullEnv set to 1 runs the full crash test (.ci/run does): 10 runs
// killing the bot in a backlog of 500 updates and 5 in a live burst of 500.
// Without it `go test` runs a subset, and -short none.
const crashFullEnv = "BRANCHBOT_CRASH_FULL"

// TestKillDuringBacklogAndBurstLosesNothing runs the real binary (built
// here) against the fake Bot API server and kills it with SIGKILL at random
// points: while it works through a backlog of check-ins and relay joins
// sent while it was down, and in the middle of a live burst of them. After
// every kill it checks that every update Telegram was told arrived is stored
// (its check-in or join, or still in the inbox); at the end, after a last
// start that works everything off, that every action is stored exactly
// once, that the inbox and the outbox are empty, and that every message
// Telegram accepted was recorded by the outbox (a message sent twice is one
// accepted in the instant between a send and its record, killed: at most one
// per send in flight per kill).
func TestKillDuringBacklogAndBurstLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly; run without -short (full run: " + crashFullEnv + "=1)")
	}
	backlogRuns, burstRuns, perRun := 2, 1, 100
	if os.Getenv(crashFullEnv) == "1" {
		backlogRuns, burstRuns, perRun = 10, 5, 500
	}
	w := newCrashWorld(t)
	w.setUp()
	for run := range backlogRuns {
		first := w.push(perRun, 0) // sent while the bot is down
		w.start()
		w.awaitPolling()
		// A random point of the backlog: once Telegram was told a random
		// part of it arrived, and a moment more.
		w.awaitConfirmed(first + w.rnd.Int64N(int64(perRun)))
		w.sleepRandom(20 * time.Millisecond)
		w.kill(fmt.Sprintf("backlog run %d", run+1))
	}
	for run := range burstRuns {
		w.start()
		w.awaitPolling()
		pushed := make(chan struct{})
		go func() { defer close(pushed); w.push(perRun, 2*time.Millisecond) }()
		w.sleepRandom(time.Duration(perRun) * 2 * time.Millisecond)
		w.kill(fmt.Sprintf("burst run %d", run+1))
		<-pushed // what was sent after the kill waits for the next start
	}
	w.finish()
}

type crashAction struct {
	group int
	user  int64
	join  bool // a relay join, else a check-in
}

type crashWorld struct {
	t                     *testing.T
	bin, cfg, dbPath, log string
	srv                   *telegramtest.Server
	groups                []telegramtest.Chat
	admin                 telegramtest.User
	rnd                   *rand.Rand

	mu      sync.Mutex
	actions map[int64]crashAction // by update id
	next    int64                 // the next member's user id

	proc      *exec.Cmd
	polls     int // getUpdates calls before the current process started
	kills     int
	confirmed int // updates confirmed at kills (sum), for the report
	inFlight  int // of those, not yet handled but in the inbox at the kill
}

func newCrashWorld(t *testing.T) *crashWorld {
	dir := t.TempDir()
	bin := filepath.Join(dir, "branchbot")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv := telegramtest.New(t, telegramtest.Options{})
	w := &crashWorld{
		t: t, bin: bin, cfg: filepath.Join(dir, "branchbot.yaml"), dbPath: filepath.Join(dir, "bot.db"),
		log: filepath.Join(dir, "bot.log"), srv: srv, admin: telegramtest.Person(1, "王", "老师"),
		rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14)), actions: map[int64]crashAction{}, next: 100000,
	}
	for i := range 4 {
		w.groups = append(w.groups, telegramtest.Group(int64(-900-i), fmt.Sprintf("第%d小组", i+1)))
	}
	cfg := fmt.Sprintf(`data_dir: %s
database: %s
log_level: warn
admins: [telegram:1]
units:
  - name: 校党委
    children:
      - name: 第一党支部
roster:
  seed_file: ""
platforms:
  terminal:
    enabled: false
  telegram:
    enabled: true
    token: "%s"
    api_url: %s
    poll_timeout: 2s
    limits: {global_per_second: 30, per_chat_per_second: 1, per_chat_per_minute: 20, merge: true, concurrency: 8}
`, dir, w.dbPath, srv.Token, srv.URL)
	if err := os.WriteFile(w.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BRANCHBOT_TELEGRAM_TOKEN", "")
	t.Cleanup(func() {
		if w.proc != nil {
			_ = w.proc.Process.Kill()
			_ = w.proc.Wait()
		}
		if t.Failed() {
			b, _ := os.ReadFile(w.log)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("the bot's log (last 40 lines):\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	return w
}

// setUp binds every group, opens a check-in session and a relay in it.
func (w *crashWorld) setUp() {
	w.start()
	w.awaitPolling()
	for _, g := range w.groups {
		for _, cmd := range []string{"/bind@BranchTestBot 第一党支部", "/checkin@BranchTestBot open 演练 24h", "/relay@BranchTestBot 活动报名"} {
			w.srv.Say(g, w.admin, cmd)
		}
	}
	for _, g := range w.groups {
		for _, want := range []string{"签到开始", "活动报名"} {
			w.srv.WaitCall(w.t, "sendMessage", 30*time.Second, func(c telegramtest.Call) bool {
				return c.Failure == nil && c.Int("chat_id") == g.ID && strings.Contains(c.Params["text"], want)
			})
		}
	}
	w.stop()
}

// push sends n actions from new members, spread over the groups, every
// gap apart, and returns the first one's update id.
func (w *crashWorld) push(n int, gap time.Duration) (first int64) {
	for i := range n {
		w.mu.Lock()
		w.next++
		user := telegramtest.Person(w.next, "成员", strconv.FormatInt(w.next, 10))
		w.mu.Unlock()
		a := crashAction{group: i % len(w.groups), user: user.ID, join: i%2 == 1}
		text := "/checkin@BranchTestBot"
		if a.join {
			text = "/join@BranchTestBot"
		}
		m := w.srv.NewMessage(w.groups[a.group], user, text)
		id := w.srv.Push(telegramtest.Update{Message: &m})
		w.mu.Lock()
		w.actions[id] = a
		w.mu.Unlock()
		if i == 0 {
			first = id
		}
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return first
}

// awaitConfirmed waits until Telegram was told every update up to id
// arrived (at most 30 s).
func (w *crashWorld) awaitConfirmed(id int64) {
	deadline := time.Now().Add(30 * time.Second)
	for w.srv.Confirmed() < id && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func (w *crashWorld) start() {
	w.t.Helper()
	logf, err := os.OpenFile(w.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		w.t.Fatal(err)
	}
	w.polls = len(w.srv.Calls("getUpdates"))
	cmd := exec.Command(w.bin, "run", "--config", w.cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	logf.Close()
	w.proc = cmd
}

// awaitPolling waits until the process started last has made its first
// poll.
func (w *crashWorld) awaitPolling() {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(w.srv.Calls("getUpdates")) <= w.polls {
		if time.Now().After(deadline) {
			w.t.Fatal("the bot did not start polling")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (w *crashWorld) sleepRandom(upTo time.Duration) {
	time.Sleep(time.Duration(w.rnd.Int64N(int64(upTo) + 1)))
}

// kill ends the process with SIGKILL and checks that every update
// Telegram was told arrived is stored: as its effect, or in the inbox.
func (w *crashWorld) kill(what string) {
	w.t.Helper()
	if err := w.proc.Process.Signal(syscall.SIGKILL); err != nil {
		w.t.Fatal(err)
	}
	_ = w.proc.Wait()
	w.proc = nil
	w.kills++
	confirmed := w.srv.Confirmed()
	stored, inbox := w.stored()
	w.mu.Lock()
	defer w.mu.Unlock()
	lost, n, queued := 0, 0, 0
	for id := range w.actions {
		if id > confirmed {
			continue
		}
		n++
		switch {
		case stored[id] > 0:
		case inbox[id]:
			queued++
		default:
			lost++
		}
	}
	w.confirmed += n
	w.inFlight += queued
	w.t.Logf("crash: %s: killed with %d of %d actions confirmed to Telegram: %d stored, %d in the inbox, %d lost",
		what, n, len(w.actions), n-queued-lost, queued, lost)
	if lost > 0 {
		w.t.Errorf("%s: %d updates confirmed to Telegram were neither handled nor stored", what, lost)
	}
}

// stop ends the process as SIGTERM does.
func (w *crashWorld) stop() {
	w.t.Helper()
	if err := w.proc.Process.Signal(syscall.SIGTERM); err != nil {
		w.t.Fatal(err)
	}
	if err := w.proc.Wait(); err != nil {
		w.t.Fatalf("the bot exited with %v", err)
	}
	w.proc = nil
}

// stored reads the database of the stopped bot: how often each action is
// stored (a check-in, a relay entry), and the update ids in the inbox.
func (w *crashWorld) stored() (map[int64]int, map[int64]bool) {
	w.t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, w.dbPath)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	type key struct {
		group int
		user  int64
		join  bool
	}
	count := map[key]int{}
	userOf := func(member int64) int64 {
		m, err := db.Member(ctx, member)
		if err != nil {
			w.t.Fatal(err)
		}
		id, _ := strconv.ParseInt(m.ExternalID, 10, 64)
		return id
	}
	for gi, g := range w.groups {
		chat, err := db.ChatByExternalID(ctx, telegram.Name, strconv.FormatInt(g.ID, 10))
		if err != nil {
			w.t.Fatal(err)
		}
		s, err := db.LatestCheckin(ctx, chat.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		cs, err := db.Checkins(ctx, s.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, c := range cs {
			count[key{gi, userOf(c.MemberID), false}]++
		}
		rs, err := db.OpenRelays(ctx, chat.ID, time.Now())
		if err != nil || len(rs) != 1 {
			w.t.Fatalf("open relays of %s: %d, %v", g.Title, len(rs), err)
		}
		es, err := db.RelayEntries(ctx, rs[0].ID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, e := range es {
			count[key{gi, userOf(e.MemberID), true}]++
		}
	}
	entries, err := db.PendingInbox(ctx, telegram.Name)
	if err != nil {
		w.t.Fatal(err)
	}
	inbox := map[int64]bool{}
	for _, e := range entries {
		var in bot.Incoming
		if err := json.Unmarshal(e.Payload, &in); err != nil {
			w.t.Fatal(err)
		}
		inbox[in.Seq] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	stored := map[int64]int{}
	for id, a := range w.actions {
		stored[id] = count[key{a.group, a.user, a.join}]
	}
	return stored, inbox
}

// finish starts the bot once more, lets it work everything off, stops it
// and checks the end state.
func (w *crashWorld) finish() {
	w.t.Helper()
	w.start()
	w.awaitPolling()
	// Done when Telegram holds nothing for the bot and it has been quiet
	// (no sends) for longer than a chat's pacing.
	deadline := time.Now().Add(3 * time.Minute)
	quiet := time.Now()
	last := -1
	for w.srv.Pending() > 0 || time.Since(quiet) < 6*time.Second {
		if time.Now().After(deadline) {
			w.t.Fatalf("the bot did not settle: %d updates unconfirmed", w.srv.Pending())
		}
		if n := len(w.srv.Calls("sendMessage", "editMessageText")); n != last {
			last, quiet = n, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.stop()

	stored, inbox := w.stored()
	lost, twice := 0, 0
	for _, n := range stored {
		switch {
		case n == 0:
			lost++
		case n > 1:
			twice++
		}
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, w.dbPath)
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	pending, err := db.PendingCount(ctx, telegram.Name, time.Now().Add(24*time.Hour))
	if err != nil {
		w.t.Fatal(err)
	}
	// Every message Telegram accepted is one the outbox recorded as
	// delivered; one that is not was sent again after a kill.
	recorded := map[string]bool{}
	unknown := 0
	for _, g := range append([]telegramtest.Chat{}, w.groups...) {
		chat, err := db.ChatByExternalID(ctx, telegram.Name, strconv.FormatInt(g.ID, 10))
		if err != nil {
			w.t.Fatal(err)
		}
		ms, err := db.OutboxOfChat(ctx, chat.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, m := range ms {
			if m.State == bot.OutboxDelivered {
				recorded[fmt.Sprintf("%d/%s", g.ID, m.PlatformMsgID)] = true
			}
			if m.State == bot.OutboxUnknown {
				unknown++
			}
		}
	}
	sent, resent := 0, 0
	for _, c := range w.srv.Calls("sendMessage") {
		if c.Failure != nil {
			continue
		}
		var res struct {
			MessageID int `json:"message_id"`
		}
		if err := json.Unmarshal(c.Result, &res); err != nil {
			w.t.Fatal(err)
		}
		sent++
		if !recorded[fmt.Sprintf("%d/%d", c.Int("chat_id"), res.MessageID)] {
			resent++
		}
	}
	w.mu.Lock()
	actions := len(w.actions)
	w.mu.Unlock()
	w.t.Logf("crash: %d kills (SIGKILL), %d actions (check-ins and relay joins): %d lost, %d stored twice; at the kills %d confirmed updates, %d of them still in the inbox (handled after the restart); inbox left %d, outbox left %d, outcome unknown %d; %d messages accepted by Telegram, %d of them sent again after a kill",
		w.kills, actions, lost, twice, w.confirmed, w.inFlight, len(inbox), pending, unknown, sent, resent)
	if lost > 0 || twice > 0 {
		w.t.Errorf("%d actions lost, %d stored twice", lost, twice)
	}
	if len(inbox) > 0 || pending > 0 {
		w.t.Errorf("stuck: %d updates in the inbox, %d messages in the outbox", len(inbox), pending)
	}
	if max := w.kills * 8; resent > max {
		w.t.Errorf("%d messages sent again, more than one per send in flight (8) per kill (%d)", resent, max)
	}
}
