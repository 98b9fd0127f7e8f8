package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/calendar"
	"github.com/branchbot/branchbot/commands/assist"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/tickets"
	"github.com/branchbot/branchbot/configs"
)

// openAI is a minimal OpenAI-compatible chat completions server: it answers
// with the next queued reply (a status code and a message content).
type openAI struct {
	mu      sync.Mutex
	replies []reply
	bodies  []string
}

type reply struct {
	status  int
	content string
}

func (o *openAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	o.mu.Lock()
	o.bodies = append(o.bodies, string(body))
	rp := reply{status: 500}
	if len(o.replies) > 0 {
		rp, o.replies = o.replies[0], o.replies[1:]
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rp.status != 0 && rp.status != 200 {
		w.WriteHeader(rp.status)
		fmt.Fprintf(w, `{"error":{"message":"busy","type":"rate_limit","code":"%d"}}`, rp.status)
		return
	}
	content, _ := json.Marshal(rp.content)
	fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}`, content)
}

// TestModelRoutesTicketsAndKeywordsTakeOver files suggestions through the
// real engine, the real tickets feature and the real go-openai client: the
// model's category wins while it answers well, and the keyword rules decide
// on a 429 or an answer outside the category list.
func TestModelRoutesTicketsAndKeywordsTakeOver(t *testing.T) {
	fake := &openAI{replies: []reply{
		{content: `{"category":"党务"}`},
		{status: 429},
		{content: `{"category":"食堂"}`},
		{content: "尊敬的[成员1]同学：您好，关于党课时间，我们将于下周公布。"},
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg, err := configs.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg.LLM = configs.LLMConfig{BaseURL: srv.URL, APIKey: "k", Model: "m", Timeout: cfg.LLM.Timeout, DailyBudget: 10}
	h := commandtest.New(t, commandtest.Options{Config: cfg, Features: func(h *commandtest.Harness) []bot.Feature {
		ai, err := assist.New(h.Config.LLM, h.DB, slog.New(slog.DiscardHandler), h.Engine.Now)
		if err != nil {
			t.Fatal(err)
		}
		cal, err := calendar.New(calendar.Options{Location: commandtest.Shanghai})
		if err != nil {
			t.Fatal(err)
		}
		return []bot.Feature{tickets.New(h.Engine, h.DB, cal, h.Config.SLA, ai)}
	}})
	h.As("张三")
	h.LinkSpeaker("2023001")
	// "宿舍" is a 学生事务 keyword; the model says 党务 and decides.
	h.Say("/suggest 宿舍楼的入党积极分子培训能否改到周末")
	// A 429: the keywords decide (宿舍 → 学生事务).
	h.Say("/suggest 宿舍热水经常停")
	// An answer outside the list: the keywords decide (党费 → 党务).
	h.Say("/suggest 党费缴纳能否线上")
	ctx := context.Background()
	want := []struct{ category, by string }{{"党务", "llm"}, {"学生事务", "keywords"}, {"党务", "keywords"}}
	for i, w := range want {
		tk, err := h.DB.Ticket(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if tk.Category != w.category || tk.DecidedBy != w.by {
			t.Errorf("ticket %d routed to %q by %s, want %q by %s", i+1, tk.Category, tk.DecidedBy, w.category, w.by)
		}
	}
	// A staff member of the department asks for a draft in private; the
	// filer's name never reached the model.
	h.As("刘芳")
	h.Private()
	h.LinkSpeaker("T0003")
	out := strings.Join(h.Say("/draft 1"), "\n")
	if !strings.Contains(out, "答复草稿") || !strings.Contains(out, "关于党课时间") {
		t.Fatalf("draft reply: %s", out)
	}
	for _, b := range fake.bodies {
		if strings.Contains(b, "张三") || strings.Contains(b, "2023001") {
			t.Fatalf("a request named the filer: %s", b)
		}
	}
	if len(fake.bodies) != 4 {
		t.Fatalf("model got %d requests, want 4", len(fake.bodies))
	}
}
