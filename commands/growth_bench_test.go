package commands_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/bot/memchat"
	"github.com/branchbot/branchbot/commands"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

// The growth benchmark: what a command costs as history piles up. A
// university of 20,000 members (400 groups of 50, every member linked) with
// 1, 10 and 100 years' worth of a year's history (check-ins, relays,
// tickets, broadcasts, the outbox, pushes; see storage.YearOfHistory),
// generated directly in SQL and cached under the system's temp folder, keyed
// by storage.FixtureVersion (delete branchbot-growth-v* there to make them
// anew; 100× takes a few minutes and some 1.5 GB).
//
//	go test -run XXX -bench Growth -benchtime 1x -timeout 60m ./commands/
//
// BRANCHBOT_GROWTH_SCALES picks the scales (default "1,10,100"),
// BRANCHBOT_GROWTH_DIR the folder of the cached databases.
const (
	growthGroups  = 400
	growthPer     = 50
	growthN       = 2400 // messages per command, over growthRounds rounds
	growthRounds  = 5
	growthTicks   = 40 // per round
	growthPushCfg = "fixture-daily"
)

// growthEnd is the end of the generated history and the engine's clock: a
// Monday morning.
var growthEnd = time.Date(2026, 11, 23, 9, 30, 0, 0, commandtest.Shanghai)

func growthUnitName(g int) string { return fmt.Sprintf("学院%02d第%03d支部", g/100+1, g%100+1) }

// growthConfig is the default config with the university's units and one
// daily push to all of it.
func growthConfig(b *testing.B) *configs.Config {
	cfg, err := configs.Default()
	if err != nil {
		b.Fatal(err)
	}
	root := configs.UnitConfig{Name: "校党委"}
	for c := range (growthGroups + 99) / 100 {
		college := configs.UnitConfig{Name: fmt.Sprintf("学院%02d党委", c+1)}
		for g := c * 100; g < min(growthGroups, (c+1)*100); g++ {
			college.Children = append(college.Children, configs.UnitConfig{Name: growthUnitName(g)})
		}
		root.Children = append(root.Children, college)
	}
	cfg.Units = []configs.UnitConfig{{Name: "学生工作部"}, {Name: "组织部"}, root}
	cfg.Roster.SeedFile = ""
	cfg.Study.Tags = nil
	cfg.Study.Pushes = []configs.PushConfig{{Name: growthPushCfg, Text: "每日一学：学习党章第一章。", Units: []string{"校党委"}, Cron: "0 8 * * *", Rule: "workdays"}}
	cfg.Exports.Dir = b.TempDir()
	return cfg
}

// growthDB returns a fresh copy of the database with scale years of
// history, generating the cached original first if needed.
func growthDB(b *testing.B, cfg *configs.Config, scale int) string {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("branchbot-growth-v%d", storage.FixtureVersion))
	if d := os.Getenv("BRANCHBOT_GROWTH_DIR"); d != "" {
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	cached := filepath.Join(dir, fmt.Sprintf("history-%dx.db", scale))
	if _, err := os.Stat(cached); err != nil {
		t0 := time.Now()
		tmp := cached + ".tmp"
		os.Remove(tmp)
		db, err := storage.Open(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		tree, err := core.Setup(ctx, db, cfg)
		if err != nil {
			b.Fatal(err)
		}
		var units []int64
		for g := range growthGroups {
			u, _ := tree.ByName(growthUnitName(g))
			units = append(units, u.ID)
		}
		start := growthEnd.AddDate(-scale, 0, -2)
		if err := db.Populate(ctx, storage.Population{Platform: "memchat", Units: units, PerUnit: growthPer, Linked: growthPer, Chats: true, Private: true, At: start}); err != nil {
			b.Fatal(err)
		}
		dept, _ := tree.ByName("学生工作部")
		org, _ := tree.ByName("组织部")
		h := storage.YearOfHistory("memchat", growthEnd.Add(-time.Hour), growthPer, []int64{dept.ID, org.ID})
		h.Years, h.PushName = scale, growthPushCfg
		if err := db.GenerateHistory(ctx, h); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		if fi, err := os.Stat(tmp + "-wal"); err == nil && fi.Size() > 0 {
			b.Fatalf("%s-wal holds %d bytes after closing: the file alone is not the database", tmp, fi.Size())
		}
		if err := os.Rename(tmp, cached); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(cached)
		fmt.Printf("  generated %dx history in %.0f s (%s, %d MB)\n", scale, time.Since(t0).Seconds(), cached, fi.Size()>>20)
	}
	// Newer migrations are applied to the cached copy once.
	db, err := storage.Open(ctx, cached)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(b.TempDir(), "growth.db")
	if err := copyFile(cached, dst); err != nil {
		b.Fatal(err)
	}
	return dst
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// growthEnv is the engine with every feature on a copy of a history
// database, on the in-memory platform, its clock at growthEnd.
type growthEnv struct {
	db *storage.DB
	e  *bot.Engine
}

func openGrowth(b *testing.B, cfg *configs.Config, path string) *growthEnv {
	b.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := core.Setup(ctx, db, cfg); err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := bot.New(bot.Options{Store: db, Admins: cfg.Admins, Now: func() time.Time { return growthEnd }, TickEvery: time.Hour, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.AddPlatform(memchat.New("memchat", bot.Capabilities{Private: true})); err != nil {
		b.Fatal(err)
	}
	cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := commands.Register(commands.Deps{Engine: e, DB: db, Config: cfg, Calendar: cal, Log: log}); err != nil {
		b.Fatal(err)
	}
	if err := e.ReloadUnits(ctx); err != nil {
		b.Fatal(err)
	}
	return &growthEnv{db: db, e: e}
}

func growthMember(g, seat int) (id, name string) {
	return strconv.FormatInt(storage.FixtureMemberID(g, seat, growthPer), 10), fmt.Sprintf("成员%07d", g*growthPer+seat)
}

func growthGroupMsg(g, seat int, text string) bot.Message {
	id, name := growthMember(g, seat)
	return bot.Message{Platform: "memchat", ChatID: strconv.FormatInt(storage.FixtureChatID(g), 10), ChatKind: bot.Group, ChatTitle: growthUnitName(g) + "群",
		SenderID: id, SenderName: name, Text: text, Time: growthEnd}
}

func growthPrivateMsg(g, seat int, text string) bot.Message {
	id, name := growthMember(g, seat)
	return bot.Message{Platform: "memchat", ChatID: id, ChatKind: bot.Private, ChatTitle: name, SenderID: id, SenderName: name, Text: text, Time: growthEnd}
}

// rate hands msgs to the engine one at a time and returns messages per
// second.
func (g *growthEnv) rate(msgs []bot.Message) float64 {
	ctx := context.Background()
	t0 := time.Now()
	for _, m := range msgs {
		g.e.Receive(ctx, m)
	}
	return float64(len(msgs)) / time.Since(t0).Seconds()
}

// growthFigures are one scale's rates.
type growthFigures struct {
	checkin, mytickets, suggest, whoami, tick, bare float64
	size                                            int64
}

// growthScale is one scale's database and engine, measured round after
// round.
type growthScale struct {
	g      *growthEnv
	size   int64
	rounds []growthFigures
	next   int // the next seat of each group to check in
}

func openGrowthScale(b *testing.B, cfg *configs.Config, scale int) *growthScale {
	path := growthDB(b, cfg, scale)
	s := &growthScale{g: openGrowth(b, cfg, path), next: 1}
	if fi, err := os.Stat(path); err == nil {
		s.size = fi.Size()
	}
	ctx := context.Background()
	// Every group's secretary opens a check-in; the first ticks record the
	// push occurrences missed.
	for grp := range growthGroups {
		s.g.e.Receive(ctx, growthGroupMsg(grp, 0, "/checkin open 增长测试 2h"))
	}
	for range 3 {
		s.g.e.Tick(ctx)
	}
	return s
}

// round measures every command once more, with n messages each.
func (s *growthScale) round(b *testing.B, n int) {
	ctx := context.Background()
	g := s.g
	var f growthFigures
	var msgs []bot.Message
	// Members check in, the groups' turns interleaved, each member once.
	for i := range n {
		msgs = append(msgs, growthGroupMsg(i%growthGroups, s.next+i/growthGroups, "/checkin"))
	}
	s.next += (n + growthGroups - 1) / growthGroups
	if s.next >= growthPer {
		b.Fatal("growth: more check-in rounds than members")
	}
	f.checkin = g.rate(msgs)
	msgs = msgs[:0]
	for i := range n { // the member of each group who files tickets
		msgs = append(msgs, growthPrivateMsg(i%growthGroups, 1, "/mytickets"))
	}
	f.mytickets = g.rate(msgs)
	msgs = msgs[:0]
	for i := range n {
		msgs = append(msgs, growthGroupMsg(i%growthGroups, 10+(i/growthGroups)%40, "/suggest 宿舍的热水供应时间太短，希望延长到晚上十二点。"))
	}
	f.suggest = g.rate(msgs)
	msgs = msgs[:0]
	for i := range n {
		msgs = append(msgs, growthGroupMsg(i%growthGroups, (i*7)%growthPer, "/whoami"))
	}
	f.whoami = g.rate(msgs)
	t0 := time.Now()
	for range growthTicks {
		g.e.Tick(ctx)
	}
	f.tick = float64(growthTicks) / time.Since(t0).Seconds()
	t0 = time.Now()
	if err := g.db.BaselineInserts(ctx, n); err != nil {
		b.Fatal(err)
	}
	f.bare = float64(n) / time.Since(t0).Seconds()
	s.rounds = append(s.rounds, f)
}

// median is each rate's median over the rounds.
func (s *growthScale) median() growthFigures {
	pick := func(get func(growthFigures) float64) float64 {
		var vs []float64
		for _, r := range s.rounds {
			vs = append(vs, get(r))
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	return growthFigures{
		checkin:   pick(func(f growthFigures) float64 { return f.checkin }),
		mytickets: pick(func(f growthFigures) float64 { return f.mytickets }),
		suggest:   pick(func(f growthFigures) float64 { return f.suggest }),
		whoami:    pick(func(f growthFigures) float64 { return f.whoami }),
		tick:      pick(func(f growthFigures) float64 { return f.tick }),
		bare:      pick(func(f growthFigures) float64 { return f.bare }),
		size:      s.size,
	}
}

// BenchmarkGrowth measures command dispatch (msgs/s, one message at a time
// through the whole engine) for check-in, /mytickets, /suggest and /whoami,
// and the timed tick (ticks/s), at 1×, 10× and 100× a year of history, each
// beside the bare single-row insert rate on the same database in the same
// run.
func BenchmarkGrowth(b *testing.B) {
	scales := []int{1, 10, 100}
	if s := os.Getenv("BRANCHBOT_GROWTH_SCALES"); s != "" {
		scales = nil
		for _, f := range strings.Split(s, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
				scales = append(scales, n)
			}
		}
	}
	cfg := growthConfig(b)
	for b.Loop() {
		b.StopTimer()
		var all []*growthScale
		for _, s := range scales {
			all = append(all, openGrowthScale(b, cfg, s))
		}
		// The scales take turns, round after round, so that what else the
		// machine does meanwhile falls on all of them alike.
		for range growthRounds {
			for _, s := range all {
				s.round(b, growthN/growthRounds)
			}
		}
		var figs []growthFigures
		for _, s := range all {
			figs = append(figs, s.median())
		}
		fmt.Printf("BenchmarkGrowth: %d members in %d groups; msgs/s (ticks/s for the tick), medians of %d rounds taken in turns; ratio to the first scale in brackets\n",
			growthGroups*growthPer, growthGroups, growthRounds)
		fmt.Printf("  %-8s %9s %18s %18s %18s %18s %18s %14s\n", "history", "db MB", "check-in", "/mytickets", "/suggest", "/whoami", "tick", "bare insert")
		for i, f := range figs {
			cell := func(v, first float64) string { return fmt.Sprintf("%8.0f (÷%.2f)", v, first/v) }
			fmt.Printf("  %-8s %9d %18s %18s %18s %18s %18s %14.0f\n", fmt.Sprintf("%d×", scales[i]), f.size>>20,
				cell(f.checkin, figs[0].checkin), cell(f.mytickets, figs[0].mytickets), cell(f.suggest, figs[0].suggest),
				cell(f.whoami, figs[0].whoami), cell(f.tick, figs[0].tick), f.bare)
		}
		fmt.Printf("  the same, each as a share of the bare insert rate of its own run (the machine's speed at that moment):\n")
		for i, f := range figs {
			share := func(v, bare, v0, bare0 float64) string {
				return fmt.Sprintf("%8.3f (÷%.2f)", v/bare, (v0/bare0)/(v/bare))
			}
			f0 := figs[0]
			fmt.Printf("  %-8s %9s %18s %18s %18s %18s %18s\n", fmt.Sprintf("%d×", scales[i]), "",
				share(f.checkin, f.bare, f0.checkin, f0.bare), share(f.mytickets, f.bare, f0.mytickets, f0.bare), share(f.suggest, f.bare, f0.suggest, f0.bare),
				share(f.whoami, f.bare, f0.whoami, f0.bare), share(f.tick, f.bare, f0.tick, f0.bare))
		}
		last := figs[len(figs)-1]
		b.ReportMetric(last.checkin, "checkin-msgs/s")
		b.ReportMetric(last.mytickets, "mytickets-msgs/s")
		b.ReportMetric(last.tick, "ticks/s")
		b.StartTimer()
	}
}
