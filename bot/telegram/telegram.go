// Package telegram is branchbot's Telegram adapter on
// github.com/go-telegram/bot. It implements bot.Platform, bot.Editor,
// bot.CallbackAnswerer and bot.Identified.
//
// Updates arrive by long polling (the default) or on a webhook served by the
// adapter's own HTTP server. The adapter fetches getUpdates itself and reads
// each update of an answer on its own (receive.go): one it cannot decode (a
// type newer than the library) is logged with its id and skipped instead of
// failing the whole answer. It hands what it fetched to the engine's
// Receiver.Accept, which stores it, and confirms it to Telegram (the next
// poll's offset, or the webhook's 200) only then; the engine handles each
// chat's updates in order in the chat's lane (a group upgraded to a
// supergroup keeps its lane), chats at once, and a crash loses nothing
// confirmed. Commands are parsed by the engine: the adapter only finds where
// a command starts (Telegram's bot_command entity, in UTF-16 offsets) so
// that "大家好 /checkin" works.
//
// getMe is retried with backoff while Telegram cannot be reached (the other
// platforms serve meanwhile); a rejected token stops the start at once.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
	// ShutdownGrace bounds how long the webhook server waits for requests
	// in flight after Run's context is cancelled (default 30s).
	ShutdownGrace time.Duration
	// SendTimeout bounds one send or edit (default 15s). A send that times
	// out after its request was written has an unknown outcome
	// (bot.ErrOutcomeUnknown) and is not sent again.
	SendTimeout time.Duration
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
	buttons ButtonStore

	mu       sync.Mutex
	me       models.User       // from getMe
	aliases  map[string]string // supergroup id → lane of the group it was
	caughtUp chan struct{}     // closed once the backlog at start was accepted
	caught   bool

	cbMu      sync.Mutex
	callbacks map[string]bool // callback ids being handled → answered
}

// allowedUpdates are the update types the adapter handles.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember}

// New makes the adapter and asks Telegram who the bot is (getMe). A rejected
// token fails here with a message saying so; if Telegram cannot be reached,
// Run asks again with backoff.
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
	if o.SendTimeout <= 0 {
		o.SendTimeout = 15 * time.Second
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
		caughtUp:  make(chan struct{}),
	}
	if p.buttons == nil {
		p.buttons = newMemButtons()
	}
	b, err := tgbot.New(o.Token,
		tgbot.WithServerURL(o.APIURL),
		tgbot.WithHTTPClient(o.PollTimeout, p.client),
		tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(err error) { p.log.Warn("telegram client", "err", p.redact(err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	p.b = b
	if err := p.identify(ctx); err != nil {
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return nil, fatal.err
		}
		p.log.Warn("telegram cannot be reached at start; asking again in the background while the other platforms serve", "err", p.redact(err))
	}
	return p, nil
}

// fatalError is a start-up answer that retrying cannot change.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// identify calls getMe once.
func (p *Platform) identify(ctx context.Context) error {
	gctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	me, err := p.b.GetMe(gctx)
	switch {
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return &fatalError{errors.New("telegram: the bot token was rejected (getMe answered 401 Unauthorized); check platforms.telegram.token or BRANCHBOT_TELEGRAM_TOKEN against @BotFather")}
	case errors.Is(err, tgbot.ErrorNotFound):
		return &fatalError{fmt.Errorf("telegram: getMe answered 404 Not Found: the token is malformed or %s is not a Bot API server", p.o.APIURL)}
	case err != nil:
		return fmt.Errorf("telegram: getMe at %s: %w", p.o.APIURL, err)
	}
	if me.Username == "" {
		return &fatalError{errors.New("telegram: getMe returned no username: is this a bot token?")}
	}
	p.mu.Lock()
	p.me = *me
	p.mu.Unlock()
	p.log.Info("telegram bot identified", "username", me.Username, "id", me.ID)
	return nil
}

// identified reports whether getMe has answered.
func (p *Platform) identified() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.me.ID != 0
}

// awaitIdentity asks getMe with backoff (1s, doubling to 1m) until it
// answers, ctx ends, or the token is rejected.
func (p *Platform) awaitIdentity(ctx context.Context) error {
	wait := time.Second
	for !p.identified() {
		err := p.identify(ctx)
		if err == nil {
			return nil
		}
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if ctx.Err() != nil {
			return nil
		}
		p.log.Warn("telegram cannot be reached; asking again", "in", wait, "err", p.redact(err))
		if !bot.Sleep(ctx, wait) {
			return nil
		}
		wait = min(wait*2, time.Minute)
	}
	return nil
}

// redact takes the token out of an error's text.
func (p *Platform) redact(err error) string {
	return strings.ReplaceAll(err.Error(), p.o.Token, "***")
}

// Name implements bot.Platform.
func (p *Platform) Name() string { return Name }

// Capabilities implements bot.Platform. In privacy mode (the default) a bot
// sees only commands and messages addressed to it in groups; whether it is
// off in a given group (it takes effect only for groups joined after the
// change, and admins see everything) cannot be told from here.
func (p *Platform) Capabilities() bot.Capabilities {
	return bot.Capabilities{
		Buttons: true, Edit: true, Mentions: true, Private: true, Files: true, Images: true, ImageCaptions: true,
		CommandsOnly:    true,
		CommandsOnlyWhy: "Telegram 机器人默认开启隐私模式，只能看到命令和 @机器人 的消息",
		SeeAllHow:       "在 @BotFather 关闭 Group Privacy，或把机器人设为群管理员",
	}
}

// BotUsername implements bot.Identified: /cmd@ThisBot is ours, other
// @names are not.
func (p *Platform) BotUsername() string { return p.self().Username }

// BotID is the bot's Telegram user id.
func (p *Platform) BotID() int64 { return p.self().ID }

func (p *Platform) self() models.User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.me
}

// CaughtUp implements bot.Backlogged: closed once what Telegram kept while
// the bot was down has been accepted (a poll answered with less than a full
// batch), or, with a webhook, once it is set.
func (p *Platform) CaughtUp() <-chan struct{} { return p.caughtUp }

func (p *Platform) markCaughtUp() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.caught {
		p.caught = true
		close(p.caughtUp)
	}
}

// Probe implements bot.Prober: Telegram is reachable if getMe is answered
// at all (a refused token is a reachable server).
func (p *Platform) Probe(ctx context.Context) error {
	_, err := p.b.GetMe(ctx)
	if err == nil || errors.Is(err, tgbot.ErrorUnauthorized) || errors.Is(err, tgbot.ErrorNotFound) ||
		errors.Is(err, tgbot.ErrorForbidden) || errors.Is(err, tgbot.ErrorBadRequest) {
		return nil
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return nil
	}
	return err
}

// Run implements bot.Platform: it waits until getMe has answered (asking
// again with backoff), sets the command menu, then receives updates by long
// polling or webhook until ctx is cancelled.
func (p *Platform) Run(ctx context.Context, r bot.Receiver) error {
	if err := p.awaitIdentity(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	// The menu is published beside the first poll, not before it: members
	// waiting for an answer need the poll, the menu can follow.
	var menu sync.WaitGroup
	defer menu.Wait()
	menu.Go(func() { p.setCommands(ctx) })
	if p.o.Webhook.enabled() {
		return p.runWebhook(ctx, r)
	}
	return p.runPolling(ctx, r)
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
// Telegram posts one update at a time (max_connections 1), so update ids
// arrive in order and one delivered again is recognised by the engine's
// cursor.
func (p *Platform) runWebhook(ctx context.Context, r bot.Receiver) error {
	w := p.o.Webhook
	ln := w.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", w.Listen)
		if err != nil {
			return fmt.Errorf("telegram: webhook listen on %s: %w", w.Listen, err)
		}
	}
	srv := &http.Server{Handler: p.webhookHandler(ctx, r), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	err := p.retry(ctx, "set webhook", func() error {
		_, err := p.b.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: w.URL, SecretToken: w.Secret, AllowedUpdates: allowedUpdates, MaxConnections: 1})
		return err
	})
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("telegram: setWebhook %s: %w", w.URL, err)
	}
	p.log.Info("telegram webhook set", "url", w.URL, "listen", ln.Addr().String())
	p.markCaughtUp()
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
