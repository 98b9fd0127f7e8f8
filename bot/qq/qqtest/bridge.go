// Package qqtest is a fake OneBot v11 bridge for tests, written at the
// protocol level: like NapCat's reverse WebSocket client it dials the bot
// with X-Self-ID, X-Client-Role and "Authorization: Bearer <token>", sends
// a lifecycle connect first, beats its heart, pushes events in the array or
// the CQ-string format (with ids as strings if asked), answers every action
// with the same echo, and redials after a drop. Faults are injected per
// send (retcode 1200, 1404, a hung call, a drop before or after the message
// went out), and a second Bridge for the same account is a bridge swap.
//
// A Bridge keeps a small QQ world: groups with members, what members said
// and what the bot sent (History, Sent, Delivered), which outlives
// connections; several bridges can share one World.
package qqtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Segment is one part of a message in the array format.
type Segment struct {
	Type string            `json:"type"`
	Data map[string]string `json:"data"`
}

// Text is a text segment.
func Text(s string) Segment { return Segment{Type: "text", Data: map[string]string{"text": s}} }

// At mentions a QQ number.
func At(qq int64) Segment {
	return Segment{Type: "at", Data: map[string]string{"qq": strconv.FormatInt(qq, 10)}}
}

// Image is a picture as bridges hand one over: file is the bridge's name
// for it, url where it is downloaded.
func Image(file, url string) Segment {
	return Segment{Type: "image", Data: map[string]string{"file": file, "url": url, "summary": "[图片]"}}
}

// Member is a QQ user in the world.
type Member struct {
	UserID   int64
	Nickname string
	Card     string // 群名片, may be empty
}

// Group is a QQ group in the world.
type Group struct {
	ID      int64
	Name    string
	Members []Member
}

// Sent is a send action as the bridge received it.
type Sent struct {
	Action  string
	Group   int64 // send_group_msg
	User    int64 // send_private_msg
	Message []Segment
	Raw     json.RawMessage // the params exactly as sent
	// MessageID is the id the message got, 0 if it was not delivered.
	MessageID int64
	At        time.Time
	Via       string // the Name of the bridge that received it
	// File is the file of upload_group_file / upload_private_file, read
	// from the path the bot gave.
	File *File
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// Text is the message's text segments joined.
func (s Sent) Text() string {
	var b strings.Builder
	for _, seg := range s.Message {
		if seg.Type == "text" {
			b.WriteString(seg.Data["text"])
		}
	}
	return b.String()
}

// AtQQ is the number the message's first at segment names, "" if none.
func (s Sent) AtQQ() string {
	for _, seg := range s.Message {
		if seg.Type == "at" {
			return seg.Data["qq"]
		}
	}
	return ""
}

// ReplyID is the id of the message the send replies to, "" if none.
func (s Sent) ReplyID() string {
	for _, seg := range s.Message {
		if seg.Type == "reply" {
			return seg.Data["id"]
		}
	}
	return ""
}

// Fault is what the bridge does with one send (OnSend).
type Fault int

const (
	Deliver    Fault = iota // send it and answer ok
	Fail1200                // answer failed/1200 "Timeout: ..." (NTQQ timeout, risk control); not sent
	Fail1404                // answer failed/1404; not sent
	Hang                    // never answer; not sent
	DropBefore              // close the connection without sending or answering
	DropAfter               // send it, then close the connection without answering
)

// World is the QQ side shared by bridges: groups, members, and every
// message sent in them, by members or by the bot.
type World struct {
	SelfID   int64
	Nickname string

	mu      sync.Mutex
	groups  map[int64]*Group
	users   map[int64]Member
	nextID  int64
	sent    []Sent // every send action received, in order
	history map[string][]histMsg
	onSend  func(Sent) Fault
	calls   []string // every action name received, in order
}

type histMsg struct {
	ID     int64
	UserID int64
	Time   int64
	Msg    []Segment
}

// NewWorld makes a world for the bot's account.
func NewWorld(selfID int64, nickname string) *World {
	return &World{SelfID: selfID, Nickname: nickname, groups: map[int64]*Group{}, users: map[int64]Member{}, nextID: 1000, history: map[string][]histMsg{}}
}

// AddGroup adds a group and its members.
func (w *World) AddGroup(g Group) {
	w.mu.Lock()
	defer w.mu.Unlock()
	gg := g
	w.groups[g.ID] = &gg
	for _, m := range g.Members {
		w.users[m.UserID] = m
	}
}

// AddMembers adds members to a group.
func (w *World) AddMembers(group int64, ms ...Member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	g := w.groups[group]
	g.Members = append(g.Members, ms...)
	for _, m := range ms {
		w.users[m.UserID] = m
	}
}

// RemoveGroup takes the account out of a group (kicked, or the group
// dissolved) without telling the bot: sends there fail with retcode 1200
// and get_group_list no longer lists it.
func (w *World) RemoveGroup(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.groups, id)
}

// AddUser adds a user who is in no group (a private chat partner).
func (w *World) AddUser(m Member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.users[m.UserID] = m
}

// OnSend sets the fault for each later send; nil delivers every send.
func (w *World) OnSend(fn func(Sent) Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onSend = fn
}

// Sent lists every send action the bridges received, delivered or not.
func (w *World) Sent() []Sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Sent(nil), w.sent...)
}

// Delivered lists the sends that reached their chat, in order.
func (w *World) Delivered() []Sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Sent
	for _, s := range w.sent {
		if s.MessageID != 0 {
			out = append(out, s)
		}
	}
	return out
}

// Said is one message in a chat's history.
type Said struct {
	ID      int64
	UserID  int64 // the sender; the bot's account for its own messages
	Message []Segment
}

// History lists the messages of a group (user 0) or of the private chat
// with user (group 0), members' and the bot's, in order.
func (w *World) History(group, user int64) []Said {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []Said
	for _, h := range w.history[chatKey(group, user)] {
		out = append(out, Said{ID: h.ID, UserID: h.UserID, Message: h.Msg})
	}
	return out
}

// Calls lists every action name received, in order.
func (w *World) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

func chatKey(group, user int64) string {
	if group != 0 {
		return "g" + strconv.FormatInt(group, 10)
	}
	return "u" + strconv.FormatInt(user, 10)
}

// say records a message by user in the chat with key k (chatKey) and
// returns its id.
func (w *World) say(k string, user int64, msg []Segment) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	w.history[k] = append(w.history[k], histMsg{ID: w.nextID, UserID: user, Time: time.Now().Unix(), Msg: msg})
	return w.nextID
}

// Options configure a Bridge.
type Options struct {
	// URL is the bot's reverse WebSocket URL, ws://host:port/path.
	URL   string
	Token string // sent as "Bearer <token>", also when empty (NapCat does)
	// Role is X-Client-Role (default Universal).
	Role string
	// Heartbeat is the interval of heartbeat events; 0 sends none.
	Heartbeat time.Duration
	// Redial is the pause before dialing again after a drop or a refusal
	// (default 50ms; NapCat waits 5s).
	Redial time.Duration
	// StringFormat sends messages as CQ-code strings instead of arrays.
	StringFormat bool
	// StringIDs sends self_id, group_id, user_id and message_id as strings.
	StringIDs bool
	// NoGroupName leaves NapCat's group_name out of group events, so that
	// the bot has to ask get_group_info.
	NoGroupName bool
	// Name tells bridges apart in Sent.Via.
	Name string
	// NoHistory answers 1404 to get_group_msg_history and
	// get_friend_msg_history (bridges without the go-cqhttp extension).
	NoHistory bool
	// LoginUserID, if set, is what get_login_info answers (a bridge logged
	// into another account than X-Self-ID says).
	LoginUserID int64
}

// Bridge is one fake bridge process for the World's account.
type Bridge struct {
	w *World
	o Options

	mu      sync.Mutex
	ws      *websocket.Conn
	conns   int // connections made
	refused []int
	stopped bool
	paused  bool
	cancel  context.CancelFunc
	done    chan struct{}
	wake    chan struct{}
	up      chan struct{} // closed and replaced at every new connection

	hung   atomic.Int64
	silent atomic.Bool // no heartbeats on the current connection
	beats  atomic.Int64
}

// Beats counts the heartbeats sent.
func (b *Bridge) Beats() int64 { return b.beats.Load() }

// Silence stops the heartbeats of the current connection, as a hung bridge
// whose socket stays open; the next connection beats again.
func (b *Bridge) Silence() { b.silent.Store(true) }

// Start makes a bridge that keeps dialing the bot until Close.
func Start(w *World, o Options) *Bridge {
	if o.Role == "" {
		o.Role = "Universal"
	}
	if o.Redial <= 0 {
		o.Redial = 50 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bridge{w: w, o: o, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1), up: make(chan struct{})}
	go b.loop(ctx)
	return b
}

// Close stops the bridge for good.
func (b *Bridge) Close() {
	b.mu.Lock()
	b.stopped = true
	ws := b.ws
	b.mu.Unlock()
	b.cancel()
	if ws != nil {
		ws.CloseNow()
	}
	<-b.done
}

// Pause drops the connection and dials no more until Resume.
func (b *Bridge) Pause() {
	b.mu.Lock()
	b.paused = true
	ws := b.ws
	b.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// Resume lets a paused bridge dial again.
func (b *Bridge) Resume() {
	b.mu.Lock()
	b.paused = false
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Drop closes the connection abruptly; the bridge dials again after Redial.
func (b *Bridge) Drop() {
	b.mu.Lock()
	ws := b.ws
	b.mu.Unlock()
	if ws != nil {
		ws.CloseNow()
	}
}

// Connected reports whether the bridge has a connection to the bot.
func (b *Bridge) Connected() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ws != nil
}

// Connections counts the connections the bot accepted.
func (b *Bridge) Connections() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns
}

// Refusals lists the HTTP statuses of refused dials, in order.
func (b *Bridge) Refusals() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.refused...)
}

func (b *Bridge) loop(ctx context.Context) {
	defer close(b.done)
	for ctx.Err() == nil {
		b.mu.Lock()
		paused := b.paused
		b.mu.Unlock()
		if !paused {
			b.connect(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-time.After(b.o.Redial):
		}
	}
}

// Dial makes one connection attempt with the bridge's headers and returns
// the HTTP status of a refusal (0 when the dial failed otherwise).
func Dial(ctx context.Context, url, token string, selfID int64, role string) (*websocket.Conn, int, error) {
	h := http.Header{}
	h.Set("X-Self-ID", strconv.FormatInt(selfID, 10))
	h.Set("X-Client-Role", role)
	h.Set("Authorization", "Bearer "+token)
	h.Set("User-Agent", "OneBot/11")
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	ws.SetReadLimit(50 << 20)
	return ws, 0, nil
}

// connect dials once and serves the connection until it ends.
func (b *Bridge) connect(ctx context.Context) {
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ws, status, err := Dial(dctx, b.o.URL, b.o.Token, b.w.SelfID, b.o.Role)
	cancel()
	if err != nil {
		if status != 0 {
			b.mu.Lock()
			b.refused = append(b.refused, status)
			b.mu.Unlock()
		}
		return
	}
	b.mu.Lock()
	if b.stopped || b.paused {
		b.mu.Unlock()
		ws.CloseNow()
		return
	}
	b.ws = ws
	b.conns++
	b.silent.Store(false)
	close(b.up)
	b.up = make(chan struct{})
	b.mu.Unlock()
	cctx, stop := context.WithCancel(ctx)
	defer func() {
		stop()
		ws.CloseNow()
		b.mu.Lock()
		if b.ws == ws {
			b.ws = nil
		}
		b.mu.Unlock()
	}()
	_ = b.write(cctx, ws, b.meta("lifecycle", map[string]any{"sub_type": "connect"}))
	if b.o.Heartbeat > 0 {
		go func() {
			t := time.NewTicker(b.o.Heartbeat)
			defer t.Stop()
			for {
				select {
				case <-cctx.Done():
					return
				case <-t.C:
					if b.silent.Load() {
						continue
					}
					if b.write(cctx, ws, b.meta("heartbeat", map[string]any{
						"interval": b.o.Heartbeat.Milliseconds(), "status": map[string]any{"online": true, "good": true}})) == nil {
						b.beats.Add(1)
					}
				}
			}
		}()
	}
	for {
		_, data, err := ws.Read(cctx)
		if err != nil {
			return
		}
		go b.action(cctx, ws, data)
	}
}

func (b *Bridge) write(ctx context.Context, ws *websocket.Conn, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, data)
}

// id encodes an id as a number, or as a string with StringIDs.
func (b *Bridge) id(n int64) any {
	if b.o.StringIDs {
		return strconv.FormatInt(n, 10)
	}
	return n
}

func (b *Bridge) meta(kind string, extra map[string]any) map[string]any {
	ev := map[string]any{"time": time.Now().Unix(), "self_id": b.id(b.w.SelfID), "post_type": "meta_event", "meta_event_type": kind}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

// WaitConnected waits until the bridge is connected, at most d.
func (b *Bridge) WaitConnected(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if b.Connected() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// Push sends an arbitrary event (or any frame) over the connection.
func (b *Bridge) Push(v any) error {
	b.mu.Lock()
	ws := b.ws
	b.mu.Unlock()
	if ws == nil {
		return errors.New("qqtest: the bridge is not connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if raw, ok := v.(json.RawMessage); ok {
		return ws.Write(ctx, websocket.MessageText, raw)
	}
	return b.write(ctx, ws, v)
}

// message encodes segments in the bridge's format.
func (b *Bridge) message(segs []Segment) (msg any, raw string) {
	raw = CQ(segs)
	if b.o.StringFormat {
		return raw, raw
	}
	return segs, raw
}

// SayGroup makes user say segs in group, as a group message event, and
// returns the message id.
func (b *Bridge) SayGroup(group, user int64, segs ...Segment) (int64, error) {
	b.w.mu.Lock()
	g := b.w.groups[group]
	m := b.w.users[user]
	b.w.mu.Unlock()
	if g == nil {
		return 0, fmt.Errorf("qqtest: no group %d", group)
	}
	id := b.w.say(chatKey(group, 0), user, segs)
	msg, raw := b.message(segs)
	ev := map[string]any{
		"time": time.Now().Unix(), "self_id": b.id(b.w.SelfID), "post_type": "message", "message_type": "group",
		"sub_type": "normal", "message_id": b.id(id), "group_id": b.id(group), "user_id": b.id(user), "anonymous": nil,
		"message": msg, "raw_message": raw, "font": 0, "message_format": map[bool]string{true: "string", false: "array"}[b.o.StringFormat],
		"sender": map[string]any{"user_id": b.id(user), "nickname": m.Nickname, "card": m.Card, "role": "member", "sex": "unknown", "age": 0, "level": "1", "title": ""},
	}
	if !b.o.NoGroupName {
		ev["group_name"] = g.Name
	}
	return id, b.Push(ev)
}

// SayPrivate makes user say segs to the bot in a private chat.
func (b *Bridge) SayPrivate(user int64, segs ...Segment) (int64, error) {
	b.w.mu.Lock()
	m := b.w.users[user]
	b.w.mu.Unlock()
	id := b.w.say(chatKey(0, user), user, segs)
	msg, raw := b.message(segs)
	return id, b.Push(map[string]any{
		"time": time.Now().Unix(), "self_id": b.id(b.w.SelfID), "post_type": "message", "message_type": "private",
		"sub_type": "friend", "message_id": b.id(id), "user_id": b.id(user), "message": msg, "raw_message": raw, "font": 0,
		"sender": map[string]any{"user_id": b.id(user), "nickname": m.Nickname, "sex": "unknown", "age": 0},
	})
}

// Notice pushes a notice event for the bot's account.
func (b *Bridge) Notice(noticeType, subType string, group, user int64, extra map[string]any) error {
	ev := map[string]any{"time": time.Now().Unix(), "self_id": b.id(b.w.SelfID), "post_type": "notice", "notice_type": noticeType,
		"sub_type": subType, "group_id": b.id(group), "user_id": b.id(user), "operator_id": b.id(0)}
	for k, v := range extra {
		ev[k] = v
	}
	return b.Push(ev)
}

// CQ writes segments in the CQ-code string format, escaped.
func CQ(segs []Segment) string {
	text := strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;")
	arg := strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;", ",", "&#44;")
	var s strings.Builder
	for _, seg := range segs {
		if seg.Type == "text" {
			s.WriteString(text.Replace(seg.Data["text"]))
			continue
		}
		s.WriteString("[CQ:" + seg.Type)
		for k, v := range seg.Data {
			s.WriteString("," + k + "=" + arg.Replace(v))
		}
		s.WriteString("]")
	}
	return s.String()
}

// request is an action frame.
type request struct {
	Action string          `json:"action"`
	Params json.RawMessage `json:"params"`
	Echo   json.RawMessage `json:"echo"`
}

// action answers one action frame, as NapCat does.
func (b *Bridge) action(ctx context.Context, ws *websocket.Conn, data []byte) {
	var req request
	if err := json.Unmarshal(data, &req); err != nil {
		_ = b.write(ctx, ws, map[string]any{"status": "failed", "retcode": 1400, "data": nil, "message": "bad request", "wording": "bad request", "echo": nil})
		return
	}
	b.w.mu.Lock()
	b.w.calls = append(b.w.calls, req.Action)
	b.w.mu.Unlock()
	answer := func(status string, retcode int, data any, msg string) {
		echo := req.Echo
		if len(echo) == 0 {
			echo = json.RawMessage("null")
		}
		_ = b.write(ctx, ws, map[string]any{"status": status, "retcode": retcode, "data": data, "message": msg, "wording": msg, "echo": echo, "stream": "normal-action"})
	}
	ok := func(data any) { answer("ok", 0, data, "") }
	var p struct {
		GroupID flexID          `json:"group_id"`
		UserID  flexID          `json:"user_id"`
		Message json.RawMessage `json:"message"`
		Count   int             `json:"count"`
	}
	_ = json.Unmarshal(req.Params, &p)
	switch req.Action {
	case "get_login_info":
		uid := b.w.SelfID
		if b.o.LoginUserID != 0 {
			uid = b.o.LoginUserID
		}
		ok(map[string]any{"user_id": uid, "nickname": b.w.Nickname})
	case "get_status":
		ok(map[string]any{"online": true, "good": true})
	case "get_group_info":
		b.w.mu.Lock()
		g := b.w.groups[int64(p.GroupID)]
		b.w.mu.Unlock()
		if g == nil {
			answer("failed", 1200, nil, "群不存在")
			return
		}
		ok(map[string]any{"group_id": g.ID, "group_name": g.Name, "member_count": len(g.Members), "max_member_count": 500})
	case "get_group_list":
		b.w.mu.Lock()
		list := []map[string]any{}
		for _, g := range b.w.groups {
			list = append(list, map[string]any{"group_id": g.ID, "group_name": g.Name, "member_count": len(g.Members), "max_member_count": 500})
		}
		b.w.mu.Unlock()
		ok(list)
	case "get_group_member_list":
		b.w.mu.Lock()
		g := b.w.groups[int64(p.GroupID)]
		var list []map[string]any
		if g != nil {
			for _, m := range g.Members {
				list = append(list, map[string]any{"group_id": g.ID, "user_id": m.UserID, "nickname": m.Nickname, "card": m.Card, "role": "member", "join_time": 0, "last_sent_time": 0, "level": "1", "title": ""})
			}
		}
		b.w.mu.Unlock()
		ok(list)
	case "get_group_msg_history", "get_friend_msg_history":
		if b.o.NoHistory {
			answer("failed", 1404, nil, "不支持的Api "+req.Action)
			return
		}
		k := chatKey(int64(p.GroupID), int64(p.UserID))
		b.w.mu.Lock()
		hist := b.w.history[k]
		n := p.Count
		if n <= 0 || n > len(hist) {
			n = len(hist)
		}
		var msgs []map[string]any
		for _, h := range hist[len(hist)-n:] {
			msgs = append(msgs, map[string]any{"message_id": h.ID, "user_id": h.UserID, "time": h.Time, "message": h.Msg,
				"sender": map[string]any{"user_id": h.UserID}, "post_type": "message"})
		}
		b.w.mu.Unlock()
		ok(map[string]any{"messages": msgs})
	case "send_group_msg", "send_private_msg", "send_msg", "upload_group_file", "upload_private_file":
		b.send(ctx, ws, req, p.GroupID, p.UserID, p.Message, answer)
	default:
		answer("failed", 1404, nil, "不支持的Api "+req.Action)
	}
}

func (b *Bridge) send(ctx context.Context, ws *websocket.Conn, req request, group, user flexID, message json.RawMessage, answer func(string, int, any, string)) {
	var segs []Segment
	var file *File
	if strings.HasPrefix(req.Action, "upload_") {
		// NapCat reads the file at the path it is given.
		var up struct {
			File string `json:"file"`
			Name string `json:"name"`
		}
		_ = json.Unmarshal(req.Params, &up)
		data, err := os.ReadFile(strings.TrimPrefix(up.File, "file://"))
		if err != nil {
			answer("failed", 1200, nil, "文件不存在: "+err.Error())
			return
		}
		file = &File{Name: up.Name, Data: data}
		segs = []Segment{{Type: "file", Data: map[string]string{"name": up.Name}}}
	} else if err := json.Unmarshal(message, &segs); err != nil {
		// A string (CQ codes) or one segment: the adapter must never send
		// these, so record them as they are for the test to see.
		segs = []Segment{{Type: "raw", Data: map[string]string{"json": string(message)}}}
	}
	s := Sent{Action: req.Action, Message: segs, Raw: req.Params, At: time.Now(), Via: b.o.Name, File: file}
	if req.Action == "send_group_msg" || req.Action == "upload_group_file" {
		s.Group = int64(group)
	} else {
		s.User = int64(user)
	}
	b.w.mu.Lock()
	fn := b.w.onSend
	b.w.mu.Unlock()
	fault := Deliver
	if fn != nil {
		fault = fn(s)
	}
	if s.Group != 0 {
		b.w.mu.Lock()
		g := b.w.groups[s.Group]
		b.w.mu.Unlock()
		if g == nil && fault == Deliver {
			fault = Fail1200 // NapCat: an exception, "群不存在"
		}
	}
	if fault == Deliver || fault == DropAfter {
		s.MessageID = b.w.say(chatKey(s.Group, s.User), b.w.SelfID, segs)
	}
	b.w.mu.Lock()
	b.w.sent = append(b.w.sent, s)
	b.w.mu.Unlock()
	switch fault {
	case Deliver:
		if file != nil {
			answer("ok", 0, nil, "") // NapCat's uploads answer no message id
			return
		}
		answer("ok", 0, map[string]any{"message_id": b.id(s.MessageID)}, "")
	case Fail1200:
		answer("failed", 1200, nil, "Timeout: NTEvent serviceAndMethod:NodeIKernelMsgService/sendMsg")
	case Fail1404:
		answer("failed", 1404, nil, "不支持的Api "+req.Action)
	case Hang:
		b.hung.Add(1)
	case DropBefore, DropAfter:
		ws.CloseNow()
	}
}

// flexID decodes an id sent as a number or a string.
type flexID int64

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	*f = flexID(n)
	return err
}
