package study_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/study"
	"github.com/branchbot/branchbot/configs"
)

// pushDates lists the China dates of a push's queued occurrences in one chat.
func pushDates(t *testing.T, h *commandtest.Harness, name string) []string {
	t.Helper()
	msgs, err := h.DB.OutboxByIdemPrefix(context.Background(), "push:"+name+":")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		parts := strings.Split(m.IdemKey, ":")
		var unix int64
		fmt.Sscan(parts[2], &unix)
		out = append(out, time.Unix(unix, 0).In(commandtest.Shanghai).Format("2006-01-02 15:04"))
		if m.State != bot.OutboxDelivered {
			t.Errorf("%s: %s", m.IdemKey, m.State)
		}
	}
	slices.Sort(out)
	return out
}

// officialWorkdays lists 08:00 on the working days from..to: Monday to
// Friday, minus the days off and plus the make-up days of the State
// Council's 2026 schedule, written out here by hand.
func officialWorkdays(from, to string) []string {
	off := map[string]bool{}
	for _, d := range []string{
		"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23", // 春节 (weekdays)
		"2026-09-25",                                                         // 中秋
		"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", // 国庆
	} {
		off[d] = true
	}
	makeUp := map[string]bool{"2026-02-14": true, "2026-02-28": true, "2026-09-20": true, "2026-10-10": true}
	var out []string
	for d := at(from + "T00:00"); !d.After(at(to + "T00:00")); d = d.AddDate(0, 0, 1) {
		day := d.Format("2006-01-02")
		wd := d.Weekday()
		if makeUp[day] || wd != time.Saturday && wd != time.Sunday && !off[day] {
			out = append(out, day+" 08:00")
		}
	}
	return out
}

// A workdays schedule, ticked every hour through the Spring Festival and
// the National Day weeks of 2026, fires on exactly the official working
// days: on the make-up Saturdays and Sunday, never on a holiday.
func TestWorkdaysAcrossHolidays(t *testing.T) {
	for _, span := range []struct{ from, to string }{{"2026-02-09", "2026-03-03"}, {"2026-09-14", "2026-10-16"}} {
		t.Run(span.from, func(t *testing.T) {
			cfg := testConfig(t, configs.PushConfig{Name: "早安", Text: "早安，今天也要学习。", Units: []string{"第一党支部"}, Cron: "0 8 * * *", Rule: "workdays"})
			h, _ := harness(t, cfg, at(span.from+"T00:00"), nil)
			bindGroups(t, h, "第一党支部", 1)
			end := at(span.to + "T23:00")
			var out []string
			for h.Clock.Now().Before(end) {
				out = append(out, h.Tick()...)
				h.Clock.Advance(time.Hour)
			}
			got := pushDates(t, h, "早安")
			want := officialWorkdays(span.from, span.to)
			if !slices.Equal(got, want) {
				t.Errorf("pushes on\n%v\nwant\n%v", got, want)
			}
			// Each push reached the group once.
			n := countLines(out, "[第一党支部] branchbot: 早安，今天也要学习。")
			if n != len(want) {
				t.Errorf("group got %d pushes, want %d", n, len(want))
			}
		})
	}
}

// bindGroups creates n groups bound to unit (titles unit-1, unit-2, …; the
// first is the unit's name itself when n == 1).
func bindGroups(t testing.TB, h *commandtest.Harness, unit string, n int) []bot.Chat {
	t.Helper()
	ctx := context.Background()
	u, ok := unitsOf(t, h).ByName(unit)
	if !ok {
		t.Fatalf("no unit %s", unit)
	}
	var out []bot.Chat
	for i := range n {
		title := unit
		if n > 1 {
			title = fmt.Sprintf("%s-%d", unit, i+1)
		}
		c, err := h.DB.EnsureChat(ctx, "terminal", title, bot.Group, title)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.DB.BindChat(ctx, c.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		c.UnitID = u.ID
		out = append(out, c)
	}
	return out
}

// A crash in the middle of a fan-out (everything cancelled after three of
// eight batches, the database closed and opened again) ends with every
// group having the push exactly once, with the same item.
func TestCrashMidFanout(t *testing.T) {
	cfg := testConfig(t, configs.PushConfig{Name: "每日学习", Column: "理论学习", Units: []string{"计算机学院党委"}, Cron: "0 8 * * *", Rule: "workdays"})
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	h, f := harness(t, cfg, at("2026-11-23T07:00"), func(f *study.Feature) {
		study.SetBatch(f, 4, func() {
			if batches++; batches == 3 {
				cancel()
			}
		})
	})
	groups := bindGroups(t, h, "第一党支部", 30)
	groups = append(groups, bindGroups(t, h, "第二党支部", 2)...)
	h.Tick() // first sight of the schedule
	h.Clock.Set(at("2026-11-23T08:00"))
	err := (*f).Tick(ctx, h.Engine.Now())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("tick: %v, want cancelled", err)
	}
	prefix := study.PushKeyPrefix("每日学习", at("2026-11-23T08:00"))
	partial, _ := h.DB.OutboxByIdemPrefix(context.Background(), prefix)
	if len(partial) != 12 {
		t.Fatalf("%d queued before the crash, want 12 (3 batches of 4)", len(partial))
	}
	h.Restart()
	h.Clock.Advance(10 * time.Second)
	out := h.Tick()
	h.Clock.Advance(time.Minute)
	out = append(out, h.Tick()...)
	msgs, err := h.DB.OutboxByIdemPrefix(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	perChat := map[int64]int{}
	for _, m := range msgs {
		perChat[m.ChatID]++
		if !strings.Contains(m.Text, "深入学习贯彻党的二十届四中全会精神") {
			t.Errorf("chat %d got %q, want the column's first item", m.ChatID, m.Text)
		}
	}
	for _, g := range groups {
		sent := countLines(out, "["+g.ExternalID+"] branchbot: 📚【理论学习】深入学习贯彻党的二十届四中全会精神")
		if perChat[g.ID] != 1 || sent != 1 {
			t.Errorf("group %s: queued %d, delivered %d; want exactly one", g.Title, perChat[g.ID], sent)
		}
	}
	if len(msgs) != len(groups) {
		t.Errorf("%d messages for %d groups", len(msgs), len(groups))
	}
	last, err := h.DB.LastPushRun(context.Background(), "每日学习")
	if err != nil || last.Status != "done" || last.Chats != len(groups) {
		t.Errorf("run after restart: %+v, %v; want done with %d chats", last, err, len(groups))
	}
}

// Occurrences missed while the bot was down are sent late within
// study.catch_up, and otherwise skipped with one admin notice; never twice.
func TestCatchUp(t *testing.T) {
	cfg := testConfig(t, configs.PushConfig{Name: "晨读", Text: "晨读：今日学习一篇党章。", Units: []string{"第一党支部"}, Cron: "0 8 * * *", Rule: "workdays"})
	cfg.Study.NoticeChat = "组织部"
	h, _ := harness(t, cfg, at("2026-11-23T07:00"), nil)
	bindGroups(t, h, "第一党支部", 1)
	bindGroups(t, h, "组织部", 1) // the notice chat
	h.Private()
	h.As("王老师")
	h.Say("/whoami") // opens the admin's private chat
	var out []string
	tick := func() { out = append(out, h.Tick()...) }
	tick()
	count := func(text string) (n int) {
		for _, l := range out {
			if strings.Contains(l, text) {
				n++
			}
		}
		return n
	}
	// Down from before 08:00 to 09:30: 1.5 h late, inside the 2 h window.
	h.Clock.Set(at("2026-11-23T09:30"))
	tick()
	tick()
	if n := count("晨读："); n != 1 {
		t.Fatalf("inside the window: %d pushes, want 1", n)
	}
	// Down from Monday until Wednesday 10:30: Tuesday 08:00 and Wednesday
	// 08:00 are both more than 2 h late.
	h.Clock.Set(at("2026-11-25T10:30"))
	tick()
	h.Clock.Advance(time.Minute)
	tick()
	if n := count("晨读："); n != 1 {
		t.Fatalf("outside the window: %d pushes in all, want still 1", n)
	}
	if n := count("[组织部] branchbot: ⚠️ 定时推送「晨读」错过了 2 次"); n != 1 {
		t.Errorf("the notice should also go to study.notice_chat: %q", out)
	}
	if n := count("错过了 2 次"); n != 2 {
		t.Fatalf("admin notices: %d, want 2 (private chat and notice chat); output: %q", n, out)
	}
	if n := count("[私聊 王老师] branchbot: ⚠️ 定时推送「晨读」错过了 2 次（最近一次应于 2026-11-25 08:00 发送）"); n != 1 {
		t.Errorf("the notice should go to the admin's private chat: %q", out)
	}
	// A restart does not repeat the notice or the pushes.
	h.Restart()
	tick()
	// Thursday 08:00 runs on time again.
	h.Clock.Set(at("2026-11-26T08:00"))
	tick()
	tick()
	if n, m := count("晨读："), count("错过了"); n != 2 || m != 2 {
		t.Fatalf("after the outage: %d pushes, %d notices; want 2 and 2 (one per admin chat)", n, m)
	}
	got := pushDates(t, h, "晨读")
	if want := []string{"2026-11-23 08:00", "2026-11-26 08:00"}; !slices.Equal(got, want) {
		t.Errorf("occurrences sent %v, want %v", got, want)
	}
}

func countLines(lines []string, prefix string) (n int) {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// The calendar rules: holidays_only runs on days off (weekends and holidays,
// not on make-up working days); lunar:08-15 runs on 中秋 only.
func TestRules(t *testing.T) {
	cfg := testConfig(t,
		configs.PushConfig{Name: "假日", Text: "x", Units: []string{"第一党支部"}, Cron: "0 9 * * *", Rule: "holidays_only"},
		configs.PushConfig{Name: "中秋", Text: "x", Units: []string{"第一党支部"}, Cron: "0 9 * * *", Rule: "lunar:08-15"},
	)
	_, f := harness(t, cfg, at("2026-09-01T00:00"), nil)
	var got []string
	for _, occ := range study.Occurrences(*f, 0, at("2026-09-18T00:00"), at("2026-10-11T00:00"), 100) {
		got = append(got, occ.Format("01-02"))
	}
	want := []string{"09-19", "09-25", "09-26", "09-27", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07"}
	if !slices.Equal(got, want) {
		t.Errorf("holidays_only: %v, want %v", got, want)
	}
	got = nil
	for _, occ := range study.Occurrences(*f, 1, at("2026-01-01T00:00"), at("2028-12-31T00:00"), 100) {
		got = append(got, occ.Format("2006-01-02 15:04"))
	}
	if want := []string{"2026-09-25 09:00", "2027-09-15 09:00", "2028-10-03 09:00"}; !slices.Equal(got, want) {
		t.Errorf("lunar:08-15: %v, want %v", got, want)
	}
}
