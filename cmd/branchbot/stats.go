package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// runStats prints the database's size table by table and what the running
// bot last reported about its caches and memory. It only reads the file, so
// it can run beside the bot.
func runStats(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "stats", "")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := configs.Load(*cfgPath)
	if err != nil {
		return err
	}
	db, err := storage.OpenReadOnly(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	sz, err := db.Sizes(ctx)
	if err != nil {
		return err
	}
	writeSizes(env.Stdout, sz)
	rs, ok, err := db.LastRuntimeStats(ctx)
	if err != nil {
		return err
	}
	if ok {
		writeRuntime(env.Stdout, rs, time.Now())
	} else {
		fmt.Fprintln(env.Stdout, "\nno bot has reported its caches yet (a running bot does so once a minute while it is busy)")
	}
	return nil
}

func writeSizes(w io.Writer, sz storage.FileSize) {
	fmt.Fprintf(w, "database %s: %s in %d pages of %d bytes; %d free pages (%s a VACUUM would give back); WAL %s\n",
		sz.Path, bytesText(sz.Pages*sz.PageSize), sz.Pages, sz.PageSize, sz.FreePages, bytesText(sz.FreePages*sz.PageSize), bytesText(sz.WALBytes))
	fmt.Fprintf(w, "%-22s %12s %10s %10s %10s\n", "table", "rows", "table", "indexes", "total")
	for _, t := range sz.Tables {
		fmt.Fprintf(w, "%-22s %12d %10s %10s %10s\n", t.Table, t.Rows, bytesText(t.TablePages*sz.PageSize),
			bytesText(t.IndexPages*sz.PageSize), bytesText((t.TablePages+t.IndexPages)*sz.PageSize))
	}
	if len(sz.Unread) > 0 {
		fmt.Fprintf(w, "not counted (still only in the WAL, or moved by a checkpoint while read): %s\n", strings.Join(sz.Unread, ", "))
	}
}

func writeRuntime(w io.Writer, s storage.RuntimeStats, now time.Time) {
	fmt.Fprintf(w, "\nthe running bot, as of %s (%s ago):\n", s.At.Format("2006-01-02 15:04:05"), now.Sub(s.At).Round(time.Second))
	fmt.Fprintf(w, "  memory: RSS %s (highest %s), Go heap %s, SQLite %s\n", bytesText(s.RSS), bytesText(s.HWM), bytesText(s.GoHeap), bytesText(s.SQLiteHeap))
	for _, c := range s.Caches {
		fmt.Fprintf(w, "  cache %-8s %6d of %6d entries, %5.1f%% hits of %d lookups, %d evicted\n", c.Name, c.Entries, c.Limit, 100*c.HitRate(), c.Hits+c.Misses, c.Evictions)
	}
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// runVacuum rewrites the database file without its free pages. It takes the
// bot's lock, so it refuses to run beside a running bot.
func runVacuum(ctx context.Context, env *Env, args []string) error {
	fs, cfgPath := flags(env, "vacuum", "")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := configs.Load(*cfgPath)
	if err != nil {
		return err
	}
	unlock, err := lockDatabase(cfg.Database)
	if err != nil {
		return fmt.Errorf("%w (stop it first: a VACUUM holds the database for as long as it takes)", err)
	}
	defer unlock()
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	before := fileSize(cfg.Database)
	if err := db.Vacuum(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "vacuumed %s: %s → %s\n", cfg.Database, bytesText(before), bytesText(fileSize(cfg.Database)))
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
