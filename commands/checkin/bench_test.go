package checkin_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/checkin"
	"github.com/branchbot/branchbot/commands/commandtest"
)

const (
	benchGroups  = 100
	benchPerChat = 100 // 10,000 members in all
)

// benchWorld is 100 bound groups of 100 members each, every member linked
// to a roster entry, in a real SQLite file behind the real engine.
type benchWorld struct {
	h       *commandtest.Harness
	f       *checkin.Feature
	roster  []bot.RosterEntry
	chats   []bot.Chat
	members [][]bot.Member
	round   int
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	ctx := context.Background()
	var f *checkin.Feature
	h := commandtest.New(b, commandtest.Options{Features: func(h *commandtest.Harness) []bot.Feature {
		f = checkin.New(h.Engine, h.DB)
		return []bot.Feature{f}
	}})
	units := h.Engine.Units()
	branch, _ := units.ByName("第一党支部")
	w := &benchWorld{h: h, f: f}
	var entries []bot.RosterEntry
	for g := range benchGroups {
		for m := range benchPerChat {
			entries = append(entries, bot.RosterEntry{Name: fmt.Sprintf("成员%02d-%02d", g, m), Number: fmt.Sprintf("B%02d%02d", g, m), UnitID: branch.ID})
		}
	}
	if _, _, err := h.DB.ImportRoster(ctx, entries, h.Clock.Now()); err != nil {
		b.Fatal(err)
	}
	w.roster = entries
	for g := range benchGroups {
		c, err := h.DB.EnsureChat(ctx, "terminal", fmt.Sprintf("群%02d", g), bot.Group, fmt.Sprintf("群%02d", g))
		if err != nil {
			b.Fatal(err)
		}
		if err := h.DB.BindChat(ctx, c.ID, branch.ID); err != nil {
			b.Fatal(err)
		}
		w.chats = append(w.chats, c)
		var ms []bot.Member
		for m := range benchPerChat {
			mem, err := h.DB.EnsureMember(ctx, "terminal", fmt.Sprintf("b%02d-%02d", g, m), fmt.Sprintf("成员%02d-%02d", g, m))
			if err != nil {
				b.Fatal(err)
			}
			re, err := h.DB.RosterByNumber(ctx, fmt.Sprintf("B%02d%02d", g, m))
			if err != nil {
				b.Fatal(err)
			}
			if err := h.DB.LinkMember(ctx, mem.ID, re.ID, h.Clock.Now()); err != nil {
				b.Fatal(err)
			}
			ms = append(ms, mem)
		}
		w.members = append(w.members, ms)
	}
	// As in a bot that has seen them before: their rows are cached.
	for _, ms := range w.members {
		for _, m := range ms {
			mem, err := h.DB.EnsureMember(ctx, m.Platform, m.ExternalID, m.Name)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := h.DB.RosterEntry(ctx, mem.RosterID); err != nil {
				b.Fatal(err)
			}
		}
	}
	return w
}

// openRound closes the previous sessions and opens a fresh one in every
// group, so each round's check-ins are all new.
func (w *benchWorld) openRound(b *testing.B) []int64 {
	ctx := context.Background()
	w.round++
	w.h.Clock.Advance(time.Hour)
	now := w.h.Clock.Now()
	ids := make([]int64, len(w.chats))
	for i, c := range w.chats {
		if s, err := w.h.DB.LatestCheckin(ctx, c.ID); err == nil {
			if _, err := w.f.CloseSession(ctx, s.ID, now); err != nil {
				b.Fatal(err)
			}
		}
		s, err := w.f.OpenSession(ctx, checkin.Session{ChatID: c.ID, UnitID: c.UnitID, Title: fmt.Sprintf("第%d轮", w.round),
			Expected: benchPerChat, OpenedBy: w.members[i][0].ID, OpenedAt: now, Deadline: now.Add(30 * time.Minute), EndsAt: now.Add(30 * time.Minute)}, now)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = s.ID
	}
	return ids
}

func p99(lat []time.Duration) time.Duration {
	slices.Sort(lat)
	return lat[(len(lat)*99+99)/100-1]
}

// BenchmarkCheckinEngine: every group's members check in at once, each
// group's messages handed to engine.Receive in order by that group's own
// goroutine, as a platform adapter does (100 message streams at once). One
// iteration is one round of 10,000 check-ins. Latency is from the message
// entering Receive to Receive returning, by which time the check-in is
// committed.
func BenchmarkCheckinEngine(b *testing.B) { benchEngine(b, false) }

// BenchmarkCheckinEngineBurst: all 10,000 check-ins are handed to
// engine.Receive at the same instant, each from its own goroutine.
func BenchmarkCheckinEngineBurst(b *testing.B) { benchEngine(b, true) }

// BenchmarkCheckinEngineRosterChanged: as BenchmarkCheckinEngine, with a
// roster import that changes every entry just before each round, so every
// member's roster entry the engine holds is out of date when the room checks
// in.
func BenchmarkCheckinEngineRosterChanged(b *testing.B) {
	benchEngineOpts(b, false, func(w *benchWorld) {
		for i := range w.roster {
			w.roster[i].Title = fmt.Sprintf("第%d轮", w.round)
		}
		if _, _, err := w.h.DB.ImportRoster(context.Background(), w.roster, w.h.Clock.Now()); err != nil {
			b.Fatal(err)
		}
	})
}

func benchEngine(b *testing.B, burst bool) { benchEngineOpts(b, burst, nil) }

func benchEngineOpts(b *testing.B, burst bool, beforeRound func(*benchWorld)) {
	w := newBenchWorld(b)
	ctx := context.Background()
	var (
		total   time.Duration
		lat     []time.Duration
		checked int
	)
	for b.Loop() {
		b.StopTimer()
		ids := w.openRound(b)
		if beforeRound != nil {
			beforeRound(w)
		}
		at := w.h.Clock.Now()
		lats := make([][]time.Duration, len(w.chats))
		var mu sync.Mutex
		start := make(chan struct{})
		var wg sync.WaitGroup
		send := func(g int, c bot.Chat, m bot.Member) {
			t0 := time.Now()
			w.h.Engine.Receive(ctx, bot.Message{Platform: "terminal", ChatID: c.ExternalID, ChatKind: bot.Group, ChatTitle: c.Title,
				SenderID: m.ExternalID, SenderName: m.Name, Text: "签到", Time: at})
			d := time.Since(t0)
			mu.Lock()
			lats[g] = append(lats[g], d)
			mu.Unlock()
		}
		for g, c := range w.chats {
			if burst {
				for _, m := range w.members[g] {
					wg.Go(func() { <-start; send(g, c, m) })
				}
				continue
			}
			wg.Go(func() {
				<-start
				for _, m := range w.members[g] {
					send(g, c, m)
				}
			})
		}
		b.StartTimer()
		t0 := time.Now()
		close(start)
		wg.Wait()
		total += time.Since(t0)
		b.StopTimer()
		for _, l := range lats {
			lat = append(lat, l...)
		}
		cs, err := w.h.DB.Checkins(ctx, ids...)
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) != benchGroups*benchPerChat {
			b.Fatalf("round %d stored %d check-ins, want %d", w.round, len(cs), benchGroups*benchPerChat)
		}
		checked += len(cs)
		b.StartTimer()
	}
	b.ReportMetric(float64(checked)/total.Seconds(), "checkins/s")
	b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-ms")

}

// BenchmarkCheckinBareInsert is the baseline: the same check-ins stored one
// row per transaction in a plain loop on the same database, with no engine
// and no chat around them.
func BenchmarkCheckinBareInsert(b *testing.B) {
	w := newBenchWorld(b)
	ctx := context.Background()
	var (
		total    time.Duration
		inserted int
	)
	for b.Loop() {
		b.StopTimer()
		ids := w.openRound(b)
		at := w.h.Clock.Now()
		b.StartTimer()
		t0 := time.Now()
		for g := range w.chats {
			for _, m := range w.members[g] {
				if err := w.h.DB.BareInsertCheckin(ctx, checkin.Checkin{SessionID: ids[g], MemberID: m.ID, RosterID: m.RosterID, Name: m.Name, At: at}); err != nil {
					b.Fatal(err)
				}
			}
		}
		total += time.Since(t0)
		inserted += benchGroups * benchPerChat
	}
	b.ReportMetric(float64(inserted)/total.Seconds(), "inserts/s")
}
