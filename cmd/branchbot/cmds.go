package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/roster"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/terminal"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

func runBot(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "run", "")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	// Two arenas for SQLite's C heap instead of glibc's up to 16 on two
	// cores: less resident at the peak of a burst and idle after it, at no
	// cost seen in CPU (BenchmarkScaleMemory; README, Benchmarks).
	storage.LimitCArenas(2)
	// Large C allocations mapped on their own and unmapped when freed, not
	// left in the arenas after a burst (the peak row of the table).
	storage.MapLargeCAllocations(256 << 10)
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	cfg := app.Config
	unlock, err := lockDatabase(cfg.Database)
	if err != nil {
		return err
	}
	defer unlock()
	servePprof(ctx, app.Log)
	if cfg.Platforms.Terminal.Enabled {
		interactive := false
		if f, ok := env.Stdin.(*os.File); ok {
			interactive = isTerminal(f)
		}
		if err := app.Engine.AddPlatform(terminal.New(env.Stdin, env.Stdout, terminal.Options{BotName: cfg.Bot.Name, Prompt: interactive})); err != nil {
			return err
		}
		if interactive {
			fmt.Fprintln(env.Stdout, "branchbot 终端聊天：输入 /help 查看命令；:group <群名> 切换群，:as <姓名> 切换发言人，:private 私聊，Ctrl-D 退出。")
		}
	}
	if err := addPlatforms(ctx, app); err != nil {
		return err
	}
	if _, err := study.SeedContent(ctx, app.DB, cfg.Study.ContentDir, cfg.Location(), app.Engine.Units(), app.Engine.Now(), app.Log); err != nil {
		return err
	}
	setMemoryLimit(cfg, app.Log)
	upkeepCtx, stopUpkeep := context.WithCancel(ctx)
	upkeepDone := make(chan struct{})
	go func() {
		defer close(upkeepDone)
		app.DB.RunUpkeep(upkeepCtx, storage.Upkeep{Log: app.Log, Now: app.Engine.Now, OutboxRetention: cfg.Retention.OutboxRetention()})
	}()
	defer func() { stopUpkeep(); <-upkeepDone }()
	app.Log.Info("branchbot started", "version", version, "database", cfg.Database)
	runCtx, stopConsole := context.WithCancel(ctx)
	defer stopConsole()
	waitConsole, err := startConsole(runCtx, app)
	if err != nil {
		return err
	}
	err = app.Engine.Run(ctx)
	stopConsole()
	waitConsole()
	app.Log.Info("branchbot stopped")
	return err
}

// addPlatforms attaches the configured chat platforms besides the terminal.
// A platform that cannot connect (a wrong Telegram token) fails the start.
func addPlatforms(ctx context.Context, app *App) error {
	if tc := app.Config.Platforms.Telegram; tc.Enabled {
		tg, err := telegram.New(ctx, telegram.Options{
			Token: tc.Token, APIURL: tc.APIURL, PollTimeout: tc.PollTimeout,
			Webhook:  telegram.Webhook{Listen: tc.Webhook.Listen, URL: tc.Webhook.URL, Secret: tc.Webhook.Secret},
			Commands: app.Engine.Commands, Buttons: app.DB, Logger: app.Log,
		})
		if err != nil {
			return err
		}
		if err := app.Engine.AddPlatform(tg); err != nil {
			return err
		}
	}
	if err := addWeChat(app, os.Stderr); err != nil {
		return err
	}
	return addQQ(app)
}

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "migrate", "")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, db, err := openDB(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", cfg.Database)
	return nil
}

func runBackup(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "backup", " FILE")
	file, err := parseOneArg(fs, args, "backup needs exactly one FILE")
	if err != nil {
		return err
	}
	cfg, db, err := openDB(ctx, *cfgPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, file); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s\n", cfg.Database, file)
	return nil
}

func runRosterImport(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "roster import", " FILE")
	skipBad := fs.Bool("skip-bad", false, "import the good rows even if some rows are bad")
	removeMissing := fs.Bool("remove-missing", false, "take entries the file does not list off the roster (graduates); their history is kept")
	file, err := parseOneArg(fs, args, "roster import needs exactly one FILE (.csv or .xlsx)")
	if err != nil {
		return err
	}
	app, err := Open(ctx, env, *cfgPath)
	if err != nil {
		return err
	}
	defer app.Close()
	res, err := roster.ReadFile(file, app.Engine.Units())
	if err != nil {
		return fmt.Errorf("roster %s: %w", file, err)
	}
	for _, b := range res.Bad {
		fmt.Fprintln(env.Stderr, b.Error())
	}
	if len(res.Bad) > 0 && !*skipBad {
		return fmt.Errorf("%d bad row(s) in %s; nothing imported (fix them, or use --skip-bad)", len(res.Bad), file)
	}
	if *removeMissing && len(res.Bad) > 0 {
		// A bad row's person would be taken off the roster for a typo.
		return fmt.Errorf("%d bad row(s) in %s; --remove-missing needs every row good (fix them first)", len(res.Bad), file)
	}
	r, err := app.DB.SyncRoster(ctx, res.Entries, app.Engine.Now(), *removeMissing)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %s: %d added, %d updated, %d unchanged, %d bad row(s) skipped\n", file, r.Added, r.Updated, r.Unchanged, len(res.Bad))
	if len(r.Missing) == 0 {
		return nil
	}
	if *removeMissing {
		fmt.Fprintf(env.Stdout, "%d not in the file taken off the roster (their check-ins, relays and study records are kept):\n", r.Removed)
	} else {
		fmt.Fprintf(env.Stdout, "%d on the roster but not in the file, kept (use --remove-missing to take them off):\n", len(r.Missing))
	}
	for i, e := range r.Missing {
		if i == 20 {
			fmt.Fprintf(env.Stdout, "  … and %d more\n", len(r.Missing)-20)
			break
		}
		fmt.Fprintf(env.Stdout, "  %s %s (%s)\n", e.Number, e.Name, app.Engine.Units().Name(e.UnitID))
	}
	return nil
}

// parseOneArg parses args, which must hold exactly one positional argument;
// otherwise it prints the usage and returns need as the error.
func parseOneArg(fs *flag.FlagSet, args []string, need string) (string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", errors.New(need)
	}
	return pos[0], nil
}

// openDB loads the config and opens its database, for the subcommands that
// need neither the engine nor the roster seeded.
func openDB(ctx context.Context, cfgPath string) (*configs.Config, *storage.DB, error) {
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, err
	}
	return cfg, db, nil
}

func newCalendar(env *Env, cfgPath string) (*calendar.Calendar, *configs.Config, error) {
	cfg, err := configs.Load(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(env.Stderr, cfg.LogLevel, cfg.Location(), redactorFor(cfg))
	cal, err := calendar.New(calendar.Options{Location: cfg.Location(), HolidaysDir: cfg.Calendar.HolidaysDir, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("calendar.holidays_dir: %w", err)
	}
	return cal, cfg, nil
}

func runHolidays(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "holidays", " YEAR")
	arg, err := parseOneArg(fs, args, "holidays needs a YEAR, e.g. branchbot holidays 2026")
	if err != nil {
		return err
	}
	year, err := strconv.Atoi(arg)
	if err != nil || year < 1900 || year > 2200 {
		return fmt.Errorf("holidays: %q is not a year", arg)
	}
	cal, _, err := newCalendar(env, *cfgPath)
	if err != nil {
		return err
	}
	return cal.WriteYear(env.Stdout, year)
}

func runSLADeadline(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "sla deadline", " TIME")
	arg, err := parseOneArg(fs, args, "sla deadline needs a TIME, e.g. 2026-02-13T16:00:00+08:00")
	if err != nil {
		return err
	}
	cal, cfg, err := newCalendar(env, *cfgPath)
	if err != nil {
		return err
	}
	filed, err := cal.ParseTime(arg)
	if err != nil {
		return err
	}
	cob, err := configs.ParseClock(cfg.SLA.CloseOfBusiness)
	if err != nil {
		return fmt.Errorf("sla.close_of_business: %w", err)
	}
	fmt.Fprintln(env.Stdout, cal.Deadline(filed, cfg.SLA.BusinessDays, cob).Format("2006-01-02T15:04:05Z07:00"))
	return nil
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fmt.Fprintln(env.Stdout, "branchbot", version)
	return nil
}
