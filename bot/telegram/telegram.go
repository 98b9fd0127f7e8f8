// Package telegram is branchbot's Telegram adapter on
// github.com/go-telegram/bot. It implements bot.Platform, bot.Editor,
// bot.CallbackAnswerer and bot.Identified.
//
// Updates arrive by long polling (the default) or on a webhook served by the
// adapter's own HTTP server. Each update is handled in its chat's lane: one
// goroutine per chat with work, so a chat's messages are handled in order
// while chats do not wait for each other. Commands are parsed by the engine:
// the adapter only finds where a command starts (Telegram's bot_command
// entity, in UTF-16 offsets) so that "大家好 /checkin" works. On shutdown the
// adapter stops fetching, hands every fetched update to its lane and waits
// for the lanes, so a handler in flight finishes and no confirmed update is
// dropped.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/branchbot/branchbot/bot"
)

// Name is the platform's name in config and storage.
const Name = "telegram"

// DefaultAPIURL is the official Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Options configure the adapter.
type Options struct {
	Token  string
	APIURL string // default DefaultAPIURL; a self-hosted telegram-bot-api or a test server
	// PollTimeout is the long-poll timeout (default 30s, at least 2s).
	PollTimeout time.Duration
	// Webhook switches from long polling to a webhook when URL is set.
	Webhook Webhook
	// Commands lists the commands for the menu (setMyCommands), usually
	// engine.Commands. Nil: no menu is set.
	Commands func() []bot.CommandSpec
	// Buttons keeps button data longer than Telegram's 64 bytes under short
	// tokens (storage.DB implements it). Nil: kept in memory only.
	Buttons ButtonStore
	Logger  *slog.Logger
	// HTTPClient makes the API calls; its Timeout must exceed PollTimeout.
	// Default: a client with a timeout of PollTimeout+15s.
	HTTPClient *http.Client
	// ShutdownGrace bounds how long Run waits for handlers in flight after
	// its context is cancelled (default 30s).
	ShutdownGrace time.Duration
	// Now is the clock for button tokens' creation times (default time.Now).
	Now func() time.Time
}

// Webhook configures webhook mode.
type Webhook struct {
	Listen string // address to serve on, e.g. ":8443"
	URL    string // public URL Telegram posts to
	Secret string // X-Telegram-Bot-Api-Secret-Token; requests without it get 401
	// Listener, if set, is served instead of listening on Listen (tests).
	Listener net.Listener
}

func (w Webhook) enabled() bool { return w.URL != "" }

// Platform is the Telegram adapter.
type Platform struct {
	o       Options
	log     *slog.Logger
	b       *tgbot.Bot
	client  *apiClient
	me      models.User
	buttons ButtonStore
	lanes   lanes

	mu      sync.Mutex
	recv    bot.Receiver
	baseCtx context.Context   // handlers' context: never cancelled by shutdown
	routed  int64             // the highest update id handed to a lane
	aliases map[string]string // supergroup id → lane of the group it was

	cbMu      sync.Mutex
	callbacks map[string]bool // callback ids being handled → answered

	partsMu sync.Mutex
	parts   map[string]int // long texts cut short by a failed piece → pieces Telegram took
}

// allowedUpdates are the update types the adapter handles.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember}

// New connects to the Bot API and calls getMe. A rejected token fails here
// with a message saying so.
func New(ctx context.Context, o Options) (*Platform, error) {
	if strings.TrimSpace(o.Token) == "" {
		return nil, errors.New("telegram: no bot token (platforms.telegram.token or BRANCHBOT_TELEGRAM_TOKEN)")
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	o.APIURL = strings.TrimRight(o.APIURL, "/")
	if o.PollTimeout == 0 {
		o.PollTimeout = 30 * time.Second
	}
	if o.PollTimeout < 2*time.Second {
		return nil, fmt.Errorf("telegram: poll timeout %s is below 2s", o.PollTimeout)
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: o.PollTimeout + 15*time.Second}
	}
	p := &Platform{
		o:         o,
		log:       o.Logger.With("platform", Name),
		client:    newAPIClient(hc),
		buttons:   o.Buttons,
		callbacks: map[string]bool{},
		parts:     map[string]int{},
		baseCtx:   context.Background(),
	}
	p.lanes.log = p.log
	if p.buttons == nil {
		p.buttons = newMemButtons()
	}
	b, err := tgbot.New(o.Token,
		tgbot.WithServerURL(o.APIURL),
		tgbot.WithHTTPClient(o.PollTimeout, p.client),
		tgbot.WithSkipGetMe(),
		tgbot.WithDefaultHandler(p.onUpdate),
		tgbot.WithNotAsyncHandlers(), // onUpdate only hands the update to a lane
		tgbot.WithWorkers(1),
		tgbot.WithAllowedUpdates(allowedUpdates),
		tgbot.WithErrorsHandler(func(err error) { p.log.Warn("telegram client", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	p.b = b
	gctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	me, err := b.GetMe(gctx)
	switch {
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return nil, errors.New("telegram: the bot token was rejected (getMe answered 401 Unauthorized); check platforms.telegram.token or BRANCHBOT_TELEGRAM_TOKEN against @BotFather")
	case errors.Is(err, tgbot.ErrorNotFound):
		return nil, fmt.Errorf("telegram: getMe answered 404 Not Found: the token is malformed or %s is not a Bot API server", o.APIURL)
	case err != nil:
		return nil, fmt.Errorf("telegram: getMe at %s: %w", o.APIURL, err)
	}
	if me.Username == "" {
		return nil, errors.New("telegram: getMe returned no username: is this a bot token?")
	}
	p.me = *me
	p.log.Info("telegram bot identified", "username", me.Username, "id", me.ID)
	return p, nil
}

// Name implements bot.Platform.
func (p *Platform) Name() string { return Name }

// Capabilities implements bot.Platform. In privacy mode (the default) a bot
// sees only commands and messages addressed to it in groups; whether it is
// off in a given group (it takes effect only for groups joined after the
// change, and admins see everything) cannot be told from here.
func (p *Platform) Capabilities() bot.Capabilities {
	return bot.Capabilities{
		Buttons: true, Edit: true, Mentions: true, Private: true, Files: true,
		CommandsOnly:    true,
		CommandsOnlyWhy: "Telegram 机器人默认开启隐私模式，只能看到命令和 @机器人 的消息",
		SeeAllHow:       "在 @BotFather 关闭 Group Privacy，或把机器人设为群管理员",
	}
}

// BotUsername implements bot.Identified: /cmd@ThisBot is ours, other
// @names are not.
func (p *Platform) BotUsername() string { return p.me.Username }

// BotID is the bot's Telegram user id.
func (p *Platform) BotID() int64 { return p.me.ID }

// Run implements bot.Platform: it sets the command menu, then receives
// updates by long polling or webhook until ctx is cancelled, and returns once
// every handler it started has finished (at most ShutdownGrace later).
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	p.mu.Lock()
	p.recv = r
	p.baseCtx = context.WithoutCancel(ctx)
	p.mu.Unlock()

	p.setCommands(ctx)
	var err error
	if p.o.Webhook.enabled() {
		err = p.runWebhook(ctx)
	} else {
		err = p.runPolling(ctx)
	}
	if !p.lanes.wait(p.o.ShutdownGrace) {
		p.log.Warn("shutdown: telegram handlers still running after grace period", "grace", p.o.ShutdownGrace)
		return err // what is still running stays unconfirmed and comes again
	}
	if !p.o.Webhook.enabled() {
		p.confirm(context.WithoutCancel(ctx))
	}
	return err
}

// confirm tells Telegram that every update handled so far is done, so that
// the next start does not fetch the last batch again. (The library confirms
// a batch only with its next poll, which a shutdown never makes.)
func (p *Platform) confirm(ctx context.Context) {
	routed := p.routedID()
	if routed == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	form := url.Values{"offset": {strconv.FormatInt(routed+1, 10)}, "limit": {"1"}, "timeout": {"0"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.o.APIURL+"/bot"+p.o.Token+"/getUpdates", strings.NewReader(form.Encode()))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client.c.Do(req)
	if err != nil {
		p.log.Warn("shutdown: confirm handled updates", "err", strings.ReplaceAll(err.Error(), p.o.Token, "***"))
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// setCommands publishes the command menu: every command for the default
// scope, and per chat type the commands usable there. Telegram accepts only
// [a-z0-9_] names, so Chinese aliases are not listed.
func (p *Platform) setCommands(ctx context.Context) {
	if p.o.Commands == nil {
		return
	}
	specs := p.o.Commands()
	scopes := []struct {
		scope models.BotCommandScope
		name  string
		where func(bot.Where) bool
	}{
		{nil, "default", func(bot.Where) bool { return true }},
		{&models.BotCommandScopeAllPrivateChats{}, "private chats", func(w bot.Where) bool { return w != bot.GroupOnly }},
		{&models.BotCommandScopeAllGroupChats{}, "group chats", func(w bot.Where) bool { return w != bot.PrivateOnly }},
	}
	for _, sc := range scopes {
		cmds := MenuCommands(specs, sc.where)
		_, err := p.b.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, Scope: sc.scope})
		if err != nil {
			p.log.Error("set command menu", "scope", sc.name, "err", err)
			continue
		}
		p.log.Info("command menu set", "scope", sc.name, "commands", len(cmds))
	}
}

// MenuCommands turns command specs into Telegram's menu: English names only
// (Telegram allows [a-z0-9_]{1,32}), the Chinese summary as description, at
// most 100 entries. A command is followed by the flat names of its
// sub-commands that Telegram accepts (/checkin_open), which reach them
// directly; Chinese aliases and sub-command words cannot be menu entries.
// Another platform's own commands are left out. The specs are those the
// engine registered (Engine.Commands), whose sub-commands carry the place
// and platform they have.
func MenuCommands(specs []bot.CommandSpec, keep func(bot.Where) bool) []models.BotCommand {
	out := []models.BotCommand{}
	add := func(name string, s bot.CommandSpec) bool {
		if !validCommandName(name) || !s.AppliesTo(Name) || (keep != nil && !keep(s.Where)) {
			return true
		}
		desc := strings.TrimSpace(s.Summary)
		if desc == "" {
			desc = strings.TrimSpace(s.Usage)
		}
		if desc == "" {
			desc = "/" + name
		}
		out = append(out, models.BotCommand{Command: name, Description: truncateUTF16(desc, 256)})
		return len(out) < 100
	}
	for _, s := range specs {
		if !add(s.Name, s) {
			return out
		}
		for _, sub := range s.Subs {
			for _, n := range sub.Flat {
				if !add(n, sub) {
					return out
				}
			}
		}
	}
	return out
}

func validCommandName(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// runPolling receives updates with getUpdates until ctx is cancelled. The
// client is stopped from fetching before its own context ends, so every
// update it fetched (and thereby will confirm) reaches a lane.
func (p *Platform) runPolling(ctx context.Context) error {
	// A webhook left over from an earlier run would make getUpdates fail
	// with 409 Conflict.
	if err := p.retry(ctx, "delete webhook before polling", func() error {
		_, err := p.b.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	}); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	libCtx, stopLib := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLib()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.b.Start(libCtx)
	}()
	p.log.Info("telegram long polling started", "timeout", p.o.PollTimeout)
	<-ctx.Done()
	p.client.stopPolling()
	// Wait until every update fetched so far has been handed to a lane.
	deadline := time.Now().Add(5 * time.Second)
	for p.routedID() < p.client.fetchedID() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r, f := p.routedID(), p.client.fetchedID(); r < f {
		p.log.Warn("shutdown: fetched updates not handled", "handled_up_to", r, "fetched_up_to", f)
	}
	stopLib()
	<-done
	return nil
}

func (p *Platform) routedID() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.routed
}

// retry runs a start-up call until it succeeds, ctx ends, or Telegram
// refuses it for good (400, 401, 404); network trouble and 5xx are retried
// with backoff so a bot started before the network is up still comes up.
func (p *Platform) retry(ctx context.Context, what string, call func() error) error {
	wait := time.Second
	for {
		err := call()
		switch {
		case err == nil, ctx.Err() != nil:
			return nil
		case errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound):
			return fmt.Errorf("telegram: %s: %w", what, err)
		}
		var tooMany *tgbot.TooManyRequestsError
		if errors.As(err, &tooMany) {
			wait = max(wait, time.Duration(tooMany.RetryAfter)*time.Second)
		}
		p.log.Warn("telegram call failed; retrying", "call", what, "in", wait, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 30*time.Second)
	}
}

// runWebhook registers the webhook and serves it until ctx is cancelled.
func (p *Platform) runWebhook(ctx context.Context) error {
	w := p.o.Webhook
	ln := w.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", w.Listen)
		if err != nil {
			return fmt.Errorf("telegram: webhook listen on %s: %w", w.Listen, err)
		}
	}
	srv := &http.Server{Handler: p.webhookHandler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	err := p.retry(ctx, "set webhook", func() error {
		_, err := p.b.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: w.URL, SecretToken: w.Secret, AllowedUpdates: allowedUpdates})
		return err
	})
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("telegram: setWebhook %s: %w", w.URL, err)
	}
	p.log.Info("telegram webhook set", "url", w.URL, "listen", ln.Addr().String())
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("telegram: webhook server: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.o.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		p.log.Warn("webhook server shutdown", "err", err)
	}
	return nil
}
