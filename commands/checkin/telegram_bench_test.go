package checkin_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/telegram"
	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/storage"
)

// telegramLimits are the default Telegram limits of configs/branchbot.yaml.
var telegramLimits = bot.Limits{
	Global:      bot.RateLimit{Count: 30, Per: time.Second},
	PerChat:     []bot.RateLimit{{Count: 1, Per: time.Second}, {Count: 20, Per: time.Minute}},
	Merge:       true,
	Concurrency: 8,
}

// tgWorld is the real engine with the check-in feature and the Telegram
// adapter against the fake Bot API server: groups bound to a unit, a
// session open in each, their running counts recorded as the server gets
// them.
type tgWorld struct {
	srv    *telegramtest.Server
	groups []telegramtest.Chat
	stop   func()

	mu     sync.Mutex
	counts map[int64][]countSeen // by group: running counts as they arrived
}

type countSeen struct {
	n  int // the count in the text
	at time.Time
}

func newTGWorld(b *testing.B, groups int) *tgWorld {
	b.Helper()
	ctx := context.Background()
	w := &tgWorld{srv: telegramtest.New(b, telegramtest.Options{}), counts: map[int64][]countSeen{}}
	w.srv.OnCall(func(c telegramtest.Call) *telegramtest.Failure {
		if c.Method == "sendMessage" {
			if n, ok := runningCount(c.Params["text"]); ok {
				w.mu.Lock()
				w.counts[c.Int("chat_id")] = append(w.counts[c.Int("chat_id")], countSeen{n, time.Now()})
				w.mu.Unlock()
			}
		}
		return nil
	})
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "bot.db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.SyncUnits(ctx, []core.UnitDef{{Name: "校党委"}, {Name: "第一党支部", Parent: "校党委"}}); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := bot.New(bot.Options{Store: db, Logger: quiet, TickEvery: time.Hour, Limits: map[string]bot.Limits{telegram.Name: telegramLimits}})
	if err != nil {
		b.Fatal(err)
	}
	f := checkin.New(eng, db)
	for _, ft := range []bot.Feature{core.New(eng, db, core.Options{}), f} {
		if err := eng.Register(ft); err != nil {
			b.Fatal(err)
		}
	}
	tg, err := telegram.New(ctx, telegram.Options{Token: w.srv.Token, APIURL: w.srv.URL, PollTimeout: 2 * time.Second, Buttons: db, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	eng.AddPlatform(tg)
	if err := eng.ReloadUnits(ctx); err != nil {
		b.Fatal(err)
	}
	unit, _ := eng.Units().ByName("第一党支部")
	secretary, err := db.EnsureMember(ctx, telegram.Name, "1", "王老师")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for g := range groups {
		chat := telegramtest.Group(int64(-2000-g), fmt.Sprintf("第%d组", g+1))
		w.srv.NewMessage(chat, telegramtest.Person(1, "王", "老师"), "") // the server knows the group
		c, err := db.EnsureChat(ctx, telegram.Name, strconv.FormatInt(chat.ID, 10), bot.Group, chat.Title)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.BindChat(ctx, c.ID, unit.ID); err != nil {
			b.Fatal(err)
		}
		if _, err := f.OpenSession(ctx, checkin.Session{ChatID: c.ID, UnitID: unit.ID, Title: "例会", OpenedBy: secretary.ID, OpenedAt: now,
			Deadline: now.Add(24 * time.Hour), EndsAt: now.Add(24 * time.Hour)}, now); err != nil {
			b.Fatal(err)
		}
		w.groups = append(w.groups, chat)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			db.Close()
		})
	}
	b.Cleanup(w.stop)
	w.srv.WaitCall(b, "getUpdates", 10*time.Second, nil)
	// The announcements of the sessions opened above go out first.
	time.Sleep(2 * time.Second)
	return w
}

// runningCount reads how many have checked in from 「…」已签到 N 人 and,
// when present, its 名单外 M 人 (the benchmark's members are not on a
// roster, so they are counted there).
func runningCount(text string) (int, bool) {
	n, ok := numberAfter(text, "已签到 ")
	if !ok {
		return 0, false
	}
	if m, ok := numberAfter(text, "名单外 "); ok {
		n += m
	}
	return n, true
}

// numberAfter reads the decimal number right after the first label in text.
func numberAfter(text, label string) (int, bool) {
	_, rest, ok := strings.Cut(text, label)
	if !ok {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

func (w *tgWorld) seen(group int64) []countSeen {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.counts[group])
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkCheckinReplyLatencyTelegram: light load through the real
// Telegram adapter and the fake Bot API server: a check-in every 80 ms,
// round robin over 50 groups (each group every 4 s, inside its pacing), each
// from a new member. Latency is from the update being available at the
// server to the server getting the group's running count that includes it
// (long poll, store, handle, count, send). Beside it, the baseline: a bare
// sendMessage round trip to the same server.
func BenchmarkCheckinReplyLatencyTelegram(b *testing.B) {
	const groups, gap, samples = 50, 80 * time.Millisecond, 250
	var lat, bare []time.Duration
	for b.Loop() {
		b.StopTimer()
		w := newTGWorld(b, groups)
		user := int64(500000)
		for i := range samples {
			g := w.groups[i%groups]
			user++
			before := len(w.seen(g.ID))
			m := w.srv.NewMessage(g, telegramtest.Person(user, "成员", strconv.FormatInt(user, 10)), "/checkin")
			t0 := time.Now()
			w.srv.Push(telegramtest.Update{Message: &m})
			want := i/groups + 1
			deadline := time.Now().Add(10 * time.Second)
			for {
				s := w.seen(g.ID)
				if len(s) > before && s[len(s)-1].n >= want {
					lat = append(lat, s[len(s)-1].at.Sub(t0))
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("group %d: no count %d within 10s", g.ID, want)
				}
				time.Sleep(100 * time.Microsecond)
			}
			time.Sleep(max(0, gap-time.Since(t0)))
		}
		// The baseline: sendMessage straight to the same server.
		for range samples {
			t0 := time.Now()
			resp, err := http.PostForm(w.srv.URL+"/bot"+w.srv.Token+"/sendMessage", url.Values{"chat_id": {strconv.FormatInt(w.groups[0].ID, 10)}, "text": {"基线"}})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			bare = append(bare, time.Since(t0))
		}
		w.stop()
		b.StartTimer()
	}
	fmt.Printf("BenchmarkCheckinReplyLatencyTelegram: %d check-ins: p50 %.1f ms, p99 %.1f ms, max %.1f ms; baseline (bare sendMessage round trip to the fake server): p50 %.2f ms, p99 %.2f ms\n",
		len(lat), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99)), ms(quantile(lat, 1)), ms(quantile(bare, 0.5)), ms(quantile(bare, 0.99)))
	b.ReportMetric(ms(quantile(lat, 0.5)), "p50-ms")
	b.ReportMetric(ms(quantile(lat, 0.99)), "p99-ms")
	b.ReportMetric(ms(quantile(bare, 0.99)), "bare-p99-ms")
}

// BenchmarkRunningCountPacingTelegram: 200 check-ins a second into 10 busy
// groups for 62 s through the real Telegram adapter (1/s and 20/min per
// chat). It reports how the groups' running counts move: how many updates
// each group sees in each 20 s, and the longest wait between two. Beside
// it, the baseline of the limits: 20 a minute spread evenly is one every
// 3 s (a burst of 3 then one every 3.3 s here); spent at once it is 20 in
// the first 20 s and then nothing for 40 s.
func BenchmarkRunningCountPacingTelegram(b *testing.B) {
	const groups, perSecond, span = 10, 200, 62 * time.Second
	for b.Loop() {
		b.StopTimer()
		w := newTGWorld(b, groups)
		user := int64(700000)
		start := time.Now()
		tick := time.NewTicker(time.Second / perSecond)
		for i := 0; time.Since(start) < span; i++ {
			<-tick.C
			g := w.groups[i%groups]
			user++
			m := w.srv.NewMessage(g, telegramtest.Person(user, "成员", strconv.FormatInt(user, 10)), "/checkin")
			w.srv.Push(telegramtest.Update{Message: &m})
		}
		tick.Stop()
		var per [3][]int
		var gaps []time.Duration
		for _, g := range w.groups {
			s := w.seen(g.ID)
			var n [3]int
			last := start
			var worst time.Duration
			for _, c := range s {
				if k := int(c.at.Sub(start) / (20 * time.Second)); k < 3 {
					n[k]++
				}
				if c.at.Sub(start) < 60*time.Second {
					worst = max(worst, c.at.Sub(last))
					last = c.at
				}
			}
			for k := range n {
				per[k] = append(per[k], n[k])
			}
			gaps = append(gaps, worst)
		}
		w.stop()
		b.StartTimer()
		fmt.Printf("BenchmarkRunningCountPacingTelegram: %d groups at %d check-ins/s for %s: running-count updates per group in 0-20s %v, 20-40s %v, 40-60s %v; longest wait per group %v; baseline: evenly 20/min is one every 3s (here 3 at once, then one every 3.3s: 8-9, 6, 6), all at once is 20, 0, 0 with a 40s wait\n",
			groups, perSecond, span, per[0], per[1], per[2], roundAll(gaps))
		b.ReportMetric(mean(per[1]), "updates-20-40s")
		b.ReportMetric(slices.Max(gaps).Seconds(), "max-wait-s")
	}
}

func mean(xs []int) float64 {
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(10 * time.Millisecond)
	}
	return out
}
