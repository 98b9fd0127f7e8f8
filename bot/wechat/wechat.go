// Package wechat connects branchbot to WeChat through the web-WeChat protocol
// (github.com/eatmoreapple/openwechat, UOS desktop mode). It implements
// bot.Platform, bot.Identified and bot.CommandProvider: /rebind, for a group
// that was renamed, exists in WeChat groups only (rebind.go).
//
// The library is not safe for concurrent use, so every call our code makes
// into it runs on one goroutine (the actor in Run): logins, contact lookups
// and sends. The library's own sync goroutine runs only library code and
// our callbacks, which copy plain data out (messages, session state) and
// never call back into it. A dispatcher translates each incoming message
// and hands it to the engine, which stores it (bot.Receiver.Accept); the
// sync loop waits for that before it asks WeChat for more, so a crash loses
// at most the messages of the sync in flight (the web protocol never
// delivers a message twice, so those cannot be recovered).
//
// Identity: web-WeChat UserNames change at every login, so a group is known
// by its name (Chat.ExternalID is the group name) and re-resolved after every
// login; a member is "<group name>/<display name>" until /iam links them to
// the roster. Only groups saved to the account's contacts (保存到通讯录) are
// listed at login; others become known when somebody speaks in them.
//
// Sessions end often (synccheck retcode 1100/1101/1102). The adapter then
// reports it through Options.OnLogout, answers bot.ErrNotConnected to sends so
// the outbox keeps them, and logs in again: hot login from the session file,
// then a push login confirmed on the phone, then a new QR code.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"

	"github.com/branchbot/branchbot/bot"
)

// Name is the platform's name in config and storage.
const Name = "wechat"

// OfflineNotice is what admins on other platforms are told when the WeChat
// session ends.
const OfflineNotice = "微信已掉线，请重新扫码"

// Options configure the adapter. Zero durations take the defaults shown.
type Options struct {
	// SessionFile keeps the hot-login session (written with mode 0600).
	SessionFile string
	// QRFile, if set, receives the login QR code as a PNG (mode 0600); it is
	// removed after a successful login.
	QRFile string
	// QROut, if set, gets the QR code printed as text for a terminal.
	QROut  io.Writer
	Logger *slog.Logger
	// Transport carries the library's HTTP requests; default
	// http.DefaultTransport. Tests point it at wechattest.
	Transport http.RoundTripper
	// PushLogin tries a login confirmed on the phone before showing a new QR
	// code when a saved session no longer works.
	PushLogin bool
	// PushTimeout bounds the wait for the phone's confirmation (2m).
	PushTimeout time.Duration
	// LoginRetry is the pause after a failed login attempt (10s).
	LoginRetry time.Duration
	// TooOftenBackoff is the first pause after WeChat answers Ret 1205
	// ("too often"); it doubles while 1205 repeats, up to 10 minutes (1m).
	TooOftenBackoff time.Duration
	// GroupRetry is how long a message waits before trying again when its
	// group is not among the account's groups (renamed, not saved to
	// contacts, or left) (10m).
	GroupRetry time.Duration
	// SyncErrorPause is the pause after a failed synccheck (2s).
	SyncErrorPause time.Duration
	// OnLogout is called (on the adapter's goroutine) each time a session
	// ends, with the reason, before logging in again.
	OnLogout func(ctx context.Context, reason error)
	// OnLogin is called after each successful login.
	OnLogin func(ctx context.Context)
	// Store backs the adapter's own command, /rebind (storage.DB
	// implements it). Nil: the adapter brings no command.
	Store Store
}

// Platform is the WeChat adapter.
type Platform struct {
	o       Options
	log     *slog.Logger
	cookies *cookieStore
	inbox   inbox

	mu      sync.Mutex
	sess    *session
	holdTil time.Time     // account-wide pause after Ret 1205
	backoff time.Duration // the current 1205 pause
	nick    string

	fileMu sync.Mutex // guards the session file and closed
	closed bool

	captionMu sync.Mutex
	captions  map[string]bool // files whose caption WeChat took, the file not yet

	running atomic.Bool
}

// New makes the adapter; Run logs in.
func New(o Options) *Platform {
	if o.PushTimeout <= 0 {
		o.PushTimeout = 2 * time.Minute
	}
	if o.LoginRetry <= 0 {
		o.LoginRetry = 10 * time.Second
	}
	if o.TooOftenBackoff <= 0 {
		o.TooOftenBackoff = time.Minute
	}
	if o.GroupRetry <= 0 {
		o.GroupRetry = 10 * time.Minute
	}
	if o.SyncErrorPause <= 0 {
		o.SyncErrorPause = 2 * time.Second
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Platform{o: o, log: o.Logger.With("platform", Name), cookies: newCookieStore(), inbox: newInbox(), captions: map[string]bool{}}
}

func (p *Platform) Name() string { return Name }

// Capabilities: plain text with @mentions, files, and the pictures members
// send (each a message of its own, without a caption); WeChat has no
// buttons and the web protocol cannot edit.
func (p *Platform) Capabilities() bot.Capabilities {
	return bot.Capabilities{Mentions: true, Private: true, Files: true, Images: true}
}

// BotUsername implements bot.Identified: the account's nickname, so that
// "/help@支部助手" is ours.
func (p *Platform) BotUsername() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nick
}

// Connected reports whether a session is live.
func (p *Platform) Connected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess != nil
}

// session is one login. Everything but jobs and done is touched only by the
// actor goroutine.
type session struct {
	bot    *openwechat.Bot
	cancel context.CancelFunc
	unlink func() bool // stops Run's ctx from cancelling the session
	done   <-chan struct{}
	jobs   chan *job
	ended  atomic.Pointer[error] // why the session ended, as we saw it

	self, nick string
	groups     map[string]string // group name -> UserName
	groupInfo  map[string]*group // UserName -> group
	friends    map[string]string // friend name -> UserName
	friendName map[string]string // UserName -> friend name
	dupes      []string          // group names used by more than one group
}

type group struct {
	name    string
	members map[string]string // member UserName -> shown name
}

// job is a function to run on the actor goroutine.
type job struct {
	fn    func(*session) error
	state atomic.Int32
	done  chan struct{}
	err   error
}

const (
	jobPending int32 = iota
	jobRunning
	jobAbandoned
)

// do runs fn on the actor goroutine for session s and returns its error. A
// job that has not started when s ends or ctx is cancelled is abandoned (it
// never runs); one that has started is waited for, so a send is never both
// reported failed and performed.
func (p *Platform) do(ctx context.Context, s *session, fn func(*session) error) error {
	j := &job{fn: fn, done: make(chan struct{})}
	select {
	case s.jobs <- j:
	case <-s.done:
		return bot.ErrNotConnected
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-j.done:
		return j.err
	case <-s.done:
	case <-ctx.Done():
	}
	if j.state.CompareAndSwap(jobPending, jobAbandoned) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return bot.ErrNotConnected
	}
	<-j.done
	return j.err
}

// serve runs jobs until the session ends or ctx is cancelled.
func (p *Platform) serve(ctx context.Context, s *session) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case j := <-s.jobs:
			if j.state.CompareAndSwap(jobPending, jobRunning) {
				j.err = p.runJob(s, j.fn)
			}
			close(j.done)
		}
	}
}

func (p *Platform) runJob(s *session, fn func(*session) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("wechat call panicked", "panic", r)
			err = fmt.Errorf("wechat call panicked: %v", r)
		}
	}()
	return fn(s)
}

// Run implements bot.Platform: it logs in, keeps logging in after every
// logout, and hands incoming messages to r until ctx is cancelled.
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("wechat: Run called twice")
	}
	if p.o.SessionFile == "" {
		return errors.New("wechat: no session file configured")
	}
	var wg sync.WaitGroup
	wg.Go(func() { p.dispatch(ctx, r) })
	defer func() {
		p.fileMu.Lock()
		p.closed = true
		p.fileMu.Unlock()
		p.inbox.close()
		wg.Wait()
	}()
	forceQR := false
	wait := p.o.LoginRetry
	for ctx.Err() == nil {
		s, err := p.login(ctx, forceQR)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			// A network outage says nothing about the saved session; while
			// it lasts, the pause doubles (to 5 minutes). The other
			// platforms serve meanwhile.
			network := errors.Is(err, openwechat.NetworkErr)
			forceQR = !network
			p.log.Warn("微信登录失败，稍后重试", "err", err, "retry_in", wait)
			if !bot.Sleep(ctx, wait) {
				break
			}
			if network {
				wait = min(wait*2, 5*time.Minute)
			} else {
				wait = p.o.LoginRetry
			}
			continue
		}
		forceQR, wait = false, p.o.LoginRetry
		s.unlink()
		p.afterLogin(ctx, s, r)
		p.serve(ctx, s)
		p.mu.Lock()
		p.sess = nil
		p.mu.Unlock()
		s.cancel()
		if ctx.Err() != nil {
			break
		}
		// Not b.CrashReason(): the library writes it from its own goroutine.
		reason := errors.New("session ended")
		if e := s.ended.Load(); e != nil {
			reason = *e
		}
		p.log.Warn("微信会话已结束，正在重新登录", "reason", reason)
		if p.o.OnLogout != nil {
			p.o.OnLogout(ctx, reason)
		}
	}
	return nil
}

// newBot makes a library bot for one login attempt, with our callbacks.
func (p *Platform) newBot(ctx context.Context, s *session) (*openwechat.Bot, *serializer) {
	// While logging in, cancelling ctx aborts the login. Once logged in, Run
	// ends the session itself, between two jobs, so that a send that has
	// started is never cut off (its outcome would be unknown).
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.unlink = context.AfterFunc(ctx, cancel)
	b := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(bctx))
	s.bot, s.cancel, s.done = b, cancel, b.Context().Done()
	tr := &cookieTransport{base: p.o.Transport, store: p.cookies}
	c := b.Caller.Client
	tr.setJar(c.Jar())
	c.HTTPClient().Transport = tr
	// One attempt per request: the library would otherwise repeat a request
	// whose answer was lost, and a repeated webwxsendmsg is a duplicate.
	// Failed sends are retried by the outbox, failed polls by us.
	c.MaxRetryTimes = 1
	ser := &serializer{p: p, tr: tr}
	b.Serializer = ser
	b.UUIDCallback = p.showQR // never a browser
	b.ScanCallBack = func(openwechat.CheckLoginResponse) { p.log.Info("二维码已扫描，请在手机上确认登录") }
	b.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	var failures int // touched only by the library's sync goroutine
	b.SyncCheckCallback = func(resp openwechat.SyncCheckResponse) {
		// Quiet: the library's default logs every poll.
		if resp.Success() {
			failures = 0
		}
	}
	b.MessageErrorHandler = func(err error) error {
		var ret openwechat.Ret
		if errors.As(err, &ret) && (ret == 1100 || ret == 1101 || ret == 1102) {
			s.ended.CompareAndSwap(nil, &err)
			return err // the session is over
		}
		if bctx.Err() != nil {
			return err
		}
		failures++
		if failures > 20 {
			err = fmt.Errorf("synccheck keeps failing: %w", err)
			s.ended.CompareAndSwap(nil, &err)
			return err
		}
		p.log.Warn("微信同步出错，稍后重试", "err", err)
		bot.Sleep(bctx, p.o.SyncErrorPause)
		return nil
	}
	b.MessageHandler = func(m *openwechat.Message) {
		// Runs inline in the library's sync loop: copy the message out and
		// wait until it is stored; never call into the library.
		defer func() {
			if r := recover(); r != nil {
				p.log.Error("wechat message handler panicked", "panic", r)
			}
		}()
		in := incoming{s: s, from: m.FromUserName, to: m.ToUserName, raw: m.RawContent, text: m.Content, id: m.MsgId, at: m.CreateTime}
		switch {
		case m.IsPicture():
			// A picture is a message of its own, without words: its MsgId
			// fetches it (FetchImage).
			in.text, in.image = "", m.MsgId
		case m.MsgType != openwechat.MsgTypeText || m.Url != "":
			return
		}
		// The loop asks WeChat for more only after this returns: once the
		// message is stored.
		p.inbox.store(in, bctx.Done())
	}
	return b, ser
}

// login logs in once: hot login from the session file, then push login,
// then a QR code (only the QR code when forceQR).
func (p *Platform) login(ctx context.Context, forceQR bool) (*session, error) {
	if !forceQR {
		if f, err := readSession(p.o.SessionFile); err == nil {
			s := newSession()
			b, _ := p.newBot(ctx, s)
			herr := b.HotLogin(nopStorage{})
			if herr == nil {
				p.log.Info("微信热登录成功")
				return s, nil
			}
			s.cancel()
			p.log.Warn("微信热登录失败", "err", herr)
			if p.o.PushLogin && f.LoginInfo.WxUin != 0 {
				s := newSession()
				b, _ := p.newBot(ctx, s)
				p.log.Info("已向手机发送登录确认，请在手机微信上点击登录", "wait", p.o.PushTimeout)
				timer := time.AfterFunc(p.o.PushTimeout, s.cancel)
				perr := b.PushLogin(nopStorage{})
				if timer.Stop() && perr == nil {
					p.log.Info("微信推送登录成功")
					return s, nil
				}
				s.cancel()
				if perr == nil {
					perr = errors.New("push login timed out")
				}
				p.log.Warn("微信推送登录失败，改用二维码", "err", perr)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			p.log.Warn("微信会话文件无法使用，改用二维码", "err", err)
		}
	}
	s := newSession()
	b, ser := p.newBot(ctx, s)
	ser.fresh = true
	// HotLogin with nothing to load falls back to a QR login and, unlike
	// Login, makes the library save the session through our serializer.
	if err := b.HotLogin(nopStorage{}, openwechat.NewRetryLoginOption()); err != nil {
		s.cancel()
		return nil, fmt.Errorf("qr login: %w", err)
	}
	p.log.Info("微信扫码登录成功")
	if p.o.QRFile != "" {
		_ = os.Remove(p.o.QRFile)
	}
	return s, nil
}

func newSession() *session {
	return &session{
		jobs: make(chan *job), groups: map[string]string{}, groupInfo: map[string]*group{},
		friends: map[string]string{}, friendName: map[string]string{},
	}
}

// showQR prints the login QR code and saves it as a PNG.
func (p *Platform) showQR(uuid string) {
	content := "https://login.weixin.qq.com/l/" + uuid
	imgURL := openwechat.GetQrcodeUrl(uuid)
	p.log.Warn("微信需要扫码登录：请用机器人的微信扫描终端中的二维码或二维码图片", "qr_url", imgURL, "png", p.o.QRFile)
	if p.o.QROut != nil {
		fmt.Fprintln(p.o.QROut, "请用机器人的微信扫描下面的二维码登录（"+imgURL+"）：")
		qrterminal.GenerateHalfBlock(content, qrterminal.L, p.o.QROut)
	}
	if p.o.QRFile != "" {
		code, err := qr.Encode(content, qr.L)
		if err == nil {
			code.Scale = 8
			err = os.WriteFile(p.o.QRFile, code.PNG(), 0o600)
		}
		if err != nil {
			p.log.Error("save QR code", "file", p.o.QRFile, "err", err)
		}
	}
}

// afterLogin (on the actor) learns the account's groups and friends,
// registers the groups with the engine, and opens the session for sends.
func (p *Platform) afterLogin(ctx context.Context, s *session, r bot.Receiver) {
	b := s.bot
	if resp := b.Storage.Response; resp != nil && resp.User != nil {
		s.self, s.nick = resp.User.UserName, openwechat.FormatEmoji(resp.User.NickName)
	}
	if err := p.loadContacts(s); err != nil {
		p.log.Warn("读取微信通讯录失败", "err", err)
	}
	if len(s.dupes) > 0 {
		p.log.Warn("有多个微信群同名，机器人只认其中一个；请给每个群起不同的名字", "groups", s.dupes)
	}
	for name := range s.groups {
		if err := r.ChatEvent(ctx, bot.ChatEvent{Kind: bot.ChatJoined, Platform: Name, ChatID: name, ChatKind: bot.Group, Title: name}); err != nil {
			p.log.Error("register wechat group", "group", name, "err", err)
		}
	}
	p.mu.Lock()
	p.sess, p.nick = s, s.nick
	p.mu.Unlock()
	p.log.Info("微信已连接", "account", s.nick, "groups", len(s.groups))
	if p.o.OnLogin != nil {
		p.o.OnLogin(ctx)
	}
	if pk, ok := r.(interface{ PokeAll() }); ok {
		pk.PokeAll() // deliver what waited for the login
	}
}

func (p *Platform) loadContacts(s *session) error {
	b := s.bot
	ms, err := b.Caller.WebWxGetContact(b.Context(), b.Storage.LoginInfo)
	if err != nil {
		return err
	}
	for _, u := range ms {
		switch {
		case strings.HasPrefix(u.UserName, "@@"):
			s.addGroup(u)
		case strings.HasPrefix(u.UserName, "@") && u.VerifyFlag == 0:
			name := openwechat.FormatEmoji(u.RemarkName)
			if name == "" {
				name = openwechat.FormatEmoji(u.NickName)
			}
			if name != "" {
				s.friends[name] = u.UserName
				s.friendName[u.UserName] = name
			}
		}
	}
	return nil
}

func (s *session) addGroup(u *openwechat.User) *group {
	name := openwechat.FormatEmoji(u.NickName)
	g := s.groupInfo[u.UserName]
	if g == nil {
		g = &group{members: map[string]string{}}
		s.groupInfo[u.UserName] = g
	}
	if g.name != "" && g.name != name {
		delete(s.groups, g.name)
	}
	g.name = name
	if name != "" {
		if prev, ok := s.groups[name]; !ok || prev == u.UserName {
			s.groups[name] = u.UserName
		} else {
			s.dupes = append(s.dupes, name)
		}
	}
	for _, m := range u.MemberList {
		shown := openwechat.FormatEmoji(m.DisplayName)
		if shown == "" {
			shown = openwechat.FormatEmoji(m.NickName)
		}
		g.members[m.UserName] = shown
	}
	return g
}

// fetchGroup asks the server for a group's name and members.
func (p *Platform) fetchGroup(s *session, userName string) (*group, error) {
	b := s.bot
	ms, err := b.Caller.WebWxBatchGetContact(b.Context(), openwechat.Members{&openwechat.User{UserName: userName}}, b.Storage.Request)
	if err != nil {
		return nil, err
	}
	for _, u := range ms {
		if u.UserName == userName {
			return s.addGroup(u), nil
		}
	}
	return nil, fmt.Errorf("group %s not found", userName)
}

// atNames writes each member text names ("@姓名", bot.MentionSpans) the
// way WeChat clients write a mention, the name followed by U+2005 (in place
// of the space after it). Web WeChat has no mention API: the name is shown
// highlighted where the client recognises it, but nobody is notified.
func atNames(text string, ms []bot.Mention) string {
	spans := bot.MentionSpans(text, ms)
	if len(spans) == 0 {
		return text
	}
	var b strings.Builder
	from := 0
	for _, sp := range spans {
		b.WriteString(text[from:sp.End])
		b.WriteString("\u2005")
		from = sp.End
		if strings.HasPrefix(text[from:], " ") {
			from++
		}
	}
	b.WriteString(text[from:])
	return b.String()
}

// Send implements bot.Platform.
func (p *Platform) Send(ctx context.Context, out bot.Outbound) (string, error) {
	p.mu.Lock()
	s := p.sess
	hold := time.Until(p.holdTil)
	p.mu.Unlock()
	if hold > 0 {
		return "", &bot.RetryAfterError{After: hold, Err: errors.New("wechat: pausing after 1205 (too often)")}
	}
	if s == nil {
		return "", bot.ErrNotConnected
	}
	text := atNames(out.Text, out.Mentions)
	if out.Mention != nil && out.Mention.Name != "" {
		text = "@" + out.Mention.Name + "\u2005" + text
	}
	if out.File != "" {
		return p.sendFile(ctx, s, out, text)
	}
	var msgID string
	err := p.do(ctx, s, func(s *session) error {
		to, ok := s.resolve(out.ChatKind, out.ChatID)
		if !ok {
			return errUnknownChat
		}
		// Nothing cuts a started send short, not even the session ending
		// (a logout or a shutdown): its answer must be read, or we would not
		// know whether WeChat took it and might send it twice. The client's
		// own 30s timeout bounds it.
		sctx := context.WithoutCancel(s.bot.Context())
		var wrote, answered atomic.Bool
		sctx = httptrace.WithClientTrace(sctx, &httptrace.ClientTrace{
			WroteRequest: func(info httptrace.WroteRequestInfo) {
				if info.Err == nil {
					wrote.Store(true)
				}
			},
			GotFirstResponseByte: func() { answered.Store(true) },
		})
		sent, err := s.bot.Caller.WebWxSendMsg(sctx, &openwechat.CallerWebWxSendMsgOptions{
			LoginInfo: s.bot.Storage.LoginInfo, BaseRequest: s.bot.Storage.Request,
			Message: openwechat.NewTextSendMessage(text, s.self, to),
		})
		var ret openwechat.Ret
		if err != nil && wrote.Load() && !answered.Load() && !errors.As(err, &ret) {
			// Handed to WeChat, no answer at all: it may have arrived.
			return fmt.Errorf("%w: %w", bot.ErrOutcomeUnknown, err)
		}
		if err != nil {
			return err
		}
		msgID = sent.MsgId
		return nil
	})
	if err == nil {
		p.mu.Lock()
		p.backoff = 0
		p.mu.Unlock()
		return msgID, nil
	}
	return "", p.classify(s, out, err)
}

// sendFile delivers a message with a file: web WeChat shows no caption with
// a file, so the text goes first as a message of its own, then the file is
// uploaded (webwxuploadmedia) and sent (webwxsendappmsg). A caption WeChat
// took is remembered, in memory, until its file follows, so that the
// outbox's retry after a refused upload sends only the file.
func (p *Platform) sendFile(ctx context.Context, s *session, out bot.Outbound, text string) (string, error) {
	f, err := os.Open(out.File)
	if err != nil {
		return "", &bot.PermanentError{Err: fmt.Errorf("file to send: %w", err)}
	}
	defer f.Close()
	key := out.ChatID + "\x00" + out.File + "\x00" + text
	var msgID string
	err = p.do(ctx, s, func(s *session) error {
		to, ok := s.resolve(out.ChatKind, out.ChatID)
		if !ok {
			return errUnknownChat
		}
		// As for a text: a started send is never cut short.
		sctx := context.WithoutCancel(s.bot.Context())
		if strings.TrimSpace(text) != "" && !p.captionTaken(key) {
			if _, err := s.bot.Caller.WebWxSendMsg(sctx, &openwechat.CallerWebWxSendMsgOptions{
				LoginInfo: s.bot.Storage.LoginInfo, BaseRequest: s.bot.Storage.Request,
				Message: openwechat.NewTextSendMessage(text, s.self, to),
			}); err != nil {
				return err
			}
			p.noteCaption(key, true)
		}
		sent, err := s.bot.Caller.WebWxSendFile(sctx, f, &openwechat.CallerWebWxSendFileOptions{
			FromUserName: s.self, ToUserName: to, BaseRequest: s.bot.Storage.Request, LoginInfo: s.bot.Storage.LoginInfo,
		})
		if err != nil {
			return err
		}
		msgID = sent.MsgId
		return nil
	})
	if err == nil {
		p.noteCaption(key, false)
		p.mu.Lock()
		p.backoff = 0
		p.mu.Unlock()
		return msgID, nil
	}
	err = p.classify(s, out, err)
	var perm *bot.PermanentError
	if errors.As(err, &perm) || errors.Is(err, bot.ErrChatGone) {
		p.noteCaption(key, false) // the message will not be tried again
	}
	return "", err
}

func (p *Platform) captionTaken(key string) bool {
	p.captionMu.Lock()
	defer p.captionMu.Unlock()
	return p.captions[key]
}

func (p *Platform) noteCaption(key string, taken bool) {
	p.captionMu.Lock()
	defer p.captionMu.Unlock()
	if taken {
		p.captions[key] = true
	} else {
		delete(p.captions, key)
	}
}

var errUnknownChat = errors.New("chat not found")

// resolve finds the current UserName for a chat id.
func (s *session) resolve(kind bot.ChatKind, id string) (string, bool) {
	if kind == bot.Private {
		u, ok := s.friends[strings.TrimPrefix(id, PrivatePrefix)]
		return u, ok
	}
	u, ok := s.groups[id]
	return u, ok
}

func (p *Platform) classify(s *session, out bot.Outbound, err error) error {
	var ret openwechat.Ret
	switch {
	case errors.Is(err, errUnknownChat):
		what := "微信群"
		if out.ChatKind == bot.Private {
			what = "微信好友"
		}
		p.log.Warn("找不到聊天，消息稍后重试（群是否改名或未保存到通讯录？）", "chat", out.ChatID, "retry_in", p.o.GroupRetry)
		return &bot.RetryAfterError{After: p.o.GroupRetry, Err: fmt.Errorf("%s「%s」不在通讯录中（可能已改名、未保存到通讯录或已退出）", what, out.ChatID)}
	case errors.As(err, &ret) && ret == 1205:
		p.mu.Lock()
		if p.backoff == 0 {
			p.backoff = p.o.TooOftenBackoff
		} else {
			p.backoff = min(p.backoff*2, 10*time.Minute)
		}
		d := p.backoff
		p.holdTil = time.Now().Add(d)
		p.mu.Unlock()
		p.log.Warn("微信提示操作太频繁（1205），暂停发送", "pause", d)
		return &bot.RetryAfterError{After: d, Err: err}
	case errors.As(err, &ret) && (ret == 1100 || ret == 1101 || ret == 1102):
		s.ended.CompareAndSwap(nil, &err)
		s.cancel() // the session is over; Run logs in again
		return fmt.Errorf("%w: %w", bot.ErrNotConnected, err)
	case errors.As(err, &ret) && ret == 1:
		return &bot.PermanentError{Err: fmt.Errorf("wechat refused the message: %w", err)}
	case errors.Is(err, bot.ErrNotConnected), errors.Is(err, bot.ErrOutcomeUnknown):
		return err
	}
	select {
	case <-s.done:
		return fmt.Errorf("%w: %w", bot.ErrNotConnected, err)
	default:
	}
	return fmt.Errorf("wechat send: %w", err)
}
