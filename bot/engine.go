package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/branchbot/branchbot/bot/redact"
)

// MaxCommandRunes is the longest command line the engine accepts.
const MaxCommandRunes = 4000

// Options configure an Engine.
type Options struct {
	Store    Store
	Logger   *slog.Logger
	Now      func() time.Time // the business clock; default time.Now
	Location *time.Location   // default Asia/Shanghai
	// Admins are "platform:userID" identities or "roster:<学号>" roster
	// numbers that hold the admin role.
	Admins []string
	// Limits per platform name.
	Limits map[string]Limits
	// TickEvery is how often features' Tick runs (default 10s).
	TickEvery time.Duration
	// ShutdownGrace bounds how long Run waits for handlers in flight.
	ShutdownGrace time.Duration
	// MaxBacklog bounds the updates accepted from one platform and not yet
	// handled (default DefaultMaxBacklog); Accept waits for room.
	MaxBacklog int
	// MaxMessageAge bounds how far back a message's platform time may lie
	// and still count as when the member acted (default
	// DefaultMaxMessageAge); see Request.At.
	MaxMessageAge time.Duration
	// Redactor masks credentials in the errors stored with queued
	// messages (default: by their shape only). The logger should be
	// wrapped with its Handler too.
	Redactor *redact.Redactor
}

// DefaultMaxMessageAge is how old a message's platform time may be and still
// count: a day, as long as Telegram keeps unconfirmed updates.
const DefaultMaxMessageAge = 24 * time.Hour

// Engine dispatches incoming messages to features and delivers what they
// send through the outbox.
type Engine struct {
	store    Store
	log      *slog.Logger
	now      func() time.Time
	loc      *time.Location
	admins   map[string]bool
	limits   map[string]Limits
	tick     time.Duration
	grace    time.Duration
	units    atomic.Pointer[UnitTree]
	mu       sync.RWMutex
	features []Feature
	specs    []*CommandSpec
	byName   map[string]*CommandSpec
	plats    map[string]Platform
	senders  map[string]*sender
	inflight sync.WaitGroup
	tickMu   sync.Mutex
	in       *inbox
	maxAge   time.Duration
	runCtx   atomic.Pointer[context.Context] // handlers' context once Run started
	redactor *redact.Redactor

	// longestName is the length in bytes of the longest name in byName.
	longestName int
}

// New makes an engine. Register features and add platforms before Run.
func New(opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errors.New("engine: no store")
	}
	e := &Engine{
		store:    opts.Store,
		log:      opts.Logger,
		now:      opts.Now,
		loc:      opts.Location,
		admins:   map[string]bool{},
		limits:   opts.Limits,
		tick:     opts.TickEvery,
		grace:    opts.ShutdownGrace,
		byName:   map[string]*CommandSpec{},
		plats:    map[string]Platform{},
		in:       newInbox(opts.MaxBacklog),
		maxAge:   opts.MaxMessageAge,
		redactor: opts.Redactor,
	}
	if e.maxAge <= 0 {
		e.maxAge = DefaultMaxMessageAge
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.loc == nil {
		e.loc = ShanghaiLocation()
	}
	if e.tick <= 0 {
		e.tick = 10 * time.Second
	}
	if e.grace <= 0 {
		e.grace = 30 * time.Second
	}
	for _, a := range opts.Admins {
		e.admins[strings.TrimSpace(a)] = true
	}
	e.units.Store(NewUnitTree(nil))
	e.senders = map[string]*sender{}
	// Whatever queues a message, the store tells the engine after the
	// commit; no feature wakes a sender itself.
	e.store.SetQueuedHook(e.wake)
	return e, nil
}

// Now is the engine's business clock, in the configured time zone.
func (e *Engine) Now() time.Time { return e.now().In(e.loc) }

// Location is the configured time zone.
func (e *Engine) Location() *time.Location { return e.loc }

// Logger is the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Store is the engine's store.
func (e *Engine) Store() Store { return e.store }

// Units is the current organisation tree.
func (e *Engine) Units() *UnitTree { return e.units.Load() }

// ReloadUnits rereads the organisation tree from the store.
func (e *Engine) ReloadUnits(ctx context.Context) error {
	us, err := e.store.Units(ctx)
	if err != nil {
		return fmt.Errorf("load units: %w", err)
	}
	e.units.Store(NewUnitTree(us))
	return nil
}

// AddPlatform attaches a platform adapter; its limits come from Options.
// The platform's own commands (CommandProvider) are registered with it and
// exist only in its chats.
func (e *Engine) AddPlatform(p Platform) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cp, ok := p.(CommandProvider); ok {
		specs := cp.Commands()
		for i := range specs {
			if !specs[i].AppliesTo(p.Name()) {
				return fmt.Errorf("add platform %s: its command /%s is for platform %s", p.Name(), specs[i].Name, specs[i].Platform)
			}
			specs[i].Platform = p.Name()
		}
		if err := e.addCommands("platform "+p.Name(), specs); err != nil {
			return err
		}
	}
	e.plats[p.Name()] = p
	e.senders[p.Name()] = newSender(e, p, e.limits[p.Name()])
	return nil
}

// Platform returns an attached platform by name.
func (e *Engine) Platform(name string) (Platform, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, ok := e.plats[name]
	return p, ok
}

// GroupMembers lists the members of a group chat, where its platform's
// Capabilities have Members (MemberLister); an error elsewhere.
func (e *Engine) GroupMembers(ctx context.Context, chat Chat) ([]GroupMember, error) {
	p, ok := e.Platform(chat.Platform)
	if !ok {
		return nil, fmt.Errorf("platform %s is not attached", chat.Platform)
	}
	ml, ok := p.(MemberLister)
	if !ok || !p.Capabilities().Members {
		return nil, fmt.Errorf("platform %s cannot list group members", chat.Platform)
	}
	return ml.GroupMembers(ctx, chat.ExternalID)
}

// FetchImage reads a picture a member sent on platform (Message.Image), at
// most max bytes (ErrTooLarge beyond).
func (e *Engine) FetchImage(ctx context.Context, platform, id string, max int64) ([]byte, error) {
	p, ok := e.Platform(platform)
	if !ok {
		return nil, fmt.Errorf("platform %s is not attached", platform)
	}
	f, ok := p.(ImageFetcher)
	if !ok || !p.Capabilities().Images {
		return nil, fmt.Errorf("platform %s cannot fetch images", platform)
	}
	return f.FetchImage(ctx, id, max)
}

// Capabilities of a platform; zero for an unknown one.
func (e *Engine) Capabilities(platform string) Capabilities {
	if p, ok := e.Platform(platform); ok {
		return p.Capabilities()
	}
	return Capabilities{}
}

// Send queues a message in the durable outbox; the store's queued hook wakes
// its platform's sender once it is committed.
func (e *Engine) Send(ctx context.Context, m Outgoing) (int64, error) {
	if strings.TrimSpace(m.Text) == "" {
		return 0, errors.New("send: empty text")
	}
	id, _, err := e.store.Enqueue(ctx, m, e.now())
	if err != nil {
		return 0, fmt.Errorf("queue message to chat %d: %w", m.ChatID, err)
	}
	return id, nil
}

// wake wakes the sender of a platform that has new messages queued for
// chats, if one of them can be served now. It is the store's queued hook.
func (e *Engine) wake(platform string, chats []int64) {
	e.mu.RLock()
	s := e.senders[platform]
	e.mu.RUnlock()
	if s != nil {
		s.poke(chats...)
	}
}

// handleCtx is the context handlers of accepted updates run in: Run's,
// never cancelled by a shutdown (a handler that started finishes).
func (e *Engine) handleCtx() context.Context {
	if c := e.runCtx.Load(); c != nil {
		return *c
	}
	return context.Background()
}

// messageTime is when the member sent m by the platform's clock, bounded by
// the engine's: never later than now, never earlier than now - maxAge.
func (e *Engine) messageTime(m Message) time.Time {
	now := e.now()
	switch t := m.Time; {
	case t.IsZero() || t.After(now):
		return now
	case t.Before(now.Add(-e.maxAge)):
		return now.Add(-e.maxAge)
	default:
		return t
	}
}

// PokeAll wakes every sender: for an adapter whose connection came back, and
// for the engine after a chat moved to a new platform id.
func (e *Engine) PokeAll() {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, s := range e.senders {
		s.poke()
	}
}

func (e *Engine) answerCallback(ctx context.Context, platform, callbackID, text string) error {
	p, ok := e.Platform(platform)
	if !ok {
		return fmt.Errorf("answer button: unknown platform %q", platform)
	}
	a, ok := p.(CallbackAnswerer)
	if !ok {
		return fmt.Errorf("answer button: platform %s has no buttons", platform)
	}
	return a.AnswerCallback(ctx, callbackID, text)
}

// Caller loads everything known about a member.
func (e *Engine) Caller(ctx context.Context, m Member) (Caller, error) {
	c := Caller{Member: m}
	if m.RosterID != 0 {
		r, err := e.store.RosterEntry(ctx, m.RosterID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return c, fmt.Errorf("load roster entry %d: %w", m.RosterID, err)
		}
		if err == nil && r.Left.IsZero() {
			c.Roster = &r // an entry that left the roster grants nothing
		}
	}
	c.Admin = e.admins[m.Platform+":"+m.ExternalID] ||
		(c.Roster != nil && (e.admins["roster:"+c.Roster.Number] || c.Roster.Role == RoleAdmin))
	return c, nil
}

// CallerOfRoster is the caller for a roster entry acting outside any chat
// (signed in to the web console): its roster role, and admin as Caller
// decides it for a roster entry. An entry that left the roster is
// bot.ErrNotFound.
func (e *Engine) CallerOfRoster(ctx context.Context, rosterID int64) (Caller, error) {
	r, err := e.store.RosterEntry(ctx, rosterID)
	if err != nil {
		return Caller{}, err
	}
	if !r.Left.IsZero() {
		return Caller{}, ErrNotFound
	}
	return Caller{Roster: &r, Admin: e.admins["roster:"+r.Number] || r.Role == RoleAdmin}, nil
}

// Receive handles one incoming message and returns when its handler is done.
func (e *Engine) Receive(ctx context.Context, m Message) {
	e.inflight.Add(1)
	defer e.inflight.Done()
	// A handler that has started finishes even if the platform's context is
	// cancelled by a shutdown; Run waits for it.
	ctx = context.WithoutCancel(ctx)
	var req *Request
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("handler panicked", "platform", m.Platform, "chat", m.ChatID, "panic", p, "stack", string(debug.Stack()))
			if req != nil {
				_ = req.Reply(ctx, "处理命令时出错了，已记录。请稍后再试或联系管理员。")
			}
		}
	}()
	if e.ignores(m) {
		return
	}
	if m.Time.IsZero() {
		m.Time = e.now()
	}
	m.Text = Normalize(m.Text) // once, for every command and observer
	cmd, isCmd := ParseCommand(m.Text)
	var (
		spec    *CommandSpec
		unknown bool // a slash command we do not have, said to us
	)
	if isCmd {
		parsed := isCmd
		if cmd.Slash || m.ChatKind == Private || m.MentionsBot {
			spec, cmd, isCmd = e.ResolveSaidToBot(cmd)
		} else {
			spec, cmd, isCmd = e.Resolve(cmd)
		}
		if isCmd && !spec.AppliesTo(m.Platform) {
			spec, isCmd = nil, false // another platform's own command
		}
		unknown = parsed && !isCmd && cmd.Slash &&
			(m.ChatKind == Private || cmd.Bot != "" && e.addressedToUs(m.Platform, cmd.Bot))
		if isCmd && cmd.Bot != "" && !e.addressedToUs(m.Platform, cmd.Bot) {
			return // a command for another bot in the same group
		}
		if isCmd && !cmd.Slash && isASCIIWord(cmd.Name) {
			// English names need their slash, so ordinary words are not commands.
			isCmd = false
		}
	}
	if !isCmd && !unknown && !e.hasObservers(m) {
		return
	}
	// Finding or creating the chat and the sender is no effect of the
	// update: it must not mark the update handled (Receipt).
	chat, err := e.store.EnsureChat(WithoutReceipt(ctx), m.Platform, m.ChatID, m.ChatKind, m.ChatTitle)
	if err != nil {
		e.log.Error("resolve chat", "platform", m.Platform, "chat", m.ChatID, "err", err)
		return
	}
	member, err := e.store.EnsureMember(WithoutReceipt(ctx), m.Platform, m.SenderID, m.SenderName)
	if err != nil {
		e.log.Error("resolve member", "platform", m.Platform, "member", m.SenderID, "err", err)
		return
	}
	caller, err := e.Caller(ctx, member)
	if err != nil {
		e.log.Error("resolve caller", "member", member.ID, "err", err)
		return
	}
	req = &Request{Message: m, Chat: chat, Caller: caller, engine: e, at: e.messageTime(m)}
	if unknown {
		_ = req.Reply(ctx, fmt.Sprintf("没有「/%s」这个命令。发送 /help 查看可用命令。", truncate(cmd.Name, 30)))
		return
	}
	if isCmd {
		req.Command, req.Spec = cmd, spec
		if e.speech(ctx, req) {
			req.Command, req.Spec, isCmd = Command{}, nil, false
		}
	}
	if !isCmd {
		e.observe(ctx, req)
		return
	}
	e.dispatch(ctx, req)
}

// speech reports a command line that its form's Bare rule keeps from running:
// written without its slash, in a group, not addressed to the bot, where the
// name may be ordinary speech (see Bare). A sub-command reached by its word
// after the command's alias (签到 发起) must pass the command's rule too.
func (e *Engine) speech(ctx context.Context, req *Request) bool {
	if req.Command.Slash || req.Chat.Kind != Group || req.Message.MentionsBot || req.IsButton() {
		return false
	}
	if p := req.Spec.Parent(); p != nil && req.Command.Sub != "" && e.refusesBare(ctx, req, p) {
		return true
	}
	return e.refusesBare(ctx, req, req.Spec)
}

// refusesBare applies s's Bare rule to the bare command line of req.
func (e *Engine) refusesBare(ctx context.Context, req *Request, s *CommandSpec) bool {
	switch s.Bare {
	case BareInPrivate:
		return true
	case BareWhenExpected:
		ok, err := s.Expecting.Now(ctx, req)
		if err != nil {
			e.log.Error("ask whether a bare command is expected", "command", s.Invocation(), "chat", req.Chat.ID, "err", err)
			return true
		}
		return !ok
	}
	return false
}

func isASCIIWord(s string) bool {
	for _, r := range s {
		if r > 127 || !(r >= 'a' && r <= 'z' || r == '_' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func (e *Engine) addressedToUs(platform, name string) bool {
	p, ok := e.Platform(platform)
	if !ok {
		return false
	}
	id, ok := p.(Identified)
	return ok && strings.EqualFold(strings.TrimPrefix(id.BotUsername(), "@"), name)
}

// hasObservers reports a feature that would see m, not a command: an
// Observer if m has words, an ImageObserver if it has a picture.
func (e *Engine) hasObservers(m Message) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, f := range e.features {
		if _, ok := f.(Observer); ok && strings.TrimSpace(m.Text) != "" {
			return true
		}
		if _, ok := f.(ImageObserver); ok && m.Image != "" {
			return true
		}
	}
	return false
}

// observe shows a message that is no command to the Observers (if it has
// words) and, if it carries a picture, to the ImageObservers.
func (e *Engine) observe(ctx context.Context, req *Request) {
	e.mu.RLock()
	fs := slices.Clone(e.features)
	e.mu.RUnlock()
	words := strings.TrimSpace(req.Message.Text) != ""
	for _, f := range fs {
		if o, ok := f.(Observer); ok && words {
			if err := o.Observe(ctx, req); err != nil {
				e.reportError(ctx, req, f.Name(), err)
			}
		}
		if o, ok := f.(ImageObserver); ok && req.Message.Image != "" {
			if err := o.ObserveImage(ctx, req); err != nil {
				e.reportError(ctx, req, f.Name(), err)
			}
		}
	}
}

func (e *Engine) dispatch(ctx context.Context, req *Request) {
	spec := req.Spec
	if utf8.RuneCountInString(req.Message.Text) > MaxCommandRunes {
		_ = req.Reply(ctx, fmt.Sprintf("消息过长（最多 %d 字），未处理。", MaxCommandRunes))
		return
	}
	if spec.Handler == nil {
		_ = req.Reply(ctx, e.subUsage(req))
		return
	}
	if no := req.Refusal(spec); no != "" {
		needs := spec.Role.String()
		if spec.Audience != nil {
			needs += ", " + spec.Audience.Name
		}
		e.log.Info("command refused", "command", spec.Invocation(), "member", req.Caller.Member.ID, "needs", needs, "answer", no)
		if spec.Instead != "" {
			no += "\n" + spec.Instead
		}
		_ = req.Reply(ctx, no)
		return
	}
	if err := spec.Handler(ctx, req); err != nil {
		e.reportError(ctx, req, spec.Invocation(), err)
	}
}

// subUsage answers a command that is nothing but its sub-commands, named
// without one: the usage of those the caller may run here, or, if none, why
// the first may not be run.
func (e *Engine) subUsage(req *Request) string {
	var usage []string
	first := ""
	for i := range req.Spec.Subs {
		sub := &req.Spec.Subs[i]
		no := req.Refusal(sub)
		if no == "" {
			usage = append(usage, sub.Usage)
		} else if first == "" {
			first = no
		}
	}
	if len(usage) == 0 {
		return first
	}
	return "用法：" + strings.Join(usage, " | ")
}

func (e *Engine) reportError(ctx context.Context, req *Request, where string, err error) {
	var ue *UserError
	if errors.As(err, &ue) {
		if ue.Denied {
			e.log.Info("command refused", "command", where, "member", req.Caller.Member.ID, "by", "handler", "answer", ue.Text)
		}
		_ = req.Reply(ctx, ue.Text)
		return
	}
	e.log.Error("command failed", "command", where, "chat", req.Chat.ID, "err", err)
	_ = req.Reply(ctx, "处理命令时出错了，已记录。请稍后再试或联系管理员。")
}

// ChatEvent records that the bot joined, left, or a chat changed its id.
func (e *Engine) ChatEvent(ctx context.Context, ev ChatEvent) error {
	switch ev.Kind {
	case ChatJoined, ChatRenamed:
		c, err := e.store.EnsureChat(ctx, ev.Platform, ev.ChatID, ev.ChatKind, ev.Title)
		if err != nil {
			return fmt.Errorf("register chat %s: %w", ev.ChatID, err)
		}
		if !c.Active {
			if err := e.store.SetChatActive(ctx, c.ID, true); err != nil {
				return fmt.Errorf("reactivate chat %d: %w", c.ID, err)
			}
		}
		e.log.Info("chat registered", "platform", ev.Platform, "chat", ev.ChatID, "title", ev.Title)
	case ChatLeft:
		c, err := e.store.ChatByExternalID(ctx, ev.Platform, ev.ChatID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find chat %s: %w", ev.ChatID, err)
		}
		if err := e.store.SetChatActive(ctx, c.ID, false); err != nil {
			return fmt.Errorf("deactivate chat %d: %w", c.ID, err)
		}
		e.log.Info("chat deactivated: bot removed", "platform", ev.Platform, "chat", ev.ChatID)
	case ChatMigrated:
		if err := e.store.MigrateChat(ctx, ev.Platform, ev.ChatID, ev.NewID); err != nil {
			return fmt.Errorf("migrate chat %s to %s: %w", ev.ChatID, ev.NewID, err)
		}
		e.log.Info("chat migrated", "platform", ev.Platform, "from", ev.ChatID, "to", ev.NewID)
		e.PokeAll()
	}
	return nil
}

// Tick runs every feature's timed work once at the engine's clock.
// slowTick is how long a feature's tick may take before it is logged (at
// debug): a tick shares the one write connection with the check-ins.
const slowTick = 5 * time.Millisecond

func (e *Engine) Tick(ctx context.Context) {
	e.tickMu.Lock()
	defer e.tickMu.Unlock()
	e.mu.RLock()
	fs := slices.Clone(e.features)
	e.mu.RUnlock()
	now := e.Now()
	for _, f := range fs {
		t, ok := f.(Ticker)
		if !ok {
			continue
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					e.log.Error("tick panicked", "feature", f.Name(), "panic", p, "stack", string(debug.Stack()))
				}
			}()
			start := time.Now()
			if err := t.Tick(ctx, now); err != nil && ctx.Err() == nil {
				e.log.Error("tick failed", "feature", f.Name(), "err", err)
			}
			if d := time.Since(start); d >= slowTick {
				e.log.Debug("slow tick", "feature", f.Name(), "took", d)
			}
		}()
	}
}

// Run starts the platforms, their senders and the ticker. It returns when ctx
// is cancelled, or when every platform's input has ended (a piped terminal)
// and everything due has been delivered. Updates accepted and not yet
// handled when it was started (a crash, a stop) are handled first; on a
// stop, handlers in flight are finished and what waits behind them stays in
// the inbox for the next start.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.ReloadUnits(ctx); err != nil {
		return err
	}
	e.mu.RLock()
	plats := make([]Platform, 0, len(e.plats))
	for _, p := range e.plats {
		plats = append(plats, p)
	}
	e.mu.RUnlock()
	if len(plats) == 0 {
		return errors.New("no chat platform is enabled")
	}
	hctx := context.WithoutCancel(ctx)
	e.runCtx.Store(&hctx)
	for _, p := range plats {
		if err := e.recoverInbox(ctx, p.Name()); err != nil {
			return err
		}
	}
	stopInbox := context.AfterFunc(ctx, e.in.stop)
	defer stopInbox()

	sendCtx, stopSenders := context.WithCancel(context.WithoutCancel(ctx))
	var senders sync.WaitGroup
	for _, p := range plats {
		s := e.senders[p.Name()]
		senders.Go(func() { s.run(sendCtx) })
	}
	defer func() {
		stopSenders()
		senders.Wait()
	}()

	tickCtx, stopTicks := context.WithCancel(ctx)
	var ticks sync.WaitGroup
	ticks.Go(func() {
		// The first run waits for the updates sent while the bot was down,
		// so that, say, a check-in sent before a session's end is stored
		// before the tick closes the session.
		e.awaitBacklogs(tickCtx, plats)
		e.tickAfterHandled(tickCtx)
		t := time.NewTicker(e.tick)
		defer t.Stop()
		for {
			select {
			case <-tickCtx.Done():
				return
			case <-t.C:
				e.tickAfterHandled(tickCtx)
			}
		}
	})
	defer func() {
		stopTicks()
		ticks.Wait()
	}()

	errc := make(chan error, len(plats))
	for _, p := range plats {
		go func() {
			err := p.Run(ctx, e)
			if err != nil && ctx.Err() == nil {
				err = fmt.Errorf("platform %s: %w", p.Name(), err)
				e.log.Error("platform stopped; the others go on", "platform", p.Name(), "err", err)
			} else {
				err = nil
			}
			errc <- err
		}()
	}
	var runErr error
	for range plats {
		if err := <-errc; err != nil && runErr == nil {
			runErr = err
		}
	}
	if ctx.Err() == nil {
		e.in.idle(ctx) // every input ended: handle what was accepted
	}
	e.waitHandlers()
	e.Settle(context.WithoutCancel(ctx))
	if ctx.Err() == nil && runErr == nil {
		// Every input ended: deliver what is due, then stop.
		e.PokeAll()
		if err := e.Drain(ctx, plats); err != nil {
			return err
		}
	}
	return runErr
}

// tickWait bounds how long a timed run waits for updates accepted before it
// to be handled, and the first one for a platform's backlog.
const tickWait = 10 * time.Second

// awaitBacklogs waits, at most tickWait, until every platform that hands
// over what was sent while the bot was down has done so.
func (e *Engine) awaitBacklogs(ctx context.Context, plats []Platform) {
	t := time.NewTimer(tickWait)
	defer t.Stop()
	for _, p := range plats {
		b, ok := p.(Backlogged)
		if !ok {
			continue
		}
		select {
		case <-b.CaughtUp():
		case <-ctx.Done():
			return
		case <-t.C:
			e.log.Warn("timed work starts before the platform's backlog arrived", "platform", p.Name(), "waited", tickWait)
			return
		}
	}
}

// tickAfterHandled runs the features' timed work once every update accepted
// before now has been handled (at most tickWait later): a deadline is
// judged after the actions sent before it.
func (e *Engine) tickAfterHandled(ctx context.Context) {
	if !e.in.waitHandled(ctx, e.in.mark(), tickWait) && ctx.Err() == nil {
		e.log.Warn("timed work runs while earlier updates are still being handled", "waited", tickWait)
	}
	if ctx.Err() == nil {
		e.Tick(ctx)
	}
}

func (e *Engine) waitHandlers() {
	done := make(chan struct{})
	go func() { e.inflight.Wait(); e.in.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(e.grace):
		e.log.Warn("shutdown: handlers still running after grace period", "grace", e.grace)
	}
}

// Drain waits until no message due now is pending for the platforms.
func (e *Engine) Drain(ctx context.Context, plats []Platform) error {
	for {
		total := 0
		for _, p := range plats {
			n, err := e.store.PendingCount(ctx, p.Name(), e.now())
			if err != nil {
				return fmt.Errorf("drain outbox: %w", err)
			}
			total += n
		}
		if total == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ShanghaiLocation is China Standard Time. It falls back to a fixed +08:00
// zone where no tz database is installed (China has no daylight saving).
func ShanghaiLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Settle waits for the work features finish in the background (Settler).
func (e *Engine) Settle(ctx context.Context) {
	e.mu.RLock()
	fs := slices.Clone(e.features)
	e.mu.RUnlock()
	for _, f := range fs {
		if s, ok := f.(Settler); ok {
			if err := s.Settle(ctx); err != nil {
				e.log.Error("settle", "feature", f.Name(), "err", err)
			}
		}
	}
}

// Flush delivers, synchronously and without Run, every message that is due
// now and that the platforms accept, once the features' background work has
// settled. Tests and one-shot CLI commands use it.
func (e *Engine) Flush(ctx context.Context) {
	e.Settle(ctx)
	e.mu.RLock()
	ss := make([]*sender, 0, len(e.senders))
	for _, s := range e.senders {
		ss = append(ss, s)
	}
	e.mu.RUnlock()
	for _, s := range ss {
		for ctx.Err() == nil {
			before := s.dispatched.Load()
			again, _ := s.round(ctx)
			s.sends.Wait() // sends handed to goroutines finish first
			if !again && s.dispatched.Load() == before {
				break
			}
		}
	}
}

// ShanghaiLocationNow is the wall clock in China Standard Time.
func ShanghaiLocationNow() time.Time { return time.Now().In(ShanghaiLocation()) }
