// Package telegramtest is a fake Telegram Bot API server on httptest, for
// tests that run a real Bot API client (github.com/go-telegram/bot) end to
// end. It speaks the wire protocol: POST /bot<token>/<method> with
// multipart/form-data (with uploaded files, for sendDocument), JSON or
// URL-encoded parameters, answers
// {"ok":true,"result":…} or {"ok":false,"error_code":…,"description":…,
// "parameters":{…}} with the matching HTTP status, holds long-poll getUpdates
// for its timeout and honours offset, delivers updates to a webhook once one
// is set, and checks what Telegram checks (callback_data of 1–64 bytes,
// message length, known chats and messages, command names).
//
// Tests push updates (messages with Telegram's own entities, button presses,
// the bot being added or removed, a group upgraded to a supergroup), inject
// errors (429 with retry_after, migrate_to_chat_id, any error code) and read
// back every call the client made.
package telegramtest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
)

// User is a Telegram user as the Bot API encodes it.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

// Chat is a Telegram chat. Type is "private", "group" or "supergroup".
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// Entity is a MessageEntity; offsets and lengths are in UTF-16 code units.
type Entity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	User   *User  `json:"user,omitempty"`
}

// Message is a Telegram message.
type Message struct {
	MessageID         int             `json:"message_id"`
	From              *User           `json:"from,omitempty"`
	Date              int64           `json:"date"`
	Chat              Chat            `json:"chat"`
	Text              string          `json:"text,omitempty"`
	Entities          []Entity        `json:"entities,omitempty"`
	Document          *DocumentInfo   `json:"document,omitempty"`
	Photo             []PhotoSize     `json:"photo,omitempty"`
	Caption           string          `json:"caption,omitempty"`
	CaptionEntities   []Entity        `json:"caption_entities,omitempty"`
	ReplyToMessage    *Message        `json:"reply_to_message,omitempty"`
	MigrateToChatID   int64           `json:"migrate_to_chat_id,omitempty"`
	MigrateFromChatID int64           `json:"migrate_from_chat_id,omitempty"`
	NewChatTitle      string          `json:"new_chat_title,omitempty"`
	ReplyMarkup       json.RawMessage `json:"reply_markup,omitempty"`
	EditDate          int64           `json:"edit_date,omitempty"`
}

// DocumentInfo is a file in a message, as the Bot API describes it.
type DocumentInfo struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// PhotoSize is one size of a photo in a message.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size,omitempty"`
}

// Upload is a file uploaded in a multipart request.
type Upload struct {
	Field    string // the form field, e.g. "document"
	FileName string
	Data     []byte
}

// CallbackQuery is a button press.
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// ChatMember is the bot's (or a user's) membership in a chat.
type ChatMember struct {
	Status string `json:"status"` // creator, administrator, member, restricted, left, kicked
	User   User   `json:"user"`
}

// ChatMemberUpdated reports a membership change.
type ChatMemberUpdated struct {
	Chat          Chat       `json:"chat"`
	From          User       `json:"from"`
	Date          int64      `json:"date"`
	OldChatMember ChatMember `json:"old_chat_member"`
	NewChatMember ChatMember `json:"new_chat_member"`
}

// Update is one incoming update. UpdateID is assigned by Push.
type Update struct {
	UpdateID      int64              `json:"update_id"`
	Message       *Message           `json:"message,omitempty"`
	EditedMessage *Message           `json:"edited_message,omitempty"`
	CallbackQuery *CallbackQuery     `json:"callback_query,omitempty"`
	MyChatMember  *ChatMemberUpdated `json:"my_chat_member,omitempty"`
	// Raw, if set, is the update as sent instead of the fields above (with
	// update_id filled in): for shapes this package has no type for, such
	// as ones a client library cannot decode (PushRaw).
	Raw json.RawMessage `json:"-"`
}

// MarshalJSON encodes the update, or its Raw form with update_id set.
func (u Update) MarshalJSON() ([]byte, error) {
	if u.Raw == nil {
		type plain Update
		return json.Marshal(plain(u))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(u.Raw, &m); err != nil {
		return nil, fmt.Errorf("telegramtest: raw update: %w", err)
	}
	m["update_id"], _ = json.Marshal(u.UpdateID)
	return json.Marshal(m)
}

// BotCommand is one entry of the command menu.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Failure is an error answer: Code is the HTTP status and error_code,
// RetryAfter and MigrateToChatID go into "parameters".
type Failure struct {
	Code            int
	Description     string
	RetryAfter      int
	MigrateToChatID int64
}

// TooManyRequests is a 429 asking to wait seconds.
func TooManyRequests(seconds int) Failure {
	return Failure{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", seconds), RetryAfter: seconds}
}

// Call is one request the client made.
type Call struct {
	Method string
	Params map[string]string // form fields; JSON values as sent (objects as JSON text)
	// Files are the files uploaded with a multipart request, by field.
	Files map[string]Upload
	At    time.Time
	// Failure is the error answered, nil when the call succeeded.
	Failure *Failure
	// Result is the JSON result answered on success.
	Result json.RawMessage
}

// Int reads an integer parameter (0 if absent or malformed).
func (c Call) Int(key string) int64 {
	v, _ := strconv.ParseInt(c.Params[key], 10, 64)
	return v
}

// JSON decodes a JSON-valued parameter (reply_markup, entities, commands).
func (c Call) JSON(key string, v any) error {
	s, ok := c.Params[key]
	if !ok {
		return fmt.Errorf("%s: no parameter %q", c.Method, key)
	}
	return json.Unmarshal([]byte(s), v)
}

// Buttons returns the callback buttons of a call's inline keyboard as
// rows of {text, callback_data}.
func (c Call) Buttons() [][]Button {
	var m struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
	}
	if c.JSON("reply_markup", &m) != nil {
		return nil
	}
	return m.InlineKeyboard
}

// Button is an inline keyboard button as sent by the client.
type Button struct {
	Text         string          `json:"text"`
	CallbackData string          `json:"callback_data,omitempty"`
	URL          string          `json:"url,omitempty"`
	CopyText     json.RawMessage `json:"copy_text,omitempty"`
}

// SentMessage is a message the bot sent, as it stands after edits.
type SentMessage struct {
	Chat        int64
	ID          int
	Text        string // the text, or a document's caption
	ReplyMarkup string // raw JSON, "" without a keyboard
	Edits       int
	// Document is the file of a sendDocument, nil for a text message.
	Document *Upload
}

type chatState struct {
	chat       Chat
	nextMsgID  int
	gone       string // description of the 403 answered to sends, "" if present
	migratedTo int64
	sent       map[int]*SentMessage
}

type callbackState struct {
	answered bool
}

// Server is the fake Bot API.
type Server struct {
	// URL is the server's base URL, for bot.WithServerURL.
	URL string
	// Token is the bot token the server accepts; other tokens get 401.
	Token string
	// Bot is the bot's own user, answered by getMe.
	Bot User

	srv *httptest.Server

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every push or state change
	updates    []Update      // unconfirmed, in id order
	lastUpdate int64
	calls      []Call
	failNext   map[string][]Failure
	hooks      []func(Call) *Failure
	chats      map[int64]*chatState
	callbacks  map[string]*callbackState
	nextCB     int
	commands   map[string][]BotCommand // by scope type
	files      map[string][]byte       // members' files, by file id (getFile, /file/bot…)
	webhook    webhookState
	closed     bool
}

type webhookState struct {
	url, secret string
	stop        chan struct{}
	done        chan struct{}
}

// Options configure a Server.
type Options struct {
	Token       string // default "123456:TEST-token"
	BotUsername string // default "BranchTestBot"
	BotID       int64  // default 123456
}

// New starts a fake server; it is closed when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Token == "" {
		o.Token = "123456:TEST-token"
	}
	if o.BotUsername == "" {
		o.BotUsername = "BranchTestBot"
	}
	if o.BotID == 0 {
		o.BotID = 123456
	}
	s := &Server{
		Token:     o.Token,
		Bot:       User{ID: o.BotID, IsBot: true, FirstName: "branchbot", Username: o.BotUsername},
		changed:   make(chan struct{}),
		failNext:  map[string][]Failure{},
		chats:     map[int64]*chatState{},
		callbacks: map[string]*callbackState{},
		commands:  map[string][]BotCommand{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and any webhook delivery.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.stopWebhookLocked()
	s.notifyLocked()
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ---- pushing updates ----

// Push queues an update, assigning its update_id (ids start at 1), and
// returns the id. Long polls waiting for updates answer at once; a webhook,
// if set, receives it.
func (s *Server) Push(u Update) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastUpdate++
	u.UpdateID = s.lastUpdate
	s.learnLocked(u)
	s.updates = append(s.updates, u)
	s.notifyLocked()
	return u.UpdateID
}

// PushRaw queues an update given as a JSON object (its update_id is
// assigned, as by Push) and returns its id: an update of a kind, or with a
// field, that a client library may not be able to decode.
func (s *Server) PushRaw(raw string) int64 {
	return s.Push(Update{Raw: json.RawMessage(raw)})
}

func (s *Server) learnLocked(u Update) {
	for _, m := range []*Message{u.Message, u.EditedMessage} {
		if m != nil {
			s.chatLocked(m.Chat)
		}
	}
	if u.CallbackQuery != nil && u.CallbackQuery.Message != nil {
		s.chatLocked(u.CallbackQuery.Message.Chat)
	}
	if u.MyChatMember != nil {
		s.chatLocked(u.MyChatMember.Chat)
	}
}

func (s *Server) chatLocked(c Chat) *chatState {
	cs := s.chats[c.ID]
	if cs == nil {
		cs = &chatState{chat: c, sent: map[int]*SentMessage{}}
		s.chats[c.ID] = cs
	}
	return cs
}

// Group makes a basic group chat (negative id).
func Group(id int64, title string) Chat { return Chat{ID: id, Type: "group", Title: title} }

// Supergroup makes a supergroup chat (id like -100…).
func Supergroup(id int64, title string) Chat { return Chat{ID: id, Type: "supergroup", Title: title} }

// PrivateChat is the private chat with u.
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName}
}

// Person makes a (human) user.
func Person(id int64, first, last string) User { return User{ID: id, FirstName: first, LastName: last} }

// NewMessage builds a message from in chat with the entities Telegram would
// mark (bot_command and mention, UTF-16 offsets), with the chat's next
// message id. It is not pushed.
func (s *Server) NewMessage(chat Chat, from User, text string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	cs.nextMsgID++
	return Message{
		MessageID: cs.nextMsgID, From: &from, Date: time.Now().Unix(), Chat: chat,
		Text: text, Entities: Entities(text),
	}
}

// Say pushes a text message from in chat and returns it.
func (s *Server) Say(chat Chat, from User, text string) Message {
	m := s.NewMessage(chat, from, text)
	s.Push(Update{Message: &m})
	return m
}

// SayPhoto pushes a photo from in chat with caption (entities marked as
// for a text), in two sizes whose larger is data; getFile and the file
// download address serve it.
func (s *Server) SayPhoto(chat Chat, from User, caption string, data []byte) Message {
	m := s.NewMessage(chat, from, "")
	s.mu.Lock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	id := fmt.Sprintf("photo-%d-%d", chat.ID, m.MessageID)
	s.files[id+"-small"] = data[:min(len(data), 16)]
	s.files[id] = data
	s.mu.Unlock()
	m.Text, m.Entities = "", nil
	m.Caption, m.CaptionEntities = caption, Entities(caption)
	m.Photo = []PhotoSize{
		{FileID: id + "-small", FileUniqueID: "u" + id + "-small", Width: 90, Height: 60, FileSize: int64(min(len(data), 16))},
		{FileID: id, FileUniqueID: "u" + id, Width: 1280, Height: 960, FileSize: int64(len(data))},
	}
	s.Push(Update{Message: &m})
	return m
}

// Reply pushes a text message answering the message to.
func (s *Server) Reply(chat Chat, from User, to Message, text string) Message {
	m := s.NewMessage(chat, from, text)
	m.ReplyToMessage = &to
	s.Push(Update{Message: &m})
	return m
}

// Press pushes a button press on the bot's message msgID in chat with the
// given callback_data and returns the callback query id.
func (s *Server) Press(chat Chat, from User, msgID int, data string) string {
	s.mu.Lock()
	s.nextCB++
	id := fmt.Sprintf("cb%d", s.nextCB)
	s.callbacks[id] = &callbackState{}
	cs := s.chatLocked(chat)
	msg := &Message{MessageID: msgID, From: &s.Bot, Date: time.Now().Unix(), Chat: chat}
	if sm := cs.sent[msgID]; sm != nil {
		msg.Text = sm.Text
		if sm.ReplyMarkup != "" {
			msg.ReplyMarkup = json.RawMessage(sm.ReplyMarkup)
		}
	}
	s.mu.Unlock()
	s.Push(Update{CallbackQuery: &CallbackQuery{ID: id, From: from, Message: msg, ChatInstance: strconv.FormatInt(chat.ID, 10), Data: data}})
	return id
}

// AddBot pushes my_chat_member: by added the bot to chat.
func (s *Server) AddBot(chat Chat, by User) {
	s.mu.Lock()
	cs := s.chatLocked(chat)
	cs.gone = ""
	s.mu.Unlock()
	s.Push(Update{MyChatMember: &ChatMemberUpdated{
		Chat: chat, From: by, Date: time.Now().Unix(),
		OldChatMember: ChatMember{Status: "left", User: s.Bot},
		NewChatMember: ChatMember{Status: "member", User: s.Bot},
	}})
}

// RemoveBot makes chat refuse the bot (sends answer 403) and pushes
// my_chat_member: by removed the bot. In a private chat this is the user
// blocking the bot.
func (s *Server) RemoveBot(chat Chat, by User) {
	s.Kick(chat)
	s.Push(Update{MyChatMember: &ChatMemberUpdated{
		Chat: chat, From: by, Date: time.Now().Unix(),
		OldChatMember: ChatMember{Status: "member", User: s.Bot},
		NewChatMember: ChatMember{Status: "kicked", User: s.Bot},
	}})
}

// Kick makes chat refuse the bot without telling it: sends get 403.
func (s *Server) Kick(chat Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	cs.gone = "Forbidden: bot was kicked from the group chat"
	if chat.Type == "private" {
		cs.gone = "Forbidden: bot was blocked by the user"
	}
}

// Migrate upgrades the group old to a supergroup with id newID: sends to the
// old id answer 400 with migrate_to_chat_id, and if announce is set the two
// service messages Telegram sends (migrate_to_chat_id in the old chat,
// migrate_from_chat_id in the new one) are pushed. It returns the new chat.
func (s *Server) Migrate(old Chat, newID int64, by User, announce bool) Chat {
	nc := Supergroup(newID, old.Title)
	s.mu.Lock()
	s.chatLocked(old).migratedTo = newID
	s.chatLocked(nc)
	s.mu.Unlock()
	if announce {
		m1 := s.NewMessage(old, by, "")
		m1.Entities, m1.MigrateToChatID = nil, newID
		s.Push(Update{Message: &m1})
		m2 := s.NewMessage(nc, by, "")
		m2.Entities, m2.MigrateFromChatID = nil, old.ID
		s.Push(Update{Message: &m2})
	}
	return nc
}

var (
	commandRE = regexp.MustCompile(`^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?`)
	mentionRE = regexp.MustCompile(`^@[A-Za-z0-9_]{5,32}`)
)

// Entities marks bot commands and @mentions in text the way Telegram does,
// with offsets and lengths in UTF-16 code units.
func Entities(text string) []Entity {
	var out []Entity
	off := 0 // UTF-16 offset of byte i
	var prev rune
	for i, r := range text {
		if (r == '/' || r == '@') && (i == 0 || !(unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == '/')) {
			re, typ := commandRE, "bot_command"
			if r == '@' {
				re, typ = mentionRE, "mention"
			}
			if m := re.FindString(text[i:]); m != "" {
				out = append(out, Entity{Type: typ, Offset: off, Length: len(m)}) // ASCII: bytes = units
			}
		}
		off += len(utf16.Encode([]rune{r}))
		prev = r
	}
	return out
}

// UTF16Len is the length of s in UTF-16 code units, as Telegram counts.
func UTF16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// ---- error injection and inspection ----

// FailNext makes the next call of method answer f (queued: several calls
// fail in order).
func (s *Server) FailNext(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[method] = append(s.failNext[method], f)
}

// OnCall adds a hook that sees every call before it is answered; a non-nil
// Failure is answered instead. Hooks run outside the server's lock, so one
// may block to stand for a slow network while other calls go on.
func (s *Server) OnCall(f func(Call) *Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, f)
}

// Calls returns the calls made so far of the given methods (all if none).
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// WaitCall waits until a call of method satisfying match (nil: any) has been
// answered, and returns the first such call. It fails the test after
// timeout.
func (s *Server) WaitCall(t testing.TB, method string, timeout time.Duration, match func(Call) bool) Call {
	t.Helper()
	c, ok := s.waitCall(method, timeout, match)
	if !ok {
		t.Fatalf("telegramtest: no %s call matching within %s; calls: %s", method, timeout, s.describeCalls())
	}
	return c
}

// WaitNoCall checks that no call of method satisfying match happens within d.
func (s *Server) WaitNoCall(t testing.TB, method string, d time.Duration, match func(Call) bool) {
	t.Helper()
	if c, ok := s.waitCall(method, d, match); ok {
		t.Fatalf("telegramtest: unexpected %s call: %v", method, c.Params)
	}
}

func (s *Server) waitCall(method string, timeout time.Duration, match func(Call) bool) (Call, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if c.Method == method && (match == nil || match(c)) {
				s.mu.Unlock()
				return c, true
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return Call{}, false
		}
	}
}

func (s *Server) describeCalls() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, c := range s.calls {
		if c.Method == "getUpdates" {
			continue
		}
		fmt.Fprintf(&b, "\n  %s %v", c.Method, c.Params)
		if c.Failure != nil {
			fmt.Fprintf(&b, " -> %d %s", c.Failure.Code, c.Failure.Description)
		}
	}
	return b.String()
}

// Sent returns the messages the bot has sent to chat, in order, as they
// stand after edits.
func (s *Server) Sent(chat int64) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chat]
	if cs == nil {
		return nil
	}
	var out []SentMessage
	for id := 1; id <= cs.nextMsgID; id++ {
		if m := cs.sent[id]; m != nil {
			out = append(out, *m)
		}
	}
	return out
}

// Commands returns the command menu last set for a scope type ("default",
// "all_private_chats", "all_group_chats", …).
func (s *Server) Commands(scope string) []BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BotCommand(nil), s.commands[scope]...)
}

// Pending is the number of updates not yet confirmed by the client.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Confirmed is the highest update id the client has confirmed (by asking
// for a later offset, or by a webhook answer): every update up to it is
// gone from the server.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.updates) > 0 {
		return s.updates[0].UpdateID - 1
	}
	return s.lastUpdate
}

// Webhook returns the webhook URL and secret set by the client ("" if none).
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook.url, s.webhook.secret
}

// ---- the HTTP side ----

type answer struct {
	ok     bool
	result any
	fail   Failure
}

func ok(v any) answer { return answer{ok: true, result: v} }
func fail(code int, desc string) answer {
	return answer{fail: Failure{Code: code, Description: desc}}
}
func badRequest(desc string) answer { return fail(400, "Bad Request: "+desc) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if rest, isFile := strings.CutPrefix(r.URL.Path, "/file/bot"); isFile {
		s.serveFile(w, rest)
		return
	}
	rest, found := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, found2 := strings.Cut(rest, "/")
	if !found || !found2 {
		writeAnswer(w, fail(404, "Not Found"))
		return
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.Token)) != 1 {
		writeAnswer(w, fail(401, "Unauthorized"))
		return
	}
	params, files, err := readParams(r)
	if err != nil {
		writeAnswer(w, badRequest(err.Error()))
		return
	}
	call := Call{Method: method, Params: params, Files: files, At: time.Now()}

	var a answer
	if method == "getUpdates" {
		a = s.getUpdates(r.Context(), call)
	} else {
		a = s.answer(call)
	}
	s.mu.Lock()
	if !a.ok {
		f := a.fail
		call.Failure = &f
	} else {
		call.Result, _ = json.Marshal(a.result)
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	writeAnswer(w, a)
}

func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	if a.ok {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": a.result})
		return
	}
	body := map[string]any{"ok": false, "error_code": a.fail.Code, "description": a.fail.Description}
	p := map[string]any{}
	if a.fail.RetryAfter > 0 {
		p["retry_after"] = a.fail.RetryAfter
	}
	if a.fail.MigrateToChatID != 0 {
		p["migrate_to_chat_id"] = a.fail.MigrateToChatID
	}
	if len(p) > 0 {
		body["parameters"] = p
	}
	w.WriteHeader(a.fail.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// readParams reads multipart/form-data, JSON or URL-encoded parameters into
// strings (JSON objects and arrays as their JSON text), and the files of a
// multipart request.
func readParams(r *http.Request) (map[string]string, map[string]Upload, error) {
	out := map[string]string{}
	var files map[string]Upload
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return nil, nil, err
		}
		if len(b) == 0 { // a method without parameters
			return out, nil, nil
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, nil, fmt.Errorf("can't parse multipart body: %v", err)
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, fmt.Errorf("can't read uploaded file: %v", err)
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, fmt.Errorf("can't read uploaded file: %v", err)
			}
			if files == nil {
				files = map[string]Upload{}
			}
			files[k] = Upload{Field: k, FileName: fhs[0].Filename, Data: data}
		}
	case "application/json":
		var m map[string]json.RawMessage
		b, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return nil, nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, nil, fmt.Errorf("can't parse JSON body: %v", err)
			}
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("can't parse form: %v", err)
		}
		for k, v := range r.Form {
			out[k] = v[0]
		}
	}
	return out, files, nil
}

func (s *Server) injected(c Call) *Failure {
	s.mu.Lock()
	if q := s.failNext[c.Method]; len(q) > 0 {
		f := q[0]
		s.failNext[c.Method] = q[1:]
		s.mu.Unlock()
		return &f
	}
	hooks := s.hooks
	s.mu.Unlock()
	for _, h := range hooks {
		if f := h(c); f != nil {
			return f
		}
	}
	return nil
}

func (s *Server) answer(c Call) answer {
	if f := s.injected(c); f != nil {
		return answer{fail: *f}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c.Method {
	case "getMe":
		return ok(s.Bot)
	case "setMyCommands":
		return s.setMyCommandsLocked(c)
	case "deleteMyCommands":
		delete(s.commands, scopeType(c))
		return ok(true)
	case "getFile":
		data, found := s.files[c.Params["file_id"]]
		if !found {
			return badRequest("invalid file_id")
		}
		return ok(map[string]any{"file_id": c.Params["file_id"], "file_unique_id": "u" + c.Params["file_id"],
			"file_size": len(data), "file_path": "photos/" + c.Params["file_id"] + ".jpg"})
	case "sendMessage":
		return s.sendMessageLocked(c)
	case "sendDocument":
		return s.sendDocumentLocked(c)
	case "editMessageText":
		return s.editMessageTextLocked(c)
	case "answerCallbackQuery":
		cb := s.callbacks[c.Params["callback_query_id"]]
		if cb == nil || cb.answered {
			return badRequest("query is too old and response timeout expired or query ID is invalid")
		}
		if UTF16Len(c.Params["text"]) > 200 {
			return badRequest("MESSAGE_TOO_LONG")
		}
		cb.answered = true
		return ok(true)
	case "setWebhook":
		u, err := url.Parse(c.Params["url"])
		if c.Params["url"] == "" || err != nil || u.Host == "" {
			return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
		s.stopWebhookLocked()
		s.webhook.url, s.webhook.secret = c.Params["url"], c.Params["secret_token"]
		s.webhook.stop, s.webhook.done = make(chan struct{}), make(chan struct{})
		go s.deliverWebhook(s.webhook.url, s.webhook.secret, s.webhook.stop, s.webhook.done)
		return ok(true)
	case "deleteWebhook":
		s.stopWebhookLocked()
		s.webhook.url, s.webhook.secret = "", ""
		if c.Params["drop_pending_updates"] == "true" {
			s.updates = nil
		}
		return ok(true)
	case "getWebhookInfo":
		return ok(map[string]any{"url": s.webhook.url, "pending_update_count": len(s.updates)})
	}
	return fail(404, "Not Found: method not found")
}

func scopeType(c Call) string {
	var sc struct {
		Type string `json:"type"`
	}
	if c.JSON("scope", &sc) != nil || sc.Type == "" {
		return "default"
	}
	return sc.Type
}

var commandNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommandsLocked(c Call) answer {
	var cmds []BotCommand
	if err := c.JSON("commands", &cmds); err != nil {
		return badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return badRequest("too many commands specified")
	}
	for _, cmd := range cmds {
		if !commandNameRE.MatchString(cmd.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
		if n := UTF16Len(cmd.Description); n < 1 || n > 256 {
			return badRequest("command description must be non-empty")
		}
	}
	s.commands[scopeType(c)] = cmds
	return ok(true)
}

// sendTarget resolves chat_id to a chat the bot can post in.
func (s *Server) sendTargetLocked(c Call) (*chatState, *answer) {
	id := c.Int("chat_id")
	cs := s.chats[id]
	if cs == nil {
		a := badRequest("chat not found")
		return nil, &a
	}
	if cs.migratedTo != 0 {
		a := answer{fail: Failure{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateToChatID: cs.migratedTo}}
		return nil, &a
	}
	if cs.gone != "" {
		a := fail(403, cs.gone)
		return nil, &a
	}
	return cs, nil
}

func checkText(text string) *answer {
	if strings.TrimSpace(text) == "" {
		a := badRequest("message text is empty")
		return &a
	}
	if UTF16Len(text) > 4096 {
		a := badRequest("message is too long")
		return &a
	}
	return nil
}

// checkMarkup validates an inline keyboard like Telegram: every button has
// a text and exactly one action; callback_data is 1–64 bytes.
func checkMarkup(raw string) *answer {
	if raw == "" {
		return nil
	}
	var m struct {
		InlineKeyboard [][]map[string]json.RawMessage `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		a := badRequest("can't parse reply keyboard markup JSON object")
		return &a
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			var text string
			_ = json.Unmarshal(b["text"], &text)
			if text == "" {
				a := badRequest("BUTTON_TEXT_INVALID")
				return &a
			}
			actions := 0
			for k := range b {
				if k != "text" && k != "icon_custom_emoji_id" && k != "style" {
					actions++
				}
			}
			if actions != 1 {
				a := badRequest("can't parse inline keyboard button: exactly one of the optional fields must be used")
				return &a
			}
			if d, has := b["callback_data"]; has {
				var data string
				_ = json.Unmarshal(d, &data)
				if len(data) < 1 || len(data) > 64 {
					a := badRequest("BUTTON_DATA_INVALID")
					return &a
				}
			}
			if ct, has := b["copy_text"]; has {
				var v struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(ct, &v)
				if v.Text == "" {
					a := badRequest("BUTTON_COPY_TEXT_INVALID")
					return &a
				}
			}
		}
	}
	return nil
}

func checkEntities(c Call, text string) *answer {
	if _, has := c.Params["entities"]; !has {
		return nil
	}
	var ents []Entity
	if err := c.JSON("entities", &ents); err != nil {
		a := badRequest("can't parse entities JSON object")
		return &a
	}
	n := UTF16Len(text)
	for _, e := range ents {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
			a := badRequest("can't parse entities: entity beyond the end of the text")
			return &a
		}
		if e.Type == "text_mention" && (e.User == nil || e.User.ID == 0) {
			a := badRequest("can't parse entities: text_mention without user")
			return &a
		}
	}
	return nil
}

func (s *Server) sendMessageLocked(c Call) answer {
	cs, bad := s.sendTargetLocked(c)
	if bad != nil {
		return *bad
	}
	text := c.Params["text"]
	if a := checkText(text); a != nil {
		return *a
	}
	if a := checkEntities(c, text); a != nil {
		return *a
	}
	markup := c.Params["reply_markup"]
	if a := checkMarkup(markup); a != nil {
		return *a
	}
	cs.nextMsgID++
	sm := &SentMessage{Chat: cs.chat.ID, ID: cs.nextMsgID, Text: text, ReplyMarkup: markup}
	cs.sent[sm.ID] = sm
	msg := Message{MessageID: sm.ID, From: &s.Bot, Date: time.Now().Unix(), Chat: cs.chat, Text: text}
	if markup != "" {
		msg.ReplyMarkup = json.RawMessage(markup)
	}
	return ok(msg)
}

// sendDocumentLocked takes a document uploaded as the multipart file named
// by the "document" field ("attach://…" or the field itself), with an
// optional caption of at most 1024 characters.
func (s *Server) sendDocumentLocked(c Call) answer {
	cs, bad := s.sendTargetLocked(c)
	if bad != nil {
		return *bad
	}
	doc, found := c.Files["document"]
	if ref, isRef := strings.CutPrefix(c.Params["document"], "attach://"); isRef {
		doc, found = c.Files[ref]
	}
	if !found || len(doc.Data) == 0 {
		return badRequest("there is no document in the request")
	}
	caption := c.Params["caption"]
	if UTF16Len(caption) > 1024 {
		return badRequest("message caption is too long")
	}
	if _, has := c.Params["caption_entities"]; has {
		ents := c
		ents.Params = map[string]string{"entities": c.Params["caption_entities"]}
		if a := checkEntities(ents, caption); a != nil {
			return *a
		}
	}
	markup := c.Params["reply_markup"]
	if a := checkMarkup(markup); a != nil {
		return *a
	}
	cs.nextMsgID++
	d := doc
	sm := &SentMessage{Chat: cs.chat.ID, ID: cs.nextMsgID, Text: caption, ReplyMarkup: markup, Document: &d}
	cs.sent[sm.ID] = sm
	id := fmt.Sprintf("doc%d_%d", cs.chat.ID, sm.ID)
	msg := Message{MessageID: sm.ID, From: &s.Bot, Date: time.Now().Unix(), Chat: cs.chat, Caption: caption,
		Document: &DocumentInfo{FileID: id, FileUniqueID: id, FileName: doc.FileName, FileSize: int64(len(doc.Data))}}
	if markup != "" {
		msg.ReplyMarkup = json.RawMessage(markup)
	}
	return ok(msg)
}

func (s *Server) editMessageTextLocked(c Call) answer {
	cs, bad := s.sendTargetLocked(c)
	if bad != nil {
		return *bad
	}
	sm := cs.sent[int(c.Int("message_id"))]
	if sm == nil {
		return badRequest("message to edit not found")
	}
	text, markup := c.Params["text"], c.Params["reply_markup"]
	if a := checkText(text); a != nil {
		return *a
	}
	if a := checkEntities(c, text); a != nil {
		return *a
	}
	if a := checkMarkup(markup); a != nil {
		return *a
	}
	if text == sm.Text && sameJSON(markup, sm.ReplyMarkup) {
		return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	sm.Text, sm.ReplyMarkup = text, markup
	sm.Edits++
	msg := Message{MessageID: sm.ID, From: &s.Bot, Date: time.Now().Unix(), Chat: cs.chat, Text: text, EditDate: time.Now().Unix()}
	if markup != "" {
		msg.ReplyMarkup = json.RawMessage(markup)
	}
	return ok(msg)
}

func sameJSON(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// getUpdates answers the unconfirmed updates from offset on, holding the
// request up to timeout seconds while there are none.
func (s *Server) getUpdates(ctx context.Context, c Call) answer {
	if f := s.injected(c); f != nil {
		return answer{fail: *f}
	}
	offset := c.Int("offset")
	limit := int(c.Int("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(c.Int("timeout")) * time.Second
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook.url != "" {
			s.mu.Unlock()
			return fail(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		}
		// Calling with an offset confirms every update before it.
		i := 0
		for i < len(s.updates) && s.updates[i].UpdateID < offset {
			i++
		}
		if i > 0 {
			s.updates = append([]Update(nil), s.updates[i:]...)
		}
		if len(s.updates) > 0 || timeout <= 0 || s.closed {
			n := min(limit, len(s.updates))
			out := append([]Update{}, s.updates[:n]...)
			s.mu.Unlock()
			return ok(out)
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return ok([]Update{})
		case <-ctx.Done():
			return ok([]Update{})
		}
	}
}

func (s *Server) stopWebhookLocked() {
	if s.webhook.stop != nil {
		close(s.webhook.stop)
		s.webhook.stop = nil
	}
}

// deliverWebhook posts pending updates to the webhook in order, like
// Telegram: an update leaves the queue on a 2xx answer and is retried
// otherwise.
func (s *Server) deliverWebhook(hook, secret string, stop, done chan struct{}) {
	defer close(done)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		s.mu.Lock()
		var next *Update
		if len(s.updates) > 0 {
			u := s.updates[0]
			next = &u
		}
		ch := s.changed
		s.mu.Unlock()
		if next == nil {
			select {
			case <-stop:
				return
			case <-ch:
				continue
			}
		}
		body, _ := json.Marshal(next)
		req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := client.Do(req)
		delivered := false
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			delivered = resp.StatusCode/100 == 2
		}
		if delivered {
			s.mu.Lock()
			if len(s.updates) > 0 && s.updates[0].UpdateID == next.UpdateID {
				s.updates = s.updates[1:]
			}
			s.notifyLocked()
			s.mu.Unlock()
			continue
		}
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serveFile answers the Bot API's file download address,
// /file/bot<token>/photos/<file id>.jpg.
func (s *Server) serveFile(w http.ResponseWriter, rest string) {
	token, path, _ := strings.Cut(rest, "/")
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.Token)) != 1 {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	id := strings.TrimSuffix(strings.TrimPrefix(path, "photos/"), ".jpg")
	s.mu.Lock()
	data, found := s.files[id]
	s.mu.Unlock()
	if !found {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}
