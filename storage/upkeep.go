package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Upkeep is what a running bot does beside its work to keep its database
// and its memory from growing with time: it prunes the outbox (see
// PruneOutbox) off the hot path, gives memory back once the bot has gone
// quiet after a burst, and reports the lookup caches' hit rates (logged at
// debug, and kept in the database for `branchbot stats`).
type Upkeep struct {
	Log *slog.Logger
	// Now is the business clock the outbox's times are in.
	Now func() time.Time
	// OutboxRetention is how long a message that left the queue is kept;
	// zero keeps every message.
	OutboxRetention time.Duration
	// Every is how often it prunes and reports (default a minute).
	Every time.Duration
	// QuietAfter is how long without a write counts as quiet (default 10s).
	QuietAfter time.Duration
}

const (
	// pruneBudget bounds the messages deleted per round, and prunePause the
	// pause between two batches: a backlog of years is pruned over many
	// rounds, never in one long run.
	pruneBudget = 20_000
	prunePause  = 20 * time.Millisecond
)

// RunUpkeep runs u until ctx ends.
func (db *DB) RunUpkeep(ctx context.Context, u Upkeep) {
	if u.Log == nil {
		u.Log = slog.Default()
	}
	if u.Now == nil {
		u.Now = time.Now
	}
	if u.Every <= 0 {
		u.Every = time.Minute
	}
	if u.QuietAfter <= 0 {
		u.QuietAfter = 10 * time.Second
	}
	t := time.NewTicker(min(u.QuietAfter/2, u.Every))
	defer t.Stop()
	var (
		lastRound   time.Time
		seen        int64     = -1 // rows the writer had changed at the last look
		changedAt   time.Time      // when that count last moved
		released    int64     = -1 // the count memory was last given back at
		pruneFrom   int64
		lastLookups int64
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Quiet is no row changed for QuietAfter (a tick's empty write
		// transaction changes none).
		changes, err := db.writerChanges(ctx)
		if err != nil {
			continue
		}
		if changes != seen {
			seen, changedAt = changes, time.Now()
		}
		if changes != released && time.Since(changedAt) >= u.QuietAfter {
			released = changes
			db.releaseMemory(ctx, u.Log)
		}
		if time.Since(lastRound) < u.Every {
			continue
		}
		lastRound = time.Now()
		// Upkeep's own writes are not activity: memory released before
		// them stays released.
		quietBefore := released == seen
		if u.OutboxRetention > 0 {
			n, next, err := db.PruneOutbox(ctx, u.Now().Add(-u.OutboxRetention), pruneFrom, pruneBudget, prunePause)
			pruneFrom = next
			switch {
			case err != nil && ctx.Err() == nil:
				u.Log.Error("prune outbox", "err", err)
			case n > 0:
				u.Log.Info("outbox pruned", "messages", n, "older_than", u.OutboxRetention, "complete", next == 0)
			}
		}
		// Report the caches when they were used since the last report
		// (an idle bot writes nothing).
		snap := db.snapshot()
		if n := snap.lookups(); n != lastLookups {
			lastLookups = n
			snap.log(u.Log)
			if err := db.saveSnapshot(ctx, snap); err != nil && ctx.Err() == nil {
				u.Log.Warn("save runtime stats", "err", err)
			}
		}
		if quietBefore {
			if c, err := db.writerChanges(ctx); err == nil {
				seen, released = c, c
			}
		}
	}
}

// writerChanges is how many rows the write connection has changed since it
// was opened.
func (db *DB) writerChanges(ctx context.Context) (int64, error) {
	var n int64
	err := db.w.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&n)
	return n, err
}

// releaseMemory gives memory back after a burst: SQLite's page caches are
// emptied (the writer's shrunk, the idle readers closed with theirs) and
// the C and Go heaps return their free pages to the system. The next burst
// reads its pages again from the OS's file cache.
func (db *DB) releaseMemory(ctx context.Context, log *slog.Logger) {
	before := processRSS()
	db.closeIdleReaders()
	if _, err := db.w.ExecContext(ctx, `PRAGMA shrink_memory`); err != nil {
		log.Warn("release memory", "err", err)
		return
	}
	trimMalloc()
	debug.FreeOSMemory()
	log.Debug("memory released after a quiet moment", "rss_before", before, "rss_after", processRSS())
}

// closeIdleReaders closes the read connections no query is using, and
// their page caches with them (a reader in use closes when it is put back);
// the pool opens new ones as reads come.
func (db *DB) closeIdleReaders() {
	db.r.SetMaxIdleConns(0)
	db.r.SetMaxIdleConns(readReaders)
}

// RuntimeStats is a running bot's state as of At: its lookup caches and its
// memory, kept in the database for `branchbot stats`.
type RuntimeStats struct {
	At         time.Time
	Caches     []CacheStat
	RSS, HWM   int64 // bytes, 0 where unknown
	GoHeap     int64 // bytes of live and free Go heap held
	SQLiteHeap int64 // bytes SQLite holds
}

func (s RuntimeStats) lookups() int64 {
	var n int64
	for _, c := range s.Caches {
		n += c.Hits + c.Misses
	}
	return n
}

func (s RuntimeStats) log(log *slog.Logger) {
	attrs := []any{"rss", s.RSS, "hwm", s.HWM, "go_heap", s.GoHeap, "sqlite_heap", s.SQLiteHeap}
	for _, c := range s.Caches {
		attrs = append(attrs, c.Name, fmt.Sprintf("%d/%d entries, %.1f%% hits of %d, %d evicted", c.Entries, c.Limit, 100*c.HitRate(), c.Hits+c.Misses, c.Evictions))
	}
	log.Debug("caches and memory", attrs...)
}

func (db *DB) snapshot() RuntimeStats {
	s := RuntimeStats{At: time.Now(), Caches: db.CacheStats()}
	s.RSS, s.HWM = ProcessMemory(0)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(sample)
	for _, m := range sample {
		if m.Value.Kind() == metrics.KindUint64 {
			s.GoHeap += int64(m.Value.Uint64())
		}
	}
	s.SQLiteHeap, _ = sqliteMemory()
	return s
}

func (db *DB) saveSnapshot(ctx context.Context, s RuntimeStats) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO runtime_stats(name, value, at) VALUES ('running', ?, ?)
		ON CONFLICT(name) DO UPDATE SET value = excluded.value, at = excluded.at`, string(b), ms(s.At))
	return err
}

// LastRuntimeStats is what the running bot last saved (ok false if it never
// did).
func (db *DB) LastRuntimeStats(ctx context.Context) (RuntimeStats, bool, error) {
	var v string
	var s RuntimeStats
	err := db.r.QueryRowContext(ctx, `SELECT value FROM runtime_stats WHERE name = 'running'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read runtime stats: %w", err)
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, false, fmt.Errorf("read runtime stats: %w", err)
	}
	return s, true, nil
}

// ProcessMemory reads the resident memory of process pid (0: this one) and
// its high-water mark, in bytes, from /proc (Linux; zero elsewhere).
func ProcessMemory(pid int) (rss, hwm int64) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		}
	}
	return rss, hwm
}

func processRSS() int64 { r, _ := ProcessMemory(0); return r }
