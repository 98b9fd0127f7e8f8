package checkin_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/export"
)

func say(h *commandtest.Harness, who, text string) {
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: "terminal", ChatID: "第一党支部", ChatKind: bot.Group, ChatTitle: "第一党支部",
		SenderID: who, SenderName: who, Text: text, Time: h.Clock.Now(),
	})
}

func all(h *commandtest.Harness, who []string, text string) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, w := range who {
		wg.Go(func() {
			<-start
			say(h, w, text)
		})
	}
	close(start)
	wg.Wait()
}

// TestConcurrentCheckins: 1,000 members check in at once through the engine
// and SQLite, then all of them again: every check-in is stored exactly once
// and the group has one running count pending, not a thousand.
func TestConcurrentCheckins(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/bind 第一党支部")
	h.Say("/checkin open 全体大会 code=2026")
	members := make([]string, 1000)
	for i := range members {
		members[i] = fmt.Sprintf("成员%04d", i)
	}
	all(h, members, "签到 2026")
	all(h, members, "签到 2026") // every one a repeat

	ctx := context.Background()
	cs, err := h.DB.Checkins(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1000 {
		t.Fatalf("%d check-ins stored, want 1000", len(cs))
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Name] {
			t.Fatalf("%s stored twice", c.Name)
		}
		seen[c.Name] = true
	}
	for _, m := range members {
		if !seen[m] {
			t.Fatalf("%s was lost", m)
		}
	}
	chat, err := h.DB.ChatByExternalID(ctx, "terminal", "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := h.DB.OutboxOfChat(ctx, chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	var counts, repeats int
	for _, m := range msgs {
		switch {
		case m.State == bot.OutboxPending && strings.Contains(m.Text, "已签到 0/4，名单外 1000 人"):
			counts++
		case m.State == bot.OutboxPending && strings.Contains(m.Text, "已签到 "):
			t.Fatalf("a stale running count is still pending: %q", m.Text)
		case strings.Contains(m.Text, "无需重复签到"):
			repeats++
		}
	}
	if counts != 1 || repeats != 1000 {
		t.Fatalf("%d current counts pending (want 1), %d repeat answers (want 1000)", counts, repeats)
	}
}

// TestExportXLSX reads an exported check-in back with excelize.
func TestExportXLSX(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	for _, who := range [][2]string{{"张三", "2023001"}, {"李四", "2023002"}, {"周书记", "T0007"}, {"路人", ""}} {
		h.As(who[0])
		if who[1] != "" {
			h.LinkSpeaker(who[1])
		}
	}
	h.As("周书记")
	h.Say("/bind 第一党支部")
	h.Say("/checkin open 主题党日 10m late=20m")
	h.As("张三")
	h.Say("签到")
	h.As("路人")
	h.Say("签到")
	h.Clock.Advance(15 * 60e9)
	h.As("李四")
	h.Say("签到")
	h.As("周书记")
	out := strings.Join(h.Say("/export checkin 1"), "\n")
	if !strings.Contains(out, "exports/checkin-1-20261123-091500.xlsx") {
		t.Fatalf("export answered %q", out)
	}
	x, err := excelize.OpenFile(filepath.Join(h.Dir, "exports/checkin-1-20261123-091500.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("签到")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "学号", "单位", "时间", "状态"},
		{"张三", "2023001", "第一党支部", "2026-11-23 09:00:00", "已签到"},
		{"周书记", "T0007", "第一党支部", "2026-11-23 09:00:00", "已签到"}, // the opener
		{"路人", "", "", "2026-11-23 09:00:00", "已签到（未绑定花名册）"},
		{"李四", "2023002", "第一党支部", "2026-11-23 09:15:00", "迟到"},
		{"王五", "2023003", "第一党支部", "", "未签到（未绑定花名册）"},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("exported rows:\n%q\nwant\n%q", rows, want)
	}

	// The same table as CSV, through the function the CLI uses.
	tbl, _, err := export.Checkin(context.Background(), h.DB, h.Engine.Units(), h.Engine.Location(), 1, h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := export.Write(tbl, "csv", filepath.Join(h.Dir, "c.csv")); err != nil {
		t.Fatal(err)
	}
}

// TestExportWhileOpen: exported while the session is open, a linked member
// who has not checked in yet is 未签到（进行中）, not 缺席; once it is over,
// 缺席.
func TestExportWhileOpen(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	for _, who := range [][2]string{{"张三", "2023001"}, {"李四", "2023002"}, {"周书记", "T0007"}} {
		h.As(who[0])
		h.LinkSpeaker(who[1])
	}
	h.Say("/bind 第一党支部")
	h.Say("/checkin open 主题党日 30m")
	h.As("张三")
	h.Say("签到")
	rows := func() string {
		t.Helper()
		tbl, _, err := export.Checkin(context.Background(), h.DB, h.Engine.Units(), h.Engine.Location(), 1, h.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range tbl.Rows {
			out = append(out, r[0]+" "+r[4])
		}
		return strings.Join(out, "；")
	}
	if got, want := rows(), "张三 已签到；周书记 已签到；李四 未签到（进行中）；王五 未签到（未绑定花名册）"; got != want {
		t.Errorf("while open:\n got %s\nwant %s", got, want)
	}
	h.Clock.Advance(31 * time.Minute)
	if got, want := rows(), "张三 已签到；周书记 已签到；李四 缺席；王五 未签到（未绑定花名册）"; got != want {
		t.Errorf("once over:\n got %s\nwant %s", got, want)
	}
}

// With the bot running (senders idle, waiting for work), the running count
// that the writer queues a moment after a check-in is sent at once, not when
// the sender next looks by itself.
func TestRunningCountReachesARunningSender(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	h.As("王老师")
	h.Say("/bind 第一党支部")
	h.Say("/checkin open 全体大会")
	h.Chat.Take()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Engine.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // the sender has found nothing to do and waits
	for _, who := range []string{"张三", "李四"} {
		h.Chat.Deliver(bot.Message{ChatID: "第一党支部", ChatKind: bot.Group, ChatTitle: "第一党支部",
			SenderID: who, SenderName: who, Text: "签到", Time: h.Clock.Now()})
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, s := range h.Chat.Sent() {
			if strings.Contains(s.Text, "名单外 2 人") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no running count sent within 3 s; sent: %v", h.Chat.Sent())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
