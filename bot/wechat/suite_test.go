package wechat_test

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/platformtest"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/bot/wechat/wechattest"
)

func TestPlatformSuite(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newSuiteHarness(t) })
}

// tooOften is the adapter's first pause after Ret 1205 in the suite.
const tooOften = time.Second

// suiteHarness runs the real adapter (openwechat) against the fake
// web-WeChat server for the platform suite. QR codes are confirmed at once;
// a restart logs in hot from the session file.
type suiteHarness struct {
	srv *wechattest.Server

	mu  sync.Mutex
	p   *wechat.Platform // the current run's adapter
	cut *atomic.Bool     // set to kill the current adapter's network
}

func newSuiteHarness(t *testing.T) *suiteHarness {
	srv := wechattest.New(wechattest.Options{AutoConfirm: true})
	t.Cleanup(srv.Close)
	h := &suiteHarness{srv: srv}
	var members []wechattest.Member
	for _, name := range platformtest.Members {
		members = append(members, wechattest.Member{NickName: name})
		srv.AddFriend(name)
	}
	for _, g := range []platformtest.Chat{platformtest.GroupA, platformtest.GroupB} {
		srv.AddGroup(wechattest.Group{Name: g.Name, Saved: true, Members: members})
	}
	return h
}

func (h *suiteHarness) Start(t *testing.T, b platformtest.Bot) bot.Platform {
	cut, base := new(atomic.Bool), h.srv.Transport()
	p := wechat.New(wechat.Options{
		SessionFile: filepath.Join(b.Dir, "wechat-session.json"),
		Logger:      b.Logger,
		Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			if cut.Load() {
				return nil, errors.New("killed")
			}
			return base.RoundTrip(r)
		}),
		LoginRetry: 50 * time.Millisecond, SyncErrorPause: 20 * time.Millisecond, TooOftenBackoff: tooOften,
	})
	h.mu.Lock()
	h.p, h.cut = p, cut
	h.mu.Unlock()
	return p
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (h *suiteHarness) Unconfirmed(t *testing.T) int { return h.srv.Unconfirmed() }

func (h *suiteHarness) Kill(t *testing.T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cut.Store(true)
}

func (h *suiteHarness) platform() *wechat.Platform {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.p
}

func (h *suiteHarness) Ready(t *testing.T) {
	if !wechattest.WaitFor(15*time.Second, h.platform().Connected) {
		t.Fatal("the adapter did not log in")
	}
}

func (h *suiteHarness) ChatID(c platformtest.Chat) string {
	if c.Kind == bot.Private {
		return wechat.PrivatePrefix + c.Name
	}
	return c.Name
}

func (h *suiteHarness) Say(t *testing.T, c platformtest.Chat, member, text string) {
	t.Helper()
	var err error
	if c.Kind == bot.Private {
		err = h.srv.SayPrivate(c.Name, text)
	} else {
		err = h.srv.Say(c.Name, member, text)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// SayToBot mentions the account the way WeChat clients do: "@nickname"
// and a U+2005 space.
func (h *suiteHarness) SayToBot(t *testing.T, c platformtest.Chat, member, text string) {
	h.Say(t, c, member, "@"+h.platform().BotUsername()+"\u2005"+text)
}

// in reports whether a send went to chat c.
func in(c platformtest.Chat, s wechattest.Sent) bool {
	if c.Kind == bot.Private {
		return s.Friend == c.Name
	}
	return s.Group == c.Name
}

func (h *suiteHarness) Received(t *testing.T, c platformtest.Chat) []platformtest.Message {
	var out []platformtest.Message
	for _, s := range h.srv.Delivered() {
		if !in(c, s) {
			continue
		}
		m := platformtest.Message{ID: s.ClientID, Text: s.Content, At: s.At}
		if s.File != nil {
			// A file has no caption on WeChat: the text came before it.
			m.Text, m.File = "", &platformtest.File{Name: s.File.Name, Data: s.File.Data}
		}
		if name, rest, ok := strings.Cut(s.Content, "\u2005"); ok && strings.HasPrefix(name, "@") && s.File == nil {
			m.Mention, m.Text = strings.TrimPrefix(name, "@"), rest
		}
		// Further on, "@名字" and U+2005 is WeChat's way to write a mention.
		for _, part := range strings.Split(m.Text, "\u2005")[:strings.Count(m.Text, "\u2005")] {
			if i := strings.LastIndex(part, "@"); i >= 0 {
				m.Mentions = append(m.Mentions, part[i+1:])
			}
		}
		m.Text = strings.ReplaceAll(m.Text, "\u2005", " ")
		out = append(out, m)
	}
	return out
}

func (h *suiteHarness) Attempts(t *testing.T, c platformtest.Chat) int {
	n := 0
	for _, s := range h.srv.Sent() {
		if in(c, s) {
			n++
		}
	}
	return n
}

// Refuse answers Ret 1205 ("too often"), which pauses the whole account.
func (h *suiteHarness) Refuse(t *testing.T, c platformtest.Chat, accept, n int) platformtest.Refusal {
	r := platformtest.NewRefuser(accept, n, tooOften, true)
	h.srv.OnSend(func(s wechattest.Sent) int {
		if !in(c, s) || !r.Next() {
			return 0
		}
		return 1205
	})
	return r.Refusal()
}

func (h *suiteHarness) Remove(t *testing.T, c platformtest.Chat) {
	t.Skip("web WeChat cannot tell a group the bot left from one renamed or not saved to contacts: " +
		"its messages wait group_retry and are tried again (see TestRenamedGroupKeepsItsQueueAfterRebind)")
}

// Hold blocks the next send to the chat in the server; a failed release
// answers 502, as a proxy in front of a broken connection would.
func (h *suiteHarness) Hold(t *testing.T, c platformtest.Chat) platformtest.Hold {
	g := platformtest.NewGate(t)
	h.srv.OnSend(func(s wechattest.Sent) int {
		if !in(c, s) || g.Pass() {
			return 0
		}
		return wechattest.BadGateway
	})
	return g.Hold()
}

func (h *suiteHarness) Press(t *testing.T, c platformtest.Chat, member string, m platformtest.Message, label string) {
	t.Fatal("web WeChat has no buttons")
}

func (h *suiteHarness) Answers(t *testing.T) []platformtest.Answer { return nil }

// SayPicture implements platformtest.PictureSayer: a picture message
// (MsgType 3), fetched from webwxgetmsgimg.
func (h *suiteHarness) SayPicture(t *testing.T, c platformtest.Chat, member string, data []byte) {
	t.Helper()
	if c.Kind == bot.Private {
		t.Fatal("wechattest sends pictures in groups only")
	}
	if _, err := h.srv.SayPicture(c.Name, member, data); err != nil {
		t.Fatal(err)
	}
}
