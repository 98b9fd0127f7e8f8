package telegram_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
)

// knownGroups makes groups the fake server knows (so it takes sends to
// them) and the bot's records of them.
func knownGroups(t *testing.T, e *env, ids ...int64) []bot.Chat {
	t.Helper()
	var out []bot.Chat
	for _, id := range ids {
		g := telegramtest.Group(id, "群"+telegramtest.Person(id, "", "").FirstName)
		e.srv.NewMessage(g, member, "")
		c, err := e.db.EnsureChat(context.Background(), telegram.Name, itoa(int(id)), bot.Group, g.Title)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func queue(t *testing.T, e *env, c bot.Chat, text string) int64 {
	t.Helper()
	id, err := e.eng.Send(context.Background(), bot.Outgoing{ChatID: c.ID, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSlowSendHoldsOnlyItsChatAndIsNotRepeated: a sendMessage that hangs
// past the send timeout holds no other chat (they are sent meanwhile), and,
// since Telegram may have taken it, it is recorded as outcome unknown and
// not sent again; its chat's next message follows.
func TestSlowSendHoldsOnlyItsChatAndIsNotRepeated(t *testing.T) {
	e := start(t, envOptions{limits: bot.Limits{Concurrency: 4}, timeout: 300 * time.Millisecond})
	chats := knownGroups(t, e, -530, -531, -532, -533, -534)
	slow := chats[0]
	release := make(chan struct{})
	var once sync.Once
	e.srv.OnCall(func(c telegramtest.Call) *telegramtest.Failure {
		if c.Method == "sendMessage" && c.Int("chat_id") == -530 {
			held := false
			once.Do(func() { held = true })
			if held {
				<-release // accepted late, after the bot stopped waiting
			}
		}
		return nil
	})
	first := queue(t, e, slow, "慢群第一条")
	e.srv.WaitCall(t, "getMe", wait, nil)
	for i, c := range chats[1:] {
		queue(t, e, c, "快群消息"+itoa(i))
	}
	// The other chats are served while the slow send hangs.
	for i := range chats[1:] {
		e.srv.WaitCall(t, "sendMessage", wait, sendTo(int64(-531-i), "快群消息"+itoa(i)))
	}
	// The bot stops waiting after the send timeout; Telegram takes the
	// message later.
	waitState(t, e, first, bot.OutboxUnknown)
	close(release)
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(-530, "慢群第一条"))
	queue(t, e, slow, "慢群第二条")
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(-530, "慢群第二条"))
	if n := count(e.srv.Calls("sendMessage"), sendTo(-530, "慢群第一条")); n != 1 {
		t.Errorf("the slow message reached Telegram %d times, want once", n)
	}
	m, err := e.db.OutboxMessage(context.Background(), first)
	if err != nil || m.LastError == "" {
		t.Errorf("the unknown outcome records no reason: %+v %v", m, err)
	}
}

// TestDeliveryResumesWhenTelegramIsBack: while Telegram answers nothing
// but errors, the sender does not retry the message with a growing backoff;
// it probes (getMe) once a second and sends as soon as a probe is answered.
func TestDeliveryResumesWhenTelegramIsBack(t *testing.T) {
	e := start(t, envOptions{})
	g := knownGroups(t, e, -540)[0]
	e.srv.WaitCall(t, "getUpdates", wait, nil)
	var down atomic.Bool
	down.Store(true)
	e.srv.OnCall(func(c telegramtest.Call) *telegramtest.Failure {
		if down.Load() && c.Method != "getUpdates" {
			return &telegramtest.Failure{Code: 502, Description: "Bad Gateway"}
		}
		return nil
	})
	queue(t, e, g, "恢复后送达")
	failedProbes := func() int {
		n := 0
		for _, c := range e.srv.Calls("getMe") {
			if c.Failure != nil {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(wait)
	for failedProbes() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no probes while Telegram was down: %d failed getMe", failedProbes())
		}
		time.Sleep(20 * time.Millisecond)
	}
	down.Store(false)
	e.srv.WaitCall(t, "sendMessage", wait, sendTo(-540, "恢复后送达"))
	var tries, okProbeBefore int
	var last string
	for _, c := range e.srv.Calls("sendMessage", "getMe") {
		if c.Method == "sendMessage" && c.Int("chat_id") == -540 {
			tries++
			if c.Failure == nil && last == "getMe ok" {
				okProbeBefore++
			}
		}
		last = c.Method
		if c.Failure == nil {
			last += " ok"
		}
	}
	if tries != 2 {
		t.Errorf("the message was tried %d times, want twice (the failure that began the outage, the send after it)", tries)
	}
	if okProbeBefore != 1 {
		t.Error("the message was not sent right after the first probe Telegram answered")
	}
}
