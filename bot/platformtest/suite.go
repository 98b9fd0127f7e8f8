package platformtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot"
)

// Run runs the suite against the adapter newHarness sets up. Every subtest
// gets its own harness, database and engine, and runs in parallel with the
// others.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv(t, newHarness))
		})
	}
}

var cases = []struct {
	name string
	run  func(*testing.T, *env)
}{
	{"GroupCommand", groupCommand},
	{"MultiLineText", multiLineText},
	{"PrivateChat", privateChat},
	{"Mention", mention},
	{"MentionsSeveral", mentionsSeveral},
	{"OrderPerChat", orderPerChat},
	{"RetryAfter", retryAfter},
	{"ChatGone", chatGone},
	{"ButtonPress", buttonPress},
	{"Edit", edit},
	{"LongText", longText},
	{"BadInput", badInput},
	{"File", file},
	{"Picture", picture},
	{"ShutdownSendCompletes", func(t *testing.T, e *env) { shutdownInFlight(t, e, true) }},
	{"ShutdownSendFailsResentAfterRestart", func(t *testing.T, e *env) { shutdownInFlight(t, e, false) }},
	{"BacklogSurvivesKill", backlogSurvivesKill},
}

// picture: a picture a member sends alone reaches the features that take
// pictures (bot.ImageObserver) and is fetched whole, byte for byte; one
// larger than the feature accepts is bot.ErrTooLarge.
func picture(t *testing.T, e *env) {
	ps, ok := e.h.(PictureSayer)
	if !e.caps().Images || !ok {
		t.Skip("the platform hands no pictures to the bot")
	}
	small := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7, 0, 1}, 1000)...)
	ps.SayPicture(t, GroupA, Zhang, small)
	e.await(GroupA, pictureReply(small))
	ps.SayPicture(t, GroupA, Li, make([]byte, maxPicture+1))
	e.await(GroupA, pictureTooLarge)
	e.noneReceived(GroupB, Private(Zhang), Private(Li))
}

// groupCommand: a command in a group is answered once, in that group only,
// with its text intact (emoji outside the BMP, markup characters); the
// group is recorded as a group.
func groupCommand(t *testing.T, e *env) {
	const text = "大家好 👍🏻 a<b>&amp;c"
	e.h.Say(t, GroupA, Zhang, "/echo "+text)
	e.await(GroupA, text)
	// A Chinese alias, without its slash.
	e.h.Say(t, GroupA, Li, "复述 第二句")
	e.await(GroupA, "第二句")
	if got := e.texts(GroupA); len(got) != 2 {
		t.Errorf("%s received %q, want the two answers once each", GroupA, got)
	}
	e.noneReceived(GroupB, Private(Zhang), Private(Li))
	c := e.chat(GroupA)
	if c.Kind != bot.Group || c.Title != GroupA.Name || !c.Active {
		t.Errorf("the group is recorded as %+v", c)
	}
}

// multiLineText: line breaks survive the way in and the way out.
func multiLineText(t *testing.T, e *env) {
	e.h.Say(t, GroupA, Zhang, "/echo 第一行\n第二行\n\n第四行")
	e.await(GroupA, "第一行\n第二行\n\n第四行")
}

// privateChat: a command in a private chat is answered there; a
// private-only command in a group is refused in the group.
func privateChat(t *testing.T, e *env) {
	if !e.caps().Private {
		t.Skip("the platform has no private chats")
	}
	p := Private(Zhang)
	e.h.Say(t, p, Zhang, "/secret 悄悄话")
	e.await(p, secretReply("悄悄话"))
	c := e.chat(p)
	if c.Kind != bot.Private {
		t.Errorf("the private chat is recorded as %+v", c)
	}
	e.h.Say(t, GroupA, Zhang, "/secret 群里说")
	e.await(GroupA, privateOnly)
	if got := e.texts(p); len(got) != 1 {
		t.Errorf("%s received %q, want the one answer", p, got)
	}
	e.noneReceived(GroupB, Private(Li))
}

// mention: a reply that names the caller names them the platform's way; a
// message addressed to the bot with an @mention is a command for it; a
// command addressed to another bot by @name is not.
func mention(t *testing.T, parent *env) {
	t.Run("ReplyNamesTheCaller", func(t *testing.T) {
		e := parent.in(t)
		if !e.caps().Mentions {
			t.Skip("the platform cannot name a member")
		}
		e.h.Say(t, GroupA, Li, "/hello")
		m := e.await(GroupA, helloText)
		if m.Mention != Li {
			t.Errorf("the reply names %q, want %s", m.Mention, Li)
		}
	})
	t.Run("AddressedToTheBot", func(t *testing.T) {
		e := parent.in(t)
		e.h.SayToBot(t, GroupA, Zhang, "复述 点名")
		e.await(GroupA, "点名")
	})
	t.Run("CommandForAnotherBot", func(t *testing.T) {
		e := parent.in(t)
		name := e.botName()
		if name == "" {
			t.Skip("the bot has no @name on the platform")
		}
		e.h.Say(t, GroupB, Zhang, "/echo@OtherBot 不是给我的")
		e.h.Say(t, GroupB, Zhang, "/echo@"+name+" 是给我的")
		e.await(GroupB, "是给我的")
		// A chat's messages are handled in order: the first is done.
		if got := e.texts(GroupB); len(got) != 1 {
			t.Errorf("%s received %q, want only the answer to the command for %s", GroupB, got, name)
		}
	})
}

// mentionsSeveral: one message that names several members (a group
// reminder) names each of them the platform's way, wherever they stand in
// the text; the mentions are stored with the message in the outbox.
func mentionsSeveral(t *testing.T, e *env) {
	if !e.caps().Mentions {
		t.Skip("the platform cannot name a member")
	}
	e.h.Say(t, GroupA, Zhang, "/here")
	e.await(GroupA, hereReply(Zhang))
	e.h.Say(t, GroupA, Li, "到")
	e.await(GroupA, hereReply(Li))
	e.h.Say(t, GroupA, Zhang, "/roll")
	m := e.await(GroupA, rollText([]string{Zhang, Li}))
	if want := []string{Zhang, Li}; !slices.Equal(m.Mentions, want) {
		t.Errorf("the roll names %q, want %q", m.Mentions, want)
	}
	if m.Mention != "" {
		t.Errorf("the roll names %q at its start, want nobody", m.Mention)
	}
}

// orderPerChat: commands said one after another in two chats are answered
// in the order they were said, in each chat, once each; messages queued
// together leave in queue order.
func orderPerChat(t *testing.T, e *env) {
	const n = 10
	var wantA, wantB []string
	for i := 1; i <= n; i++ {
		a, b := fmt.Sprintf("甲%02d", i), fmt.Sprintf("乙%02d", i)
		wantA, wantB = append(wantA, a), append(wantB, b)
		e.h.Say(t, GroupA, Zhang, "/echo "+a)
		e.h.Say(t, GroupB, Li, "/echo "+b)
	}
	e.await(GroupA, wantA[n-1])
	e.await(GroupB, wantB[n-1])
	for _, w := range []struct {
		c    Chat
		want []string
	}{{GroupA, wantA}, {GroupB, wantB}} {
		if got := e.texts(w.c); strings.Join(got, " ") != strings.Join(w.want, " ") {
			t.Errorf("%s received %q, want %q", w.c, got, w.want)
		}
	}

	var queued []string
	for i := 1; i <= 20; i++ {
		s := fmt.Sprintf("队列%02d", i)
		queued = append(queued, s)
		e.send(GroupA, bot.Outgoing{Text: s})
	}
	e.await(GroupA, queued[len(queued)-1])
	if got := e.texts(GroupA)[n:]; strings.Join(got, " ") != strings.Join(queued, " ") {
		t.Errorf("%s received %q after the answers, want %q", GroupA, got, queued)
	}
}

// retryAfter: a send the platform refuses with "retry after" is sent again
// once the wait has passed, and only once; the wait holds only the refused
// chat, unless the platform says it holds the whole account.
func retryAfter(t *testing.T, e *env) {
	// Both chats known and answered once, so that what follows measures
	// only the refusal.
	e.h.Say(t, GroupA, Zhang, "/echo 准备")
	e.h.Say(t, GroupB, Li, "/echo 准备")
	e.await(GroupA, "准备")
	e.await(GroupB, "准备")
	before := e.h.Attempts(t, GroupA)

	r := e.h.Refuse(t, GroupA, 0, 1)
	e.h.Say(t, GroupA, Zhang, "/echo 限流")
	var refused time.Time
	select {
	case refused = <-r.At:
	case <-time.After(wait):
		t.Fatalf("the answer was not sent within %s; %s", wait, e.describe(GroupA))
	}
	e.h.Say(t, GroupB, Li, "/echo 另一个群")
	a := e.await(GroupA, "限流")
	b := e.await(GroupB, "另一个群")
	if d := a.At.Sub(refused); d < r.After {
		t.Errorf("sent again %s after the refusal, before the %s the platform asked for", d, r.After)
	}
	if r.Account {
		if d := b.At.Sub(refused); d < r.After {
			t.Errorf("another chat got a message %s after a refusal that holds the account for %s", d, r.After)
		}
	} else if !b.At.Before(a.At) {
		t.Errorf("another chat waited for the refused one: its answer came %s after the retry", b.At.Sub(a.At))
	}
	e.settle(GroupA)
	if n := e.count(GroupA, "限流"); n != 1 {
		t.Errorf("the refused answer arrived %d times, want once", n)
	}
	// The refused try, the retry, and the settling marker.
	if n := e.h.Attempts(t, GroupA) - before; n != 3 {
		t.Errorf("%d sends reached %s, want 3 (refused, sent again, marker)", n, GroupA)
	}
}

// chatGone: a send to a chat the bot was removed from fails for good, the
// chat is marked inactive, and nothing more is tried there; other chats
// carry on.
func chatGone(t *testing.T, e *env) {
	e.h.Remove(t, GroupA) // skips where the platform cannot tell
	first := e.send(GroupA, bot.Outgoing{Text: "第一条"})
	m := e.awaitState(first, bot.OutboxFailed, GroupA)
	if m.LastError == "" {
		t.Error("the failed message records no reason")
	}
	if c := e.chat(GroupA); c.Active {
		t.Errorf("the chat is still active after the platform said it is gone: %+v", c)
	}
	tried := e.h.Attempts(t, GroupA)
	if tried != 1 {
		t.Errorf("%d sends reached the gone chat, want the one that found out", tried)
	}
	second := e.send(GroupA, bot.Outgoing{Text: "第二条"})
	e.awaitState(second, bot.OutboxFailed, GroupA)
	e.h.Say(t, GroupB, Li, "/echo 还在")
	e.await(GroupB, "还在")
	if n := e.h.Attempts(t, GroupA); n != tried {
		t.Errorf("%d more sends reached the gone chat", n-tried)
	}
	e.eventually("an empty outbox", func() bool { return e.pending() == 0 }, GroupA, GroupB)
}

// buttonPress: a message with buttons arrives with them; a press is
// answered to the presser only and the message is edited in place. Where
// the platform has no buttons, the message still arrives as text.
func buttonPress(t *testing.T, e *env) {
	e.h.Say(t, GroupA, Zhang, "/vote")
	m := e.await(GroupA, voteText(0, 0))
	if !e.caps().Buttons {
		t.Skip("the platform has no buttons; the message arrived as text")
	}
	if len(m.Buttons) != 1 || strings.Join(m.Buttons[0], " ") != "赞成 反对" {
		t.Fatalf("the vote arrived with buttons %q", m.Buttons)
	}
	e.h.Press(t, GroupA, Li, m, "赞成")
	e.eventually("the answer to "+Li, func() bool { return e.answered(Li, voteAnswer("赞成")) }, GroupA)
	e.await(GroupA, voteText(1, 0))
	e.h.Press(t, GroupA, Zhang, m, "反对")
	e.eventually("the answer to "+Zhang, func() bool { return e.answered(Zhang, voteAnswer("反对")) }, GroupA)
	last := e.await(GroupA, voteText(1, 1))
	if got := e.answersTo(Li); len(got) != 1 {
		t.Errorf("%s was answered %q, want one answer", Li, got)
	}
	if e.caps().Edit {
		if got := e.h.Received(t, GroupA); len(got) != 1 || last.ID != m.ID || last.Edits != 2 {
			t.Errorf("want the vote edited twice in place; %s", e.describe(GroupA))
		}
	}
	for _, s := range e.texts(GroupA) {
		if strings.HasPrefix(s, "已记录") {
			t.Errorf("an answer to a press went to the whole group: %q", s)
		}
	}
	if len(last.Buttons) != 1 {
		t.Errorf("the edited vote lost its buttons: %q", last.Buttons)
	}
}

// edit: an edit of a delivered message changes it in place where the
// platform can edit, and arrives as a new message where it cannot.
func edit(t *testing.T, e *env) {
	orig := e.send(GroupA, bot.Outgoing{Text: "原文"})
	first := e.await(GroupA, "原文")
	e.awaitState(orig, bot.OutboxDelivered, GroupA)
	e.send(GroupA, bot.Outgoing{Text: "改过的文字", EditOf: orig})
	got := e.await(GroupA, "改过的文字")
	all := e.h.Received(t, GroupA)
	if e.caps().Edit {
		if got.ID != first.ID || got.Edits != 1 || len(all) != 1 {
			t.Errorf("want the message edited once in place; %s", e.describe(GroupA))
		}
		return
	}
	if len(all) != 2 || all[0].Text != "原文" {
		t.Errorf("want the edit as a second message; %s", e.describe(GroupA))
	}
}

// longText: a text far over any platform's limit arrives whole, in as
// many pieces as the platform needs, each piece once even when the
// platform refuses a piece after accepting the first, and even when the
// bot restarts before the refused piece is sent again.
func longText(t *testing.T, e *env) {
	text := longLines("第一篇", 300)
	e.send(GroupA, bot.Outgoing{Text: text})
	pieces := e.awaitWhole(GroupA, text, 0)
	t.Logf("%d runes arrived in %d piece(s)", utf8.RuneCountInString(text), len(pieces))
	if len(pieces) < 2 {
		t.Skip("the platform takes it in one piece; no piece can be refused after another")
	}
	before := len(e.texts(GroupA))
	r := e.h.Refuse(t, GroupA, 1, 1)
	again := longLines("第二篇", 300)
	e.send(GroupA, bot.Outgoing{Text: again})
	e.awaitWhole(GroupA, again, before)
	if len(r.At) != 1 {
		t.Error("the second piece was not refused")
	}

	// The same across a restart: the bot stops while the refused piece
	// waits for its retry; the next process sends only what is missing.
	before = len(e.texts(GroupA))
	r = e.h.Refuse(t, GroupA, 1, 1)
	third := longLines("第三篇", 300)
	e.send(GroupA, bot.Outgoing{Text: third})
	select {
	case <-r.At:
	case <-time.After(wait):
		t.Fatalf("the second piece was not refused; %s", e.describe(GroupA))
	}
	e.restart()
	e.awaitWhole(GroupA, third, before)
}

// longLines is n numbered lines of 30 runes each.
func longLines(title string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s第%03d行：%s\n", title, i, strings.Repeat("长", 20))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// awaitWhole waits until the messages c received after the first skip add
// up to text, and checks that they add up to nothing more once the outbox
// has settled. Pieces are compared without their line breaks: a platform
// may cut at one.
func (e *env) awaitWhole(c Chat, text string, skip int) []string {
	e.t.Helper()
	flat := func(s string) string { return strings.ReplaceAll(s, "\n", "") }
	want := flat(text)
	joined := func() ([]string, string) {
		got := e.texts(c)
		if len(got) < skip {
			return nil, ""
		}
		return got[skip:], flat(strings.Join(got[skip:], ""))
	}
	e.eventually("the long text whole", func() bool {
		_, s := joined()
		return len(s) >= len(want)
	}, c)
	pieces, s := joined()
	if s != want {
		e.t.Fatalf("the pieces do not add up to the text: %d pieces, %d runes, want %d runes once", len(pieces), utf8.RuneCountInString(s), utf8.RuneCountInString(want))
	}
	for _, p := range pieces {
		if !utf8.ValidString(p) {
			e.t.Errorf("a piece is not valid UTF-8: %q…", p[:min(len(p), 40)])
		}
	}
	e.settle(c)
	if got := e.texts(c); len(got) != skip+len(pieces)+1 {
		e.t.Errorf("after the long text %s received %d more messages than its pieces and the marker", c, len(got)-skip-len(pieces)-1)
	}
	return pieces
}

// file: a message carrying a file delivers the file whole, under its name,
// with its text as the caption, once, into the chat it was queued for; a
// refused upload is sent again once; a file that is gone by the time of
// sending fails for good without reaching the platform.
func file(t *testing.T, e *env) {
	if !e.caps().Files {
		t.Skip("the platform cannot send files")
	}
	p := Private(Zhang)
	e.h.Say(t, p, Zhang, "/echo 你好") // the private chat is known to both sides
	e.await(p, "你好")
	data := []byte("\ufeff姓名,学号\n张三,2023001\n")
	path := filepath.Join(t.TempDir(), "名单-1.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e.send(p, bot.Outgoing{Text: "签到 #1 的名单", File: path})
	got := e.awaitFile(p, "名单-1.csv")
	if !bytes.Equal(got.File.Data, data) {
		t.Errorf("the file arrived as %q, want %q", got.File.Data, data)
	}
	if !slices.Contains(e.texts(p), "签到 #1 的名单") {
		t.Errorf("the caption did not arrive; %s", e.describe(p))
	}

	before := e.h.Attempts(t, p)
	r := e.h.Refuse(t, p, 0, 1)
	e.send(p, bot.Outgoing{Text: "再发一次", File: path})
	select {
	case <-r.At:
	case <-time.After(wait):
		t.Fatalf("the file was not sent within %s; %s", wait, e.describe(p))
	}
	e.eventually("the file sent again", func() bool { return e.files(p) == 2 }, p)

	gone := e.send(p, bot.Outgoing{Text: "不存在的文件", File: filepath.Join(t.TempDir(), "gone.xlsx")})
	if m := e.awaitState(gone, bot.OutboxFailed, p); m.LastError == "" {
		t.Error("the failed file records no reason")
	}
	e.settle(p)
	if n := e.files(p); n != 2 {
		t.Errorf("%s received %d files, want 2; %s", p, n, e.describe(p))
	}
	if n := e.count(p, "再发一次"); n != 1 {
		t.Errorf("the caption of the refused file arrived %d times, want once", n)
	}
	if got := e.h.Attempts(t, p) - before; got < 3 {
		t.Errorf("%d attempts after the refusal, want at least the refused one, the one sent again and the marker", got)
	}
	e.noneReceived(GroupA, GroupB)
}

// awaitFile waits for a file named name in c and returns its message.
func (e *env) awaitFile(c Chat, name string) Message {
	e.t.Helper()
	var m Message
	e.eventually(fmt.Sprintf("the file %s in %s", name, c), func() bool {
		for _, r := range e.h.Received(e.t, c) {
			if r.File != nil && r.File.Name == name {
				m = r
				return true
			}
		}
		return false
	}, c)
	return m
}

// files counts the files c received.
func (e *env) files(c Chat) int {
	n := 0
	for _, m := range e.h.Received(e.t, c) {
		if m.File != nil {
			n++
		}
	}
	return n
}

// badInput: invalid UTF-8, blank text and a handler that panics neither
// stop the adapter nor put invalid text on the platform.
func badInput(t *testing.T, e *env) {
	e.h.Say(t, GroupA, Zhang, "/echo 坏\xff\xfe字")
	e.h.Say(t, GroupA, Zhang, "\xc3\x28")
	e.h.Say(t, GroupA, Zhang, "   ")
	e.h.Say(t, GroupA, Zhang, "/boom")
	e.await(GroupA, crashText)
	e.h.Say(t, GroupA, Zhang, "/echo 之后")
	e.await(GroupA, "之后")
	for _, s := range e.texts(GroupA) {
		if !utf8.ValidString(s) {
			t.Errorf("the platform got invalid UTF-8: %q", s)
		}
	}
}

// shutdownInFlight: the bot is stopped while a send is held at the
// platform. The send finishes (accepted, or failed as a broken connection
// fails it) before the engine returns; after a restart on the same SQLite
// file the answer is there exactly once: not lost, not sent twice.
func shutdownInFlight(t *testing.T, e *env, accept bool) {
	e.h.Say(t, GroupA, Zhang, "/echo 热身")
	e.await(GroupA, "热身")
	hold := e.h.Hold(t, GroupA)
	e.h.Say(t, GroupA, Zhang, "/echo 关机时在路上")
	select {
	case <-hold.Started:
	case <-time.After(wait):
		t.Fatalf("the answer did not reach the platform within %s; %s", wait, e.describe(GroupA))
	}
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	select {
	case err := <-stopped:
		hold.Release(accept)
		t.Fatalf("the bot stopped (%v) while a send was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	hold.Release(accept)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(2 * wait):
		t.Fatal("the bot did not stop after the send finished")
	}
	if n := e.count(GroupA, "关机时在路上"); accept && n != 1 || !accept && n != 0 {
		t.Errorf("before the restart the answer arrived %d times", n)
	}
	e.start()
	e.await(GroupA, "关机时在路上")
	e.settle(GroupA)
	if n := e.count(GroupA, "关机时在路上"); n != 1 {
		t.Errorf("the answer arrived %d times over the two runs, want once", n)
	}
}

// backlogSurvivesKill: the bot has fetched a backlog it has not handled yet
// (the chat's first command is stuck, the rest wait behind it) and the
// platform holds none of it any more, when the process is killed. A new
// process on the same database handles every message of the backlog, and
// the stuck command, exactly once: what an adapter confirms to its platform
// was stored first.
func backlogSurvivesKill(t *testing.T, e *env) {
	if n := e.h.Unconfirmed(t); n != 0 { // skips where nothing is kept for the bot
		t.Fatalf("the platform holds %d messages before any was said", n)
	}
	e.h.Say(t, GroupA, Zhang, "/echo 热身")
	e.await(GroupA, "热身")
	gate := make(chan struct{}) // never opened: the killed run stays stuck
	t.Cleanup(func() { close(gate) })
	e.cur.feat.block(gate)
	e.h.Say(t, GroupA, Zhang, "/hold")
	select {
	case <-e.cur.feat.holding:
	case <-time.After(wait):
		t.Fatal("/hold was not handled")
	}
	const n = 20
	var want []string
	for i := range n {
		text := fmt.Sprintf("积压%02d", i)
		want = append(want, text)
		e.h.Say(t, GroupA, Members[i%len(Members)], "/echo "+text)
	}
	e.eventually("the platform to hold none of the backlog", func() bool { return e.h.Unconfirmed(t) == 0 }, GroupA)
	for _, text := range want {
		if e.count(GroupA, text) != 0 {
			t.Fatalf("%q was answered before the stuck command in front of it", text)
		}
	}
	e.kill()
	e.start()
	for _, text := range append(want, heldText) {
		e.await(GroupA, text)
	}
	e.settle(GroupA)
	for _, text := range append(want, heldText) {
		if c := e.count(GroupA, text); c != 1 {
			t.Errorf("%q was answered %d times, want once", text, c)
		}
	}
	if got, wantOrder := e.texts(GroupA), append([]string{"热身", heldText}, want...); strings.Join(got[:len(wantOrder)], " ") != strings.Join(wantOrder, " ") {
		t.Errorf("%s received %q, want %q first, in that order", GroupA, got, wantOrder)
	}
}
