package broadcast_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands/broadcast"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

const (
	benchGroups = 2000
	benchGlobal = 200 // messages per second, whole platform
)

// BenchmarkBroadcast sends one broadcast to 2,000 groups through the real
// outbox sender (engine.Run) with a global limit of 200 messages/s and 20
// per minute per chat, against the in-memory platform watching both limits.
// The theoretical minimum is 2,000 ÷ 200/s = 10 s; it reports efficiency
// (minimum ÷ actual) and the platform's count of limit violations.
func BenchmarkBroadcast(b *testing.B) {
	global := bot.RateLimit{Count: benchGlobal, Per: time.Second}
	perChat := bot.RateLimit{Count: 20, Per: time.Minute}
	minimum := time.Duration(benchGroups/benchGlobal) * time.Second
	var effSum float64
	violations := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx, cancel := context.WithCancel(context.Background())
		e, p, done := benchEngine(b, ctx, bot.Limits{Global: global, PerChat: []bot.RateLimit{perChat}})
		p.WatchLimits(global, perChat)
		// The admin (linked by the config's preset) broadcasts to 组织部
		// (no review chain).
		b.StartTimer()
		start := time.Now()
		say(p, "/broadcast 组织部 请各支部于本周五前报送党员信息统计表。")
		var first, last time.Time
		waitFor(b, p, func(s []memchat.Sent) bool {
			n := 0
			for _, m := range s {
				if strings.HasPrefix(m.ChatID, "g-") {
					n++
					last = later(last, m.At)
					if first.IsZero() || m.At.Before(first) {
						first = m.At
					}
				}
			}
			return n >= benchGroups
		})
		b.StopTimer()
		took := last.Sub(start)
		eff := minimum.Seconds() / took.Seconds()
		effSum += eff
		violations += p.Violations()
		fmt.Printf("BenchmarkBroadcast: %d groups in %.2fs (first message after %dms); theoretical minimum %.2fs; ratio %.3f; violations %d\n",
			benchGroups, took.Seconds(), first.Sub(start).Milliseconds(), minimum.Seconds(), took.Seconds()/minimum.Seconds(), p.Violations())
		cancel()
		<-done
		_ = e
	}
	b.ReportMetric(effSum/float64(b.N), "efficiency")
	b.ReportMetric(float64(violations)/float64(b.N), "violations")
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func say(p *memchat.Platform, text string) {
	p.Deliver(bot.Message{ChatID: "private:王老师", ChatKind: bot.Private, ChatTitle: "王老师", SenderID: "王老师", SenderName: "王老师", Text: text})
}

func waitFor(b *testing.B, p *memchat.Platform, cond func([]memchat.Sent) bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for !cond(p.Sent()) {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// benchEngine opens a database with 2,000 groups bound to 组织部 and runs
// an engine with the broadcast feature on the in-memory platform.
func benchEngine(b *testing.B, ctx context.Context, limits bot.Limits) (*bot.Engine, *memchat.Platform, <-chan struct{}) {
	cfg, err := configs.Default()
	if err != nil {
		b.Fatal(err)
	}
	cfg.Roster.SeedFile = commandtest.RepoPath(b, "configs/demo_roster.csv")
	cfg.Roster.Link.Preset = []string{"memchat:王老师=T0001"}
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	units, err := core.Setup(ctx, db, cfg)
	if err != nil {
		b.Fatal(err)
	}
	org, _ := units.ByName("组织部")
	for i := range benchGroups {
		c, err := db.EnsureChat(ctx, "memchat", fmt.Sprintf("g-%04d", i), bot.Group, fmt.Sprintf("群%04d", i))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.BindChat(ctx, c.ID, org.ID); err != nil {
			b.Fatal(err)
		}
	}
	e, err := bot.New(bot.Options{Store: db, Admins: cfg.Admins, Limits: map[string]bot.Limits{"memchat": limits},
		TickEvery: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	p := memchat.New("memchat", bot.Capabilities{Private: true})
	e.AddPlatform(p)
	if err := e.Register(core.New(e, db, core.Options{})); err != nil {
		b.Fatal(err)
	}
	if err := e.Register(broadcast.New(e, db, cfg, nil)); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Run(ctx); err != nil && ctx.Err() == nil {
			b.Error(err)
		}
	}()
	return e, p, done
}
