package bot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/storage"
)

// countingStore counts the sender's outbox reads.
type countingStore struct {
	*storage.DB
	heads atomic.Int64
}

func (c *countingStore) OutboxHeads(ctx context.Context, platform string, now time.Time, limit int) ([]bot.OutboxMessage, error) {
	c.heads.Add(1)
	return c.DB.OutboxHeads(ctx, platform, now, limit)
}

func runEngine(t *testing.T, e *bot.Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// TestSenderSleepsWhileEveryWaitingChatIsHeld: a running count replaced
// a hundred times in a chat that its limit holds does not make the sender
// read the outbox a hundred times; it sleeps until the chat's window opens.
func TestSenderSleepsWhileEveryWaitingChatIsHeld(t *testing.T) {
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := &countingStore{DB: db}
	p := memchat.New("mem", bot.Capabilities{})
	e, err := bot.New(bot.Options{Store: store, Limits: map[string]bot.Limits{"mem": {PerChat: []bot.RateLimit{{Count: 1, Per: time.Hour}}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.AddPlatform(p)
	runEngine(t, e)
	c, err := db.EnsureChat(context.Background(), "mem", "甲", bot.Group, "甲")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: "已签到 1", MergeKey: "count"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(p.Sent()) == 1 })
	time.Sleep(50 * time.Millisecond) // the sender has looked and gone to sleep
	before := store.heads.Load()
	for i := 2; i <= 101; i++ {
		if _, err := e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: fmt.Sprintf("已签到 %d", i), MergeKey: "count"}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	t.Logf("outbox reads for 100 held messages: %d", store.heads.Load()-before)
	if n := store.heads.Load() - before; n > 2 {
		t.Errorf("the outbox was read %d times for 100 messages to a chat held for an hour, want at most 2", n)
	}
	if n := len(p.Sent()); n != 1 {
		t.Errorf("%d messages sent to a chat held for an hour", n)
	}
}

// TestChatBudgetIsPacedEvenly: a chat that keeps getting a new running
// count sees it every Per/(Count-2) after a short burst, instead of its whole
// window's budget at once and then nothing until the window opens. (Here
// 20 per 6 s and 1 per 100 ms stand for Telegram's 20 per minute and 1 per
// second.)
func TestChatBudgetIsPacedEvenly(t *testing.T) {
	perMin := bot.RateLimit{Count: 20, Per: 6 * time.Second}
	perSec := bot.RateLimit{Count: 1, Per: 100 * time.Millisecond}
	p := memchat.New("mem", bot.Capabilities{})
	p.WatchLimits(bot.RateLimit{}, perSec, perMin)
	v := newEnv(t, "", bot.Limits{PerChat: []bot.RateLimit{perSec, perMin}, Concurrency: 4}, p)
	runEngine(t, v.e)
	ctx := context.Background()
	chats := make([]bot.Chat, 3)
	for i := range chats {
		chats[i] = v.chat(fmt.Sprintf("群%d", i))
	}
	start := time.Now()
	for n := 1; time.Since(start) < 2*time.Second; n++ {
		for _, c := range chats {
			if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: c.ID, Text: fmt.Sprintf("已签到 %d", n), MergeKey: "count"}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	per := map[string]int{}
	for _, s := range p.Sent() {
		if s.At.Sub(start) < 2*time.Second {
			per[s.ChatID]++
		}
	}
	t.Logf("counts sent per chat in the first 2 s: %v", per)
	// Evenly: 3 at once, then one every 6 s / 18 = 333 ms: 8 or 9 in 2 s.
	// All at once would be 20 (one every 100 ms).
	for _, c := range chats {
		if n := per[c.ExternalID]; n < 4 || n > 10 {
			t.Errorf("%s got %d counts in the first 2 s, want about 9 (evenly paced)", c.Title, n)
		}
	}
	if n := p.Violations(); n != 0 {
		t.Errorf("%d sends broke the chat limits", n)
	}
}

// TestConcurrentSendsKeepEachChatsOrder: with several sends in flight at
// once, each chat still gets its messages in queue order, one at a time.
func TestConcurrentSendsKeepEachChatsOrder(t *testing.T) {
	p := memchat.New("mem", bot.Capabilities{})
	var inflight, most atomic.Int64
	var mu sync.Mutex
	busy := map[string]bool{}
	p.FailWith(func(o bot.Outbound) error {
		mu.Lock()
		if busy[o.ChatID] {
			mu.Unlock()
			return errors.New("two sends to one chat at once")
		}
		busy[o.ChatID] = true
		mu.Unlock()
		n := inflight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Duration(rand.IntN(4)) * time.Millisecond)
		inflight.Add(-1)
		mu.Lock()
		busy[o.ChatID] = false
		mu.Unlock()
		return nil
	})
	v := newEnv(t, "", bot.Limits{Concurrency: 4}, p)
	ctx := context.Background()
	const chats, each = 6, 15
	for i := range each {
		for c := range chats {
			if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: v.chat(fmt.Sprintf("群%d", c)).ID, Text: fmt.Sprintf("%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	runEngine(t, v.e)
	waitFor(t, func() bool { return len(p.Sent()) == chats*each })
	next := map[string]int{}
	for _, s := range p.Sent() {
		if s.Text != fmt.Sprintf("%d", next[s.ChatID]) {
			t.Fatalf("%s got %q, want %d: %q", s.ChatID, s.Text, next[s.ChatID], texts(p.Sent()))
		}
		next[s.ChatID]++
	}
	if most.Load() < 2 {
		t.Errorf("at most %d sends were in flight at once, want several", most.Load())
	}
}

// TestFlushWaitsForConcurrentSends: Flush (tests, one-shot commands)
// returns only once every due message is out, sends in flight included.
func TestFlushWaitsForConcurrentSends(t *testing.T) {
	p := memchat.New("mem", bot.Capabilities{})
	p.FailWith(func(bot.Outbound) error { time.Sleep(5 * time.Millisecond); return nil })
	v := newEnv(t, "", bot.Limits{Concurrency: 4}, p)
	ctx := context.Background()
	for i := range 12 {
		if _, err := v.e.Send(ctx, bot.Outgoing{ChatID: v.chat(fmt.Sprintf("群%d", i%4)).ID, Text: fmt.Sprintf("%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	v.e.Flush(ctx)
	if n := len(p.Sent()); n != 12 {
		t.Fatalf("Flush returned with %d of 12 messages sent", n)
	}
}
