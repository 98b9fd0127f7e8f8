package qq_test

import (
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/platformtest"
	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

func TestPlatformSuite(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newSuiteHarness(t) })
}

// riskBackoff is the adapter's first pause after retcode 1200 in the suite.
const riskBackoff = time.Second

// suiteHarness runs the real adapter on a loopback port that every run of
// the bot reuses, dialed by one fake bridge that outlives the runs.
type suiteHarness struct {
	world  *qqtest.World
	bridge *qqtest.Bridge
	addr   string
	ids    map[string]int64 // member or group name -> QQ number

	mu sync.Mutex
	p  *qq.Platform
}

func newSuiteHarness(t *testing.T) *suiteHarness {
	h := &suiteHarness{world: qqtest.NewWorld(selfQQ, "支部助手"), ids: map[string]int64{}}
	var members []qqtest.Member
	for i, name := range platformtest.Members {
		id := int64(40001 + i)
		h.ids[name] = id
		members = append(members, qqtest.Member{UserID: id, Nickname: name})
	}
	for i, g := range []platformtest.Chat{platformtest.GroupA, platformtest.GroupB} {
		id := int64(600001 + i)
		h.ids[g.Name] = id
		h.world.AddGroup(qqtest.Group{ID: id, Name: g.Name, Members: members})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ln.Close()
	h.bridge = qqtest.Start(h.world, qqtest.Options{URL: "ws://" + h.addr + qq.DefaultPath, Token: token, Heartbeat: time.Second})
	t.Cleanup(h.bridge.Close)
	return h
}

// Start listens on the harness's port again (a killed run may still hold
// it for a moment) and lets the bridge dial.
func (h *suiteHarness) Start(t *testing.T, b platformtest.Bot) bot.Platform {
	var ln net.Listener
	deadline := time.Now().Add(waitLimit)
	for {
		var err error
		if ln, err = net.Listen("tcp", h.addr); err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p, err := qq.New(qq.Options{Listener: ln, AccessToken: token, Logger: b.Logger, ReconnectWait: 2 * time.Second, RiskBackoff: riskBackoff, Files: true})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.p = p
	h.mu.Unlock()
	h.bridge.Resume()
	return p
}

func (h *suiteHarness) platform() *qq.Platform {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.p
}

func (h *suiteHarness) Ready(t *testing.T) {
	if !waitFor(h.platform().Connected) {
		t.Fatalf("the bridge did not connect; refusals %v", h.bridge.Refusals())
	}
}

func (h *suiteHarness) ChatID(c platformtest.Chat) string {
	id := strconv.FormatInt(h.ids[c.Name], 10)
	if c.Kind == bot.Private {
		return qq.PrivatePrefix + id
	}
	return id
}

func (h *suiteHarness) Say(t *testing.T, c platformtest.Chat, member, text string) {
	t.Helper()
	h.say(t, c, member, qqtest.Text(text))
}

// SayToBot mentions the bot with an at segment, as QQ clients do.
func (h *suiteHarness) SayToBot(t *testing.T, c platformtest.Chat, member, text string) {
	t.Helper()
	h.say(t, c, member, qqtest.At(selfQQ), qqtest.Text(" "+text))
}

func (h *suiteHarness) say(t *testing.T, c platformtest.Chat, member string, segs ...qqtest.Segment) {
	t.Helper()
	var err error
	if c.Kind == bot.Private {
		_, err = h.bridge.SayPrivate(h.ids[c.Name], segs...)
	} else {
		_, err = h.bridge.SayGroup(h.ids[c.Name], h.ids[member], segs...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// in reports whether a send went to chat c.
func (h *suiteHarness) in(c platformtest.Chat, s qqtest.Sent) bool {
	if c.Kind == bot.Private {
		return s.User == h.ids[c.Name]
	}
	return s.Group == h.ids[c.Name]
}

func (h *suiteHarness) name(qq string) string {
	for name, id := range h.ids {
		if strconv.FormatInt(id, 10) == qq {
			return name
		}
	}
	return qq
}

func (h *suiteHarness) Received(t *testing.T, c platformtest.Chat) []platformtest.Message {
	var out []platformtest.Message
	for _, s := range h.world.Delivered() {
		if !h.in(c, s) {
			continue
		}
		m := platformtest.Message{ID: strconv.FormatInt(s.MessageID, 10), Text: s.Text(), At: s.At}
		// At segments after the first text are the members named in it:
		// written into the text as QQ shows them, "@" and their name.
		var text strings.Builder
		for _, seg := range s.Message {
			switch {
			case seg.Type == "text":
				text.WriteString(seg.Data["text"])
			case seg.Type == "at" && text.Len() > 0:
				name := h.name(seg.Data["qq"])
				text.WriteString("@" + name)
				m.Mentions = append(m.Mentions, name)
			}
		}
		m.Text = text.String()
		if s.File != nil {
			// QQ shows no caption with a file: the text came before it.
			m.File = &platformtest.File{Name: s.File.Name, Data: s.File.Data}
		}
		if i := slices.IndexFunc(s.Message, func(seg qqtest.Segment) bool { return seg.Type != "reply" }); i >= 0 && s.Message[i].Type == "at" {
			m.Mention, m.Text = h.name(s.Message[i].Data["qq"]), strings.TrimPrefix(m.Text, " ")
		}
		out = append(out, m)
	}
	return out
}

func (h *suiteHarness) Attempts(t *testing.T, c platformtest.Chat) int {
	n := 0
	for _, s := range h.world.Sent() {
		if h.in(c, s) {
			n++
		}
	}
	return n
}

// Refuse answers retcode 1200, which holds the whole account.
func (h *suiteHarness) Refuse(t *testing.T, c platformtest.Chat, accept, n int) platformtest.Refusal {
	r := platformtest.NewRefuser(accept, n, riskBackoff, true)
	h.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
		if !h.in(c, s) || !r.Next() {
			return qqtest.Deliver
		}
		return qqtest.Fail1200
	})
	return r.Refusal()
}

// Remove takes the group out of the account's groups: sends fail with
// retcode 1200, and get_group_list no longer lists it.
func (h *suiteHarness) Remove(t *testing.T, c platformtest.Chat) {
	if c.Kind == bot.Private {
		t.Skip("a private chat cannot be left")
	}
	h.world.RemoveGroup(h.ids[c.Name])
}

// Hold holds the next send to the chat in the bridge; a failed release
// answers retcode 1200 (the bridge did not send it).
func (h *suiteHarness) Hold(t *testing.T, c platformtest.Chat) platformtest.Hold {
	g := platformtest.NewGate(t)
	h.world.OnSend(func(s qqtest.Sent) qqtest.Fault {
		if !h.in(c, s) || g.Pass() {
			return qqtest.Deliver
		}
		return qqtest.Fail1200
	})
	return g.Hold()
}

func (h *suiteHarness) Unconfirmed(t *testing.T) int {
	t.Skip("a OneBot bridge keeps nothing for the bot: it pushes each event once and drops events while the bot is away")
	return 0
}

// Kill drops the connection and keeps the bridge from dialing until the
// next Start.
func (h *suiteHarness) Kill(t *testing.T) { h.bridge.Pause() }

func (h *suiteHarness) Press(t *testing.T, c platformtest.Chat, member string, m platformtest.Message, label string) {
	t.Fatal("the QQ adapter sends no buttons")
}

func (h *suiteHarness) Answers(t *testing.T) []platformtest.Answer { return nil }
