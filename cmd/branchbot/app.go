package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/redact"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/terminal"
	"github.com/branchbot/branchbot/bot/wechat"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// App is the wired program: config, database, calendar, engine and features.
type App struct {
	Config   *configs.Config
	Log      *slog.Logger
	DB       *storage.DB
	Calendar *calendar.Calendar
	Engine   *bot.Engine
	// Features are the registered features (the web console calls them).
	Features []bot.Feature
}

// Open loads the config and opens everything but the platforms.
func Open(ctx context.Context, env *Env, configPath string) (*App, error) {
	cfg, err := configs.Load(configPath)
	if err != nil {
		return nil, err
	}
	red := redactorFor(cfg)
	log := newLogger(env.Stderr, cfg.LogLevel, cfg.Location(), red)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	db, err := storage.OpenWith(ctx, cfg.Database, dbOptions(cfg))
	if err != nil {
		return nil, err
	}
	app := &App{Config: cfg, Log: log, DB: db}
	if _, err := core.Setup(ctx, db, cfg); err != nil {
		db.Close()
		return nil, err
	}
	loc := cfg.Location()
	app.Engine, err = bot.New(bot.Options{
		Store: db, Logger: log, Location: loc, Admins: cfg.Admins, TickEvery: cfg.Tick, MaxMessageAge: cfg.MessageAgeLimit, Redactor: red,
		Limits: map[string]bot.Limits{
			terminal.Name: limits(cfg.Platforms.Terminal.Limits),
			telegram.Name: limits(cfg.Platforms.Telegram.Limits),
			wechat.Name:   limits(cfg.Platforms.WeChat.Limits),
			qq.Name:       limits(cfg.Platforms.QQ.Limits),
		},
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	app.Calendar, err = calendar.New(calendar.Options{
		Location: loc, HolidaysDir: cfg.Calendar.HolidaysDir, Logger: log,
		OnMissingYear: func(year int) {
			log.Warn("official holiday schedule missing; using provisional statutory holidays", "year", year)
		},
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("calendar.holidays_dir: %w", err)
	}
	app.Features, err = commands.Register(commands.Deps{Engine: app.Engine, DB: db, Config: cfg, Calendar: app.Calendar, Log: log})
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := app.Engine.ReloadUnits(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return app, nil
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// dbOptions are the database's memory budgets from the config (validated
// when it was loaded).
func dbOptions(cfg *configs.Config) storage.Options {
	m := cfg.Memory
	w, _ := configs.ParseSize(m.WriterCache)
	r, _ := configs.ParseSize(m.ReaderCache)
	return storage.Options{
		Cache:       storage.CacheLimits{Chats: m.CachedChats, Members: m.CachedMembers, Roster: m.CachedRoster},
		WriterCache: w, ReaderCache: r,
	}
}

// setMemoryLimit applies memory.limit as the Go runtime's soft limit, unless
// GOMEMLIMIT set one already. The limit makes the collector work harder as
// the heap nears it; it bounds nothing by itself (the caches and queues
// do), and covers only Go's memory, not SQLite's.
func setMemoryLimit(cfg *configs.Config, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	n, err := cfg.Memory.LimitBytes()
	if err != nil || n == 0 {
		return
	}
	debug.SetMemoryLimit(n)
	log.Debug("memory limit set", "bytes", n)
}

func limits(l configs.LimitsConfig) bot.Limits {
	out := bot.Limits{MinGap: l.MinInterval, MaxGap: l.MaxInterval, Merge: l.Merge, Concurrency: l.Concurrency}
	if l.GlobalPerSecond > 0 {
		out.Global = bot.RateLimit{Count: l.GlobalPerSecond, Per: time.Second}
	}
	if l.GlobalPerMinute > 0 {
		out.Global = bot.RateLimit{Count: l.GlobalPerMinute, Per: time.Minute}
	}
	if l.PerChatPerSecond > 0 {
		out.PerChat = append(out.PerChat, bot.RateLimit{Count: l.PerChatPerSecond, Per: time.Second})
	}
	if l.PerChatPerMinute > 0 {
		out.PerChat = append(out.PerChat, bot.RateLimit{Count: l.PerChatPerMinute, Per: time.Minute})
	}
	return out
}

// newLogger logs text lines to w at level, with timestamps in loc (the
// configured time zone, as every other time the bot shows), not the
// machine's zone, and with every credential masked (red: the
// configuration's secrets, and whatever looks like a credential).
func newLogger(w io.Writer, level string, loc *time.Location, red *redact.Redactor) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(red.Handler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
			a.Value = slog.TimeValue(a.Value.Time().In(loc))
		}
		return a
	}})))
}

// redactorFor masks the configuration's secrets wherever they would appear.
func redactorFor(cfg *configs.Config) *redact.Redactor {
	return redact.New(cfg.Platforms.Telegram.Token, cfg.Platforms.Telegram.Webhook.Secret, cfg.LLM.APIKey, cfg.Platforms.QQ.AccessToken)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
