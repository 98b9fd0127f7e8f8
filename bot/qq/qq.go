// Package qq connects branchbot to QQ groups and private chats through a
// OneBot v11 bridge (NapCat, Lagrange.OneBot, LLOneBot, SnowLuma) over a
// reverse WebSocket: the bridge dials the bot. It implements bot.Platform.
//
// The adapter is an HTTP handler at Options.Path. A bridge connects with
// "Authorization: Bearer <token>" (checked in constant time, 401/403 before
// the upgrade), X-Self-ID (its QQ number) and X-Client-Role: one Universal
// connection, or an API and an Event connection. The account is confirmed
// with get_login_info; a newer connection for the account replaces the one
// it duplicates (bridges reconnect every few seconds after a drop, often
// before the server has noticed the old socket is dead).
//
// A frame with post_type is an event, one without is an action result,
// matched to its call by echo (as raw JSON: bridges echo any type). Events
// are handed to the engine one at a time, in order, each stored
// (bot.Receiver.Accept) before the next is handed over; a bridge never
// delivers an event twice and drops events while the bot is away, so there
// is nothing to confirm, and a crash loses at most the events read and not
// yet stored. Heartbeats drive the connection state: three missed intervals
// close the connection.
//
// Sends are send_group_msg / send_private_msg with array messages only, so
// a member's text can never become a CQ code. A send whose connection
// dropped before it was answered is checked against the chat's history once
// the bridge is back (get_group_msg_history, get_friend_msg_history): found,
// it counts as delivered; not found, it is sent again, once; when the
// history cannot tell, its outcome is unknown (bot.ErrOutcomeUnknown) and it
// is not sent again.
//
// A picture sent with words arrives as Message.Image holding its download
// address (the image segment's url); FetchImage reads it over HTTP.
package qq

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/branchbot/branchbot/bot"
)

// Name is the platform's name in config and storage.
const Name = "qq"

// PrivatePrefix starts the chat id of a private chat ("private:<QQ号>"), so
// that it never meets a group number.
const PrivatePrefix = "private:"

// Defaults of Options.
const (
	DefaultListen = "127.0.0.1:8082"
	DefaultPath   = "/onebot/v11/ws"
)

// Options configure the adapter. Zero durations take the defaults shown.
type Options struct {
	// Listen is the address of the reverse WebSocket server
	// (DefaultListen). Listener, if set, is used instead.
	Listen   string
	Listener net.Listener
	// Path is where bridges connect (DefaultPath).
	Path string
	// AccessToken is what bridges must send as "Authorization: Bearer
	// <token>" (or ?access_token=). New refuses an empty token unless
	// Listen is a loopback address.
	AccessToken string
	Logger      *slog.Logger
	// LoginTimeout bounds get_login_info after a bridge connects (10s).
	LoginTimeout time.Duration
	// ReconnectWait is how long a send whose connection dropped waits for
	// the bridge to come back and tell whether the message arrived (10s).
	ReconnectWait time.Duration
	// Files makes the adapter send files (exports) with upload_group_file
	// and upload_private_file, which take a path the bridge reads: only
	// for a bridge that sees the bot's files at the same paths (the same
	// machine, or a shared volume mounted at the same place).
	Files bool
	// RiskBackoff is the first account-wide pause after retcode 1200 (an
	// NTQQ timeout, which is what risk control looks like); it doubles
	// while 1200 repeats, up to 10 minutes (1m).
	RiskBackoff time.Duration
}

// Platform is the QQ adapter.
type Platform struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	api      *conn         // the connection actions go to
	events   *conn         // the connection events come from
	changed  chan struct{} // closed and replaced when api changes
	selfID   int64         // the account of the live connections
	nick     string
	holdTil  time.Time // account-wide pause after retcode 1200
	backoff  time.Duration
	muted    map[string]time.Time // group -> end of the bot's mute
	titles   map[string]string    // group -> name
	recent   map[string]bool      // message ids this adapter got for its sends
	recentQ  []string
	receiver bot.Receiver

	queue   eventQueue
	images  *http.Client // downloads of pictures members send
	running atomic.Bool
	sending atomic.Int64 // sends in flight
}

// finishSends is how long a stopping adapter keeps its connection for the
// sends in flight (the sender's own bound on one send is 30s).
const finishSends = 35 * time.Second

// New makes the adapter; Run serves bridges.
func New(o Options) (*Platform, error) {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if !strings.HasPrefix(o.Path, "/") {
		o.Path = "/" + o.Path
	}
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 10 * time.Second
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = 10 * time.Second
	}
	if o.RiskBackoff <= 0 {
		o.RiskBackoff = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	addr := o.Listen
	if o.Listener != nil {
		addr = o.Listener.Addr().String()
	}
	if o.AccessToken == "" && !Loopback(addr) {
		return nil, fmt.Errorf("qq: an access token is required when listening on %s, which is not a loopback address", addr)
	}
	return &Platform{
		o: o, log: o.Logger.With("platform", Name), changed: make(chan struct{}),
		muted: map[string]time.Time{}, titles: map[string]string{}, recent: map[string]bool{},
		queue: eventQueue{wake: make(chan struct{}, 1)}, images: &http.Client{},
	}, nil
}

// Loopback reports whether addr (host:port) listens on a loopback address
// only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (p *Platform) Name() string { return Name }

// Capabilities: plain text with @mentions and replies, private chats, group
// member lists, files where Options.Files says the bridge can read them,
// pictures members send with words (downloaded from the address the bridge
// reports); QQ through OneBot has no buttons here and cannot edit; the bot
// sees every group message.
func (p *Platform) Capabilities() bot.Capabilities {
	return bot.Capabilities{Mentions: true, Private: true, Members: true, Files: p.o.Files, Images: true, ImageCaptions: true}
}

// GroupMembers implements bot.MemberLister with get_group_member_list
// (fresh, not the bridge's cache), the bot itself left out.
func (p *Platform) GroupMembers(ctx context.Context, chatID string) ([]bot.GroupMember, error) {
	c, _ := p.actionConn()
	if c == nil {
		return nil, bot.ErrNotConnected
	}
	var list []struct {
		UserID   ID     `json:"user_id"`
		Nickname string `json:"nickname"`
		Card     string `json:"card"`
	}
	if err := c.call(ctx, "get_group_member_list", map[string]any{"group_id": mustID(chatID), "no_cache": true}, &list); err != nil {
		return nil, fmt.Errorf("qq: members of group %s: %w", chatID, err)
	}
	self := p.SelfID()
	out := make([]bot.GroupMember, 0, len(list))
	for _, m := range list {
		if int64(m.UserID) == self || m.UserID == 0 {
			continue
		}
		name := m.Card
		if name == "" {
			name = m.Nickname
		}
		out = append(out, bot.GroupMember{UserID: m.UserID.String(), Name: name})
	}
	return out, nil
}

// Connected reports whether a confirmed bridge connection carries actions.
func (p *Platform) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.api != nil
}

// SelfID is the QQ number of the connected account, 0 before the first
// connection.
func (p *Platform) SelfID() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.selfID
}

// Run serves bridges until ctx is cancelled, handing their events to r.
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	ln := p.o.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", p.o.Listen); err != nil {
			return fmt.Errorf("qq: listen on %s: %w", p.o.Listen, err)
		}
	}
	p.mu.Lock()
	p.receiver = r
	p.mu.Unlock()
	p.running.Store(true)
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	p.log.Info("waiting for a OneBot v11 bridge", "listen", ln.Addr().String(), "path", p.o.Path)
	p.eventLoop(ctx, r)
	p.running.Store(false)
	_ = srv.Close()
	// A send that has started finishes even during a shutdown (see
	// bot.Platform): its connection stays until it is answered.
	for deadline := time.Now().Add(finishSends); p.sending.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	p.mu.Lock()
	conns := []*conn{p.api, p.events}
	p.mu.Unlock()
	for _, c := range conns {
		if c != nil {
			c.close(errors.New("the bot stops"))
		}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("qq: serve: %w", err)
	}
	return nil
}

// ServeHTTP accepts a bridge's reverse WebSocket connection.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != p.o.Path {
		http.NotFound(w, r)
		return
	}
	if code, why := p.authorize(r); code != 0 {
		p.log.Warn("a bridge was refused", "remote", r.RemoteAddr, "status", code, "why", why)
		http.Error(w, why, code)
		return
	}
	self, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("X-Self-ID")), 10, 64)
	if err != nil || self <= 0 {
		http.Error(w, "X-Self-ID must be the bot's QQ number", http.StatusBadRequest)
		return
	}
	role := Role(r.Header.Get("X-Client-Role"))
	switch {
	case role == "":
		role = Universal
	case strings.EqualFold(string(role), string(Universal)):
		role = Universal
	case strings.EqualFold(string(role), string(API)):
		role = API
	case strings.EqualFold(string(role), string(Event)):
		role = Event
	default:
		http.Error(w, "X-Client-Role must be Universal, API or Event", http.StatusBadRequest)
		return
	}
	if !p.running.Load() {
		http.Error(w, "the bot is not running", http.StatusServiceUnavailable)
		return
	}
	p.mu.Lock()
	other := p.selfID != 0 && p.selfID != self && (p.api != nil || p.events != nil)
	p.mu.Unlock()
	if other {
		p.log.Error("a bridge for another QQ account was refused while one is connected", "self_id", self)
		http.Error(w, "another QQ account is connected", http.StatusConflict)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		p.log.Warn("bridge websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newConn(ws, self, role)
	p.serveConn(r.Context(), c)
}

// authorize checks the access token in constant time; 0 lets the request
// through.
func (p *Platform) authorize(r *http.Request) (int, string) {
	if p.o.AccessToken == "" {
		return 0, ""
	}
	got := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token") {
			got = strings.TrimSpace(tok)
		}
	} else {
		got = r.URL.Query().Get("access_token")
	}
	if got == "" {
		return http.StatusUnauthorized, "access token missing"
	}
	// Hashing first makes the comparison independent of the lengths.
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(p.o.AccessToken))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return http.StatusForbidden, "access token wrong"
	}
	return 0, ""
}

// serveConn confirms the account, installs the connection and reads it
// until it ends.
func (p *Platform) serveConn(ctx context.Context, c *conn) {
	log := p.log.With("self_id", c.selfID, "role", c.role)
	var (
		early     []json.RawMessage // events before the account was confirmed
		confirmed bool
		mu        sync.Mutex
	)
	go c.readLoop(context.WithoutCancel(ctx), func(raw []byte) {
		if p.meta(c, raw) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !confirmed {
			early = append(early, raw)
			return
		}
		p.queue.push(raw)
	})
	if c.role != Event {
		lctx, cancel := context.WithTimeout(ctx, p.o.LoginTimeout)
		var info struct {
			UserID   ID     `json:"user_id"`
			Nickname string `json:"nickname"`
		}
		err := c.call(lctx, "get_login_info", struct{}{}, &info)
		cancel()
		if err != nil {
			log.Error("the bridge did not confirm its account (get_login_info); connection closed", "err", err)
			c.close(err)
			return
		}
		if int64(info.UserID) != c.selfID {
			log.Error("the bridge's account differs from its X-Self-ID; connection closed", "login_user_id", int64(info.UserID))
			_ = c.ws.Close(websocket.StatusPolicyViolation, "X-Self-ID does not match get_login_info")
			c.close(errors.New("self id mismatch"))
			return
		}
		p.mu.Lock()
		p.nick = info.Nickname
		p.mu.Unlock()
	}
	p.install(c)
	log.Info("QQ bridge connected")
	mu.Lock()
	confirmed = true
	for _, raw := range early {
		p.queue.push(raw)
	}
	early = nil
	mu.Unlock()
	<-c.done
	p.uninstall(c)
	log.Warn("QQ bridge disconnected", "err", c.err)
}

// install makes c the account's connection for its role, closing the one
// it replaces.
func (p *Platform) install(c *conn) {
	p.mu.Lock()
	var old []*conn
	if c.role != Event {
		if p.api != nil && p.api != c {
			old = append(old, p.api)
		}
		p.api = c
		close(p.changed)
		p.changed = make(chan struct{})
	}
	if c.role != API {
		if p.events != nil && p.events != c {
			old = append(old, p.events)
		}
		p.events = c
	}
	p.selfID = c.selfID
	var stale []*conn
	for _, o := range old {
		if o != p.api && o != p.events {
			stale = append(stale, o)
		}
	}
	p.mu.Unlock()
	for _, o := range stale {
		p.log.Info("a newer bridge connection replaces an older one", "self_id", c.selfID)
		_ = o.ws.Close(websocket.StatusNormalClosure, "replaced by a newer connection")
		o.close(errors.New("replaced by a newer connection"))
	}
}

func (p *Platform) uninstall(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api == c {
		p.api = nil
		close(p.changed)
		p.changed = make(chan struct{})
	}
	if p.events == c {
		p.events = nil
	}
}

// actionConn returns the connection for actions (nil when none is live or
// the account is offline) and a channel closed when the action connection
// changes.
func (p *Platform) actionConn() (*conn, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.api != nil && p.api.isOffline() {
		return nil, p.changed
	}
	return p.api, p.changed
}
