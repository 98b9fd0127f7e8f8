package memchat_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/bot/platformtest"
)

func TestPlatformSuite(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newHarness(t) })
}

// harness runs the in-memory platform for the suite. The platform is its
// own server: one instance serves every run, and its FailWith function
// plays the network (refusals, a chat gone, a slow send).
type harness struct {
	p *memchat.Platform

	mu       sync.Mutex
	attempts map[string]int // by chat id
	refusers map[string]*platformtest.Refuser
	gates    map[string]*platformtest.Gate
	gone     map[string]bool
	pressers map[string]string // callback id → member
}

// retryAfter is the wait the platform asks for when it refuses a send.
const retryAfter = time.Second

func newHarness(t *testing.T) *harness {
	h := &harness{
		p:        memchat.New("memchat", bot.Capabilities{Buttons: true, Edit: true, Mentions: true, Private: true, Files: true, Images: true}),
		attempts: map[string]int{}, refusers: map[string]*platformtest.Refuser{}, gates: map[string]*platformtest.Gate{},
		gone: map[string]bool{}, pressers: map[string]string{},
	}
	h.p.SetUsername("memchat_bot")
	h.p.FailWith(h.network)
	return h
}

// network decides the fate of one send or edit.
func (h *harness) network(o bot.Outbound) error {
	h.mu.Lock()
	h.attempts[o.ChatID]++
	gone, r, g := h.gone[o.ChatID], h.refusers[o.ChatID], h.gates[o.ChatID]
	h.mu.Unlock()
	switch {
	case gone:
		return fmt.Errorf("memchat: %w", bot.ErrChatGone)
	case r != nil && r.Next():
		return &bot.RetryAfterError{After: retryAfter, Err: errors.New("memchat: too many requests")}
	case g != nil && !g.Pass():
		return errors.New("memchat: connection reset")
	}
	return nil
}

func (h *harness) Start(t *testing.T, b platformtest.Bot) bot.Platform { return h.p }

func (h *harness) Ready(t *testing.T) {}

func (h *harness) ChatID(c platformtest.Chat) string {
	if c.Kind == bot.Private {
		return "private:" + c.Name
	}
	return c.Name
}

func (h *harness) message(c platformtest.Chat, member, text string) bot.Message {
	return bot.Message{
		ChatID: h.ChatID(c), ChatKind: c.Kind, ChatTitle: c.Name,
		SenderID: member, SenderName: member, Text: text, Time: time.Now(),
	}
}

func (h *harness) Say(t *testing.T, c platformtest.Chat, member, text string) {
	h.p.Deliver(h.message(c, member, text))
}

// SayPicture implements platformtest.PictureSayer: a message with no text
// whose Image the platform fetches (AddImage).
func (h *harness) SayPicture(t *testing.T, c platformtest.Chat, member string, data []byte) {
	m := h.message(c, member, "")
	m.Image = fmt.Sprintf("pic-%d", time.Now().UnixNano())
	h.p.AddImage(m.Image, data)
	h.p.Deliver(m)
}

// SayToBot hands the engine what an adapter makes of "@bot text": the text
// with the mention taken off, marked as naming the bot.
func (h *harness) SayToBot(t *testing.T, c platformtest.Chat, member, text string) {
	m := h.message(c, member, text)
	m.MentionsBot = true
	h.p.Deliver(m)
}

func (h *harness) Received(t *testing.T, c platformtest.Chat) []platformtest.Message {
	id := h.ChatID(c)
	var out []platformtest.Message
	for _, s := range h.p.Sent() {
		if s.CallbackID != "" || s.ChatID != id {
			continue
		}
		m := platformtest.Message{ID: s.MessageID, Text: s.Text, At: s.At}
		if s.File != "" {
			// The platform keeps the path; the file is still there.
			data, err := os.ReadFile(s.File)
			if err != nil {
				t.Fatal(err)
			}
			m.File = &platformtest.File{Name: filepath.Base(s.File), Data: data}
		}
		if s.Mention != nil {
			m.Mention = s.Mention.Name
		}
		for _, sp := range bot.MentionSpans(s.Text, s.Mentions) {
			m.Mentions = append(m.Mentions, sp.Name)
		}
		for _, row := range s.Buttons {
			var labels []string
			for _, b := range row {
				labels = append(labels, b.Text)
			}
			m.Buttons = append(m.Buttons, labels)
		}
		if i := slices.IndexFunc(out, func(o platformtest.Message) bool { return o.ID == s.MessageID }); s.Edit && i >= 0 {
			m.At, m.Edits = out[i].At, out[i].Edits+1
			out[i] = m
			continue
		}
		out = append(out, m)
	}
	return out
}

func (h *harness) Attempts(t *testing.T, c platformtest.Chat) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.attempts[h.ChatID(c)]
}

func (h *harness) Refuse(t *testing.T, c platformtest.Chat, accept, n int) platformtest.Refusal {
	r := platformtest.NewRefuser(accept, n, retryAfter, false)
	h.mu.Lock()
	h.refusers[h.ChatID(c)] = r
	h.mu.Unlock()
	return r.Refusal()
}

func (h *harness) Remove(t *testing.T, c platformtest.Chat) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gone[h.ChatID(c)] = true
}

func (h *harness) Hold(t *testing.T, c platformtest.Chat) platformtest.Hold {
	g := platformtest.NewGate(t)
	h.mu.Lock()
	h.gates[h.ChatID(c)] = g
	h.mu.Unlock()
	return g.Hold()
}

func (h *harness) Press(t *testing.T, c platformtest.Chat, member string, m platformtest.Message, label string) {
	t.Helper()
	data := ""
	for _, s := range h.p.Sent() {
		if s.MessageID != m.ID || s.CallbackID != "" || s.ChatID != h.ChatID(c) {
			continue
		}
		for _, row := range s.Buttons {
			for _, b := range row {
				if b.Text == label {
					data = b.Data
				}
			}
		}
	}
	if data == "" {
		t.Fatalf("no button %q under message %s in %s", label, m.ID, c)
	}
	h.mu.Lock()
	cb := fmt.Sprintf("cb%d", len(h.pressers)+1)
	h.pressers[cb] = member
	h.mu.Unlock()
	msg := h.message(c, member, data)
	msg.CallbackID, msg.ID = cb, m.ID
	h.p.Deliver(msg)
}

func (h *harness) Answers(t *testing.T) []platformtest.Answer {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []platformtest.Answer
	for _, s := range h.p.Sent() {
		if s.CallbackID != "" && s.Text != "" {
			out = append(out, platformtest.Answer{To: h.pressers[s.CallbackID], Text: s.Text})
		}
	}
	return out
}

func (h *harness) Unconfirmed(t *testing.T) int { return h.p.Pending() }

func (h *harness) Kill(t *testing.T) { h.p.Cut() }
