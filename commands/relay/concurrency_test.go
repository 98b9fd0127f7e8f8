package relay_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/relay"
)

// say hands one message to the engine as the given member, the way a
// platform does, without delivering anything.
func say(h *commandtest.Harness, who, text string) {
	h.Engine.Receive(context.Background(), bot.Message{
		Platform: "terminal", ChatID: "第一党支部", ChatKind: bot.Group, ChatTitle: "第一党支部",
		SenderID: who, SenderName: who, Text: text, Time: h.Clock.Now(),
	})
}

// all sends text from every member at once and waits for every handler.
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

func names(es []relay.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

// TestConcurrentJoins: 1,000 members join one relay (limit 600) at once
// through the engine and SQLite; then 100 of the first 600 leave at once.
func TestConcurrentJoins(t *testing.T) {
	h := commandtest.New(t, commandtest.Options{Features: features})
	h.Group("第一党支部")
	h.As("张三")
	h.Say("/relay 国庆志愿服务 limit=600")
	members := make([]string, 1000)
	for i := range members {
		members[i] = fmt.Sprintf("成员%04d", i)
	}
	all(h, members, "/join")

	ctx := context.Background()
	es, err := h.DB.RelayEntries(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := h.DB.Relay(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1000 {
		t.Fatalf("%d entries, want 1000", len(es))
	}
	seen := map[string]bool{}
	numbered, waiting := 0, 0
	for i, e := range es {
		if seen[e.Name] {
			t.Fatalf("%s is on the list twice", e.Name)
		}
		seen[e.Name] = true
		if e.Place != i+1 {
			t.Fatalf("entry %d has place %d", i, e.Place)
		}
		if rl.Waitlisted(e.Place) {
			waiting++
		} else {
			numbered++
		}
	}
	if numbered != 600 || waiting != 400 {
		t.Fatalf("%d numbered and %d waitlisted, want 600 and 400", numbered, waiting)
	}
	for _, m := range members {
		if !seen[m] {
			t.Fatalf("%s was lost", m)
		}
	}

	// 100 of the numbered leave at once; the first 100 of the waitlist move
	// up, in their order, and the rest of the waitlist keeps its order.
	before := names(es)
	leavers := slices.Clone(before[:600])
	rand.Shuffle(len(leavers), func(i, j int) { leavers[i], leavers[j] = leavers[j], leavers[i] })
	leavers = leavers[:100]
	gone := map[string]bool{}
	for _, l := range leavers {
		gone[l] = true
	}
	all(h, leavers, "/leave")
	es, err = h.DB.RelayEntries(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var wantNumbered []string
	for _, n := range before[:600] {
		if !gone[n] {
			wantNumbered = append(wantNumbered, n)
		}
	}
	wantNumbered = append(wantNumbered, before[600:700]...)
	got := names(es)
	if len(got) != 900 {
		t.Fatalf("%d entries after 100 left, want 900", len(got))
	}
	if !slices.Equal(got[:600], wantNumbered) {
		t.Fatalf("numbered places after leaving are not the remaining 500 followed by the first 100 of the waitlist in order")
	}
	if !slices.Equal(got[600:], before[700:]) {
		t.Fatalf("the rest of the waitlist lost its order")
	}
	for i, e := range es {
		if e.Place != i+1 || rl.Waitlisted(e.Place) != (i >= 600) {
			t.Fatalf("entry %d: place %d", i, e.Place)
		}
	}

	// A burst leaves exactly one list re-post pending, and it is current;
	// each of the 100 who moved up is named once in the notices beside it.
	chat, err := h.DB.ChatByExternalID(ctx, "terminal", "第一党支部")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := h.DB.OutboxOfChat(ctx, chat.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lists []bot.OutboxMessage
	told := map[string]int{}
	for _, m := range msgs {
		switch {
		case m.State != bot.OutboxPending:
		case m.MergeKey != "":
			lists = append(lists, m)
		case strings.Contains(m.Text, "已从候补转为正式报名"):
			for _, n := range before[600:700] {
				if strings.Contains(m.Text, n) || m.Mention != nil && m.Mention.Name == n {
					told[n]++
				}
			}
		default:
			t.Fatalf("unexpected message pending: %q", m.Text)
		}
	}
	if len(lists) != 1 || !strings.Contains(lists[0].Text, "已报名 600/600，候补 300 人") {
		t.Fatalf("list messages pending after the bursts: %d (%+v)", len(lists), lists)
	}
	for _, n := range before[600:700] {
		if told[n] != 1 {
			t.Fatalf("%s moved up and was told %d times", n, told[n])
		}
	}
}
