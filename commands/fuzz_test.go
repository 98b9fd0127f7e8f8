package commands_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// failures records the engine's log lines that mean a handler broke: a
// panic, or an error that is not an answer for the caller.
type failures struct {
	mu  sync.Mutex
	got []string
}

func (f *failures) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (f *failures) WithAttrs([]slog.Attr) slog.Handler           { return f }
func (f *failures) WithGroup(string) slog.Handler                { return f }
func (f *failures) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "handler panicked" || r.Message == "command failed" {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "stack" {
				b.WriteString(" " + a.String())
			}
			return true
		})
		f.mu.Lock()
		f.got = append(f.got, b.String())
		f.mu.Unlock()
	}
	return nil
}

func (f *failures) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := f.got
	f.got = nil
	return got
}

// FuzzCommandLine sends any line, as any persona of the permission matrix in
// any of its places, through the whole engine with every feature (the
// parser, sub-command dispatch, the checks and the handlers, with the
// fixtures of the matrix in the database). No line may make a handler panic
// or fail with an error that is not an answer to the caller.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"/checkin open 主题党日 30m code=4827 late=10m", "/checkin stats 11月1日 11月30日", "签到 统计 2026-13-01",
		"/relay 周六 limit=20 until=周五18:00", "/relay close #1", "/join #1 备注", "/leave #999999999999999999999",
		"/broadcast 第一党支部 开会 at=2026-12-01T08:00", "/broadcast #支部 x at=0000-00-00T00:00", "/approve 1", "/reject 1",
		"/suggest -a 食堂", "/followup 1", "/close 1", "/assign 1 刘芳", "/sla 2026-02", "/sla 9999-99",
		"/retain on 99999999999999d", "/summary 1e9h", "/study stats", "/push now", "/export checkin -1 csv",
		"/iam 2023001 张三 K7QM-4XPA", "/links approve #1", "/linkcode 第一党支部", "/rebind 第一党支部群", "/help 签到 发起",
		"／ＣＨＥＣＫＩＮ　ｏｐｅｎ　ｘ", "/checkin \"open", "+1", "到", "\\", "/bind 「第一 党支部」",
	} {
		f.Add(uint8(0), s)
	}
	broken := &failures{}
	h := matrixHarness(f, slog.New(broken))
	broken.take()
	f.Fuzz(func(t *testing.T, who uint8, line string) {
		if len(line) > 400 {
			return
		}
		p := places[int(who)%len(places)]
		h.As(personas[int(who)/len(places)%len(personas)].name)
		if p.private {
			h.Private()
		} else {
			h.Group(p.group)
		}
		h.Say(line)
		if got := broken.take(); len(got) > 0 {
			t.Fatalf("%q as %d: %s", line, who, strings.Join(got, "\n"))
		}
	})
}
