package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/platformtest"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
)

func TestPlatformSuite(t *testing.T) {
	platformtest.Run(t, func(t *testing.T) platformtest.Harness { return newSuiteHarness(t) })
}

// suiteHarness runs the real adapter (go-telegram/bot) against the fake
// Bot API server for the platform suite.
type suiteHarness struct {
	srv   *telegramtest.Server
	users map[string]telegramtest.User
	names map[int64]string // user id → member
	chats map[platformtest.Chat]telegramtest.Chat

	mu       sync.Mutex
	started  time.Time         // when the current adapter was made
	polled   time.Time         // when the last long poll began
	pressers map[string]string // callback query id → member
	cut      *atomic.Bool      // set to kill the current adapter's network
}

func newSuiteHarness(t *testing.T) *suiteHarness {
	h := &suiteHarness{
		srv:   telegramtest.New(t, telegramtest.Options{}),
		users: map[string]telegramtest.User{}, names: map[int64]string{},
		chats:    map[platformtest.Chat]telegramtest.Chat{},
		pressers: map[string]string{},
	}
	for i, name := range platformtest.Members {
		u := telegramtest.Person(int64(3001+i), name, "")
		h.users[name], h.names[u.ID] = u, name
		h.chats[platformtest.Private(name)] = telegramtest.PrivateChat(u)
	}
	h.chats[platformtest.GroupA] = telegramtest.Group(-4001, platformtest.GroupA.Name)
	h.chats[platformtest.GroupB] = telegramtest.Group(-4002, platformtest.GroupB.Name)
	// The bot is in both groups and both members have started it, so the
	// server takes sends to every chat. (Pushing my_chat_member updates
	// instead would race with the subtests: a late "added" reactivates a
	// chat that ChatGone has just seen go.)
	for _, chat := range h.chats {
		h.srv.NewMessage(chat, h.users[platformtest.Zhang], "")
	}
	h.srv.OnCall(func(call telegramtest.Call) *telegramtest.Failure {
		if call.Method == "getUpdates" {
			h.mu.Lock()
			h.polled = call.At
			h.mu.Unlock()
		}
		return nil
	})
	return h
}

func (h *suiteHarness) Start(t *testing.T, b platformtest.Bot) bot.Platform {
	t.Helper()
	cut := new(atomic.Bool)
	h.mu.Lock()
	h.started = time.Now()
	h.cut = cut
	h.mu.Unlock()
	tg, err := telegram.New(context.Background(), telegram.Options{
		Token: h.srv.Token, APIURL: h.srv.URL, PollTimeout: 2 * time.Second,
		Commands: b.Engine.Commands, Buttons: b.DB, Logger: b.Logger,
		HTTPClient: &http.Client{Timeout: 17 * time.Second, Transport: cutTransport{cut}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// Ready waits until the new adapter has begun its first long poll.
func (h *suiteHarness) Ready(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		polling := !h.polled.Before(h.started)
		h.mu.Unlock()
		if polling {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the adapter did not start polling")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *suiteHarness) chat(c platformtest.Chat) telegramtest.Chat { return h.chats[c] }

func (h *suiteHarness) ChatID(c platformtest.Chat) string {
	return strconv.FormatInt(h.chat(c).ID, 10)
}

func (h *suiteHarness) Say(t *testing.T, c platformtest.Chat, member, text string) {
	h.srv.Say(h.chat(c), h.users[member], text)
}

// SayPicture implements platformtest.PictureSayer: a photo without a
// caption, fetched through getFile and the file address.
func (h *suiteHarness) SayPicture(t *testing.T, c platformtest.Chat, member string, data []byte) {
	h.srv.SayPhoto(h.chat(c), h.users[member], "", data)
}

func (h *suiteHarness) SayToBot(t *testing.T, c platformtest.Chat, member, text string) {
	h.srv.Say(h.chat(c), h.users[member], "@"+h.srv.Bot.Username+" "+text)
}

// to reports whether a call sends to or edits in chat c.
func (h *suiteHarness) to(c platformtest.Chat) func(telegramtest.Call) bool {
	id := h.chat(c).ID
	return func(call telegramtest.Call) bool {
		return (call.Method == "sendMessage" || call.Method == "sendDocument" || call.Method == "editMessageText") && call.Int("chat_id") == id
	}
}

// Received reads the accepted sendMessage and sendDocument calls, with each
// message's text (a document's caption) and keyboard as they stand after
// edits.
func (h *suiteHarness) Received(t *testing.T, c platformtest.Chat) []platformtest.Message {
	id := h.chat(c).ID
	now := map[int]telegramtest.SentMessage{}
	for _, m := range h.srv.Sent(id) {
		now[m.ID] = m
	}
	var out []platformtest.Message
	for _, call := range h.srv.Calls("sendMessage", "sendDocument") {
		if call.Failure != nil || call.Int("chat_id") != id {
			continue
		}
		var res struct {
			MessageID int `json:"message_id"`
		}
		if err := json.Unmarshal(call.Result, &res); err != nil {
			t.Fatal(err)
		}
		m := platformtest.Message{ID: strconv.Itoa(res.MessageID), At: call.At, Text: call.Params["text"]}
		entities := "entities"
		if call.Method == "sendDocument" {
			m.Text, entities = call.Params["caption"], "caption_entities"
		}
		var ents []telegramtest.Entity
		if call.JSON(entities, &ents) == nil {
			for _, e := range ents {
				if e.Type != "text_mention" || e.User == nil {
					continue
				}
				name := h.names[e.User.ID]
				if got := utf16Slice(m.Text, e.Offset, e.Length); got != "@"+name {
					t.Errorf("a text_mention of %s covers %q", name, got)
				}
				if e.Offset == 0 {
					m.Mention = name
				} else {
					m.Mentions = append(m.Mentions, name)
				}
			}
		}
		cur, ok := now[res.MessageID]
		if ok {
			m.Text, m.Edits = cur.Text, cur.Edits
			m.Buttons = labels(cur.ReplyMarkup)
			if cur.Document != nil {
				m.File = &platformtest.File{Name: cur.Document.FileName, Data: cur.Document.Data}
			}
		}
		if m.Mention != "" {
			m.Text = strings.TrimPrefix(m.Text, "@"+m.Mention+" ")
		}
		out = append(out, m)
	}
	return out
}

// utf16Slice is s[off:off+n] in UTF-16 code units, as Telegram counts.
func utf16Slice(s string, off, n int) string {
	u := utf16.Encode([]rune(s))
	if off < 0 || n < 0 || off+n > len(u) {
		return ""
	}
	return string(utf16.Decode(u[off : off+n]))
}

func labels(markup string) [][]string {
	var kb struct {
		InlineKeyboard [][]telegramtest.Button `json:"inline_keyboard"`
	}
	if markup == "" || json.Unmarshal([]byte(markup), &kb) != nil {
		return nil
	}
	var out [][]string
	for _, row := range kb.InlineKeyboard {
		var r []string
		for _, b := range row {
			r = append(r, b.Text)
		}
		out = append(out, r)
	}
	return out
}

func (h *suiteHarness) Attempts(t *testing.T, c platformtest.Chat) int {
	n := 0
	for _, call := range h.srv.Calls("sendMessage", "sendDocument", "editMessageText") {
		if h.to(c)(call) {
			n++
		}
	}
	return n
}

// Refuse answers 429 with retry_after 1 (Telegram counts in whole seconds).
func (h *suiteHarness) Refuse(t *testing.T, c platformtest.Chat, accept, n int) platformtest.Refusal {
	r, to := platformtest.NewRefuser(accept, n, time.Second, false), h.to(c)
	h.srv.OnCall(func(call telegramtest.Call) *telegramtest.Failure {
		if !to(call) || !r.Next() {
			return nil
		}
		f := telegramtest.TooManyRequests(1)
		return &f
	})
	return r.Refusal()
}

// Remove kicks the bot without the my_chat_member update: sends get 403.
func (h *suiteHarness) Remove(t *testing.T, c platformtest.Chat) { h.srv.Kick(h.chat(c)) }

// Hold blocks the next call to the chat in the server; a failed release
// answers 502, as a proxy in front of a broken connection would.
func (h *suiteHarness) Hold(t *testing.T, c platformtest.Chat) platformtest.Hold {
	g, to := platformtest.NewGate(t), h.to(c)
	h.srv.OnCall(func(call telegramtest.Call) *telegramtest.Failure {
		if !to(call) || g.Pass() {
			return nil
		}
		return &telegramtest.Failure{Code: 502, Description: "Bad Gateway"}
	})
	return g.Hold()
}

func (h *suiteHarness) Press(t *testing.T, c platformtest.Chat, member string, m platformtest.Message, label string) {
	t.Helper()
	id, _ := strconv.Atoi(m.ID)
	data := ""
	for _, sm := range h.srv.Sent(h.chat(c).ID) {
		if sm.ID != id {
			continue
		}
		var kb struct {
			InlineKeyboard [][]telegramtest.Button `json:"inline_keyboard"`
		}
		_ = json.Unmarshal([]byte(sm.ReplyMarkup), &kb)
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.Text == label {
					data = b.CallbackData
				}
			}
		}
	}
	if data == "" {
		t.Fatalf("no button %q under message %s in %s", label, m.ID, c)
	}
	cb := h.srv.Press(h.chat(c), h.users[member], id, data)
	h.mu.Lock()
	h.pressers[cb] = member
	h.mu.Unlock()
}

func (h *suiteHarness) Answers(t *testing.T) []platformtest.Answer {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []platformtest.Answer
	for _, call := range h.srv.Calls("answerCallbackQuery") {
		if call.Failure == nil && call.Params["text"] != "" {
			out = append(out, platformtest.Answer{To: h.pressers[call.Params["callback_query_id"]], Text: call.Params["text"]})
		}
	}
	return out
}

// cutTransport fails every request once cut is set: the process it stands
// for is dead.
type cutTransport struct{ cut *atomic.Bool }

func (c cutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.cut.Load() {
		return nil, errors.New("killed")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (h *suiteHarness) Unconfirmed(t *testing.T) int { return h.srv.Pending() }

func (h *suiteHarness) Kill(t *testing.T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cut.Store(true)
}
